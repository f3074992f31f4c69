package dashboards

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
)

// The fixture is a realistic, deterministic data set written through the sink's own row writers
// (the same MonthWriter / snapshot paths the daemon uses): two CNY enterprise scopes with an org
// tree and a USD scope, 13 billing months up to the test time range's end, balance and resource
// package snapshots, and sync runs.
//
// TODO(ops): replace with data synced from the simulator by the daemon once `syncd sync` can run
// in-process from a test; the queries and checks stay the same.

type fixtureResource struct {
	id, name, service, serviceName, resourceType, resourceTypeName, region, project, chargeMode, tags string
	daily                                                                                             int64 // cents per day
}

type fixtureScope struct {
	scope, currency string
	accounts        []sink.Account
	units           []sink.OrgUnit
	resources       map[string][]fixtureResource // by customer_id
	months          int
}

func fixtureScopes() []fixtureScope {
	acme := fixtureScope{
		scope: "acme", currency: "CNY", months: 13,
		units: []sink.OrgUnit{
			{OrgID: "org-root", Name: "ACME", Path: "ACME", IDPath: "org-root"},
			{OrgID: "org-eng", ParentID: "org-root", Name: "Engineering", Path: "ACME/Engineering", IDPath: "org-root/org-eng"},
			{OrgID: "org-plat", ParentID: "org-eng", Name: "Platform", Path: "ACME/Engineering/Platform", IDPath: "org-root/org-eng/org-plat"},
			{OrgID: "org-fin", ParentID: "org-root", Name: "Finance", Path: "ACME/Finance", IDPath: "org-root/org-fin"},
		},
		accounts: []sink.Account{
			{CustomerID: "cust-acme-master", Name: "acme-master", DisplayName: "ACME master", OrgID: "org-root", OrgName: "ACME", Status: 1},
			{CustomerID: "cust-acme-plat", Name: "acme-platform", DisplayName: "ACME platform", OrgID: "org-plat", OrgName: "Platform", Status: 1},
			{CustomerID: "cust-acme-fin", Name: "acme-finance", DisplayName: "ACME finance", OrgID: "org-fin", OrgName: "Finance", Status: 1},
		},
		resources: map[string][]fixtureResource{
			"cust-acme-master": {
				{"ecs-1001", "web-01", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "cn-north-4", "0", "3", "env=prod;team=web", 4250},
				{"obs-2001", "backups", "hws.service.type.obs", "Object Storage Service", "hws.resource.type.obs", "OBS", "cn-north-4", "0", "3", "", 310},
			},
			"cust-acme-plat": {
				{"ecs-1101", "k8s-node-1", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "cn-east-3", "ep-platform", "1", "env=prod;team=platform", 9800},
				{"ecs-1102", "k8s-node-2", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "cn-east-3", "ep-platform", "1", "env=prod;team=platform", 9800},
				{"evs-1201", "k8s-data", "hws.service.type.ebs", "Elastic Volume Service", "hws.resource.type.volume", "EVS", "cn-east-3", "ep-platform", "3", "team=platform", 720},
				{"rds-1301", "orders-db", "hws.service.type.rds", "Relational Database Service", "hws.resource.type.rds.vm", "RDS", "cn-east-3", "ep-platform", "1", "env=prod;team=platform", 15600},
			},
			"cust-acme-fin": {
				{"ecs-1401", "erp-app", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "cn-south-1", "ep-finance", "3", "env=prod;team=finance", 3100},
			},
		},
	}
	globex := fixtureScope{
		scope: "globex", currency: "CNY", months: 13,
		units:    []sink.OrgUnit{{OrgID: "g-root", Name: "Globex", Path: "Globex", IDPath: "g-root"}},
		accounts: []sink.Account{{CustomerID: "cust-globex", Name: "globex", DisplayName: "Globex", OrgID: "g-root", OrgName: "Globex", Status: 1}},
		resources: map[string][]fixtureResource{
			"cust-globex": {
				{"cdn-3001", "static", "hws.service.type.cdn", "Content Delivery Network", "hws.resource.type.cdn", "CDN", "cn-north-4", "0", "3", "env=prod", 1900},
				{"ecs-3101", "batch", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "cn-north-4", "0", "3", "env=dev", 2600},
			},
		},
	}
	initech := fixtureScope{
		scope: "initech", currency: "USD", months: 3,
		units:    nil,
		accounts: []sink.Account{{CustomerID: "cust-initech", Name: "initech", DisplayName: "Initech", Status: 1}},
		resources: map[string][]fixtureResource{
			"cust-initech": {
				{"ecs-5001", "api", "hws.service.type.ec2", "Elastic Cloud Server", "hws.resource.type.vm", "ECS", "ap-southeast-1", "0", "3", "env=prod", 880},
			},
		},
	}
	return []fixtureScope{acme, globex, initech}
}

// utc8 is Huawei's billing time zone.
var utc8 = time.FixedZone("UTC+8", 8*3600)

// cents converts an integer number of cents into an exact decimal.
func cents(c int64) decimal.Decimal { return decimal.New(c, -2) }

// populate writes the fixture into s, with data up to and including the UTC+8 day of end.
func populate(t *testing.T, s *sink.Sink, end time.Time) {
	t.Helper()
	ctx := context.Background()
	endDay := end.In(utc8)
	lastDate := time.Date(endDay.Year(), endDay.Month(), endDay.Day(), 0, 0, 0, 0, time.UTC)
	for _, fs := range fixtureScopes() {
		rng := rand.New(rand.NewPCG(uint64(len(fs.scope)), 42))
		for i := range fs.accounts {
			fs.accounts[i].PayerScope = fs.scope // every member pays from its master's balance
		}
		if err := s.ReplaceOrg(ctx, fs.scope, fs.units, fs.accounts); err != nil {
			t.Fatalf("replace org %s: %v", fs.scope, err)
		}
		first := time.Date(lastDate.Year(), lastDate.Month()-time.Month(fs.months-1), 1, 0, 0, 0, 0, time.UTC)
		for cycle := first; !cycle.After(lastDate); cycle = cycle.AddDate(0, 1, 0) {
			w, err := s.BeginMonth(ctx, fs.scope, cycle)
			if err != nil {
				t.Fatalf("begin month: %v", err)
			}
			var counts sink.MonthCounts
			sums := map[[2]string]*sink.BillSummary{}
			for day := cycle; day.Month() == cycle.Month() && !day.After(lastDate); day = day.AddDate(0, 0, 1) {
				for _, acct := range fs.accounts {
					for _, r := range fs.resources[acct.CustomerID] {
						official := r.daily + rng.Int64N(r.daily/5+1)
						discount := official * int64(rng.IntN(20)) / 100
						amount := official - discount
						usage := decimal.New(24, 0)
						unit := "Hour"
						if r.service == "hws.service.type.obs" || r.service == "hws.service.type.cdn" {
							usage, unit = decimal.New(rng.Int64N(50000)+1000, -2), "GB"
						}
						rec := sink.CostRecord{
							Scope: fs.scope, RecordID: fmt.Sprintf("%s-%s-%s", fs.scope, r.id, day.Format("20060102")),
							BillCycle: cycle, BillDate: day, BillType: 1,
							CustomerID: acct.CustomerID, AccountName: acct.Name,
							RegionCode: r.region, RegionName: r.region,
							ServiceTypeCode: r.service, ServiceTypeName: r.serviceName,
							ResourceTypeCode: r.resourceType, ResourceTypeName: r.resourceTypeName,
							ResourceID: r.id, ResourceName: r.name, ResourceTags: r.tags,
							ProductID: "prod-" + r.id, ProductName: r.resourceTypeName + " " + r.name,
							EnterpriseProjectID: r.project, EnterpriseProjectName: r.project,
							ChargeMode: r.chargeMode, PeriodType: "", TradeID: "trade-" + r.id + day.Format("0102"),
							TradeTime:     day.Add(-8 * time.Hour).Add(23 * time.Hour),
							EffectiveTime: day.Add(-8 * time.Hour), ExpireTime: day.Add(16 * time.Hour),
							UsageType: "duration", Usage: usage, UsageUnit: unit,
							UnitPrice:      cents(official).Div(decimal.New(24, 0)).Round(8),
							OfficialAmount: cents(official), DiscountAmount: cents(discount), Amount: cents(amount),
							CashAmount: cents(amount), Currency: fs.currency,
						}
						if err := w.AddCostRecord(ctx, rec); err != nil {
							t.Fatalf("add cost record: %v", err)
						}
						counts.CostRecords++
						key := [2]string{acct.CustomerID, r.service}
						if sums[key] == nil {
							sums[key] = &sink.BillSummary{Scope: fs.scope, BillCycle: cycle, CustomerID: acct.CustomerID,
								AccountName: acct.Name, ServiceTypeCode: r.service, ServiceTypeName: r.serviceName,
								ResourceTypeCode: r.resourceType, ResourceTypeName: r.resourceTypeName,
								ChargingMode: 3, BillType: 1, Currency: fs.currency}
						}
						bs := sums[key]
						bs.OfficialAmount = bs.OfficialAmount.Add(cents(official))
						bs.OfficialDiscountAmount = bs.OfficialDiscountAmount.Add(cents(discount))
						bs.ConsumeAmount = bs.ConsumeAmount.Add(cents(amount))
						bs.CashAmount = bs.CashAmount.Add(cents(amount))
					}
				}
			}
			for _, bs := range sums {
				if err := w.AddBillSummary(ctx, *bs); err != nil {
					t.Fatalf("add bill summary: %v", err)
				}
				counts.BillSummaries++
			}
			if err := w.Commit(ctx, counts); err != nil {
				t.Fatalf("commit %s %s: %v", fs.scope, cycle.Format("2006-01"), err)
			}
		}
		// Transaction bills of the last month: per account i, one paid transaction (100.00),
		// one not fully settled (12.34 * (i+1), part written off) and one KooGallery purchase
		// not yet settled (5.00, in arrears).
		fw, err := s.BeginFeeMonth(ctx, fs.scope, time.Date(lastDate.Year(), lastDate.Month(), 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("begin fee month: %v", err)
		}
		fees := 0
		for i, acct := range fs.accounts {
			for k, tx := range []struct {
				status, provider        int32
				consume, debt, writeoff int64
			}{{1, 1, 100_00, 0, 0}, {2, 1, 1234 * int64(i+1), 1000 * int64(i+1), 100}, {3, 2, 5_00, 5_00, 0}} {
				c, debt, off := cents(tx.consume), cents(tx.debt), cents(tx.writeoff)
				if err := fw.Add(ctx, sink.FeeRecord{CustomerID: acct.CustomerID, AccountName: acct.Name, ProviderType: tx.provider,
					ServiceTypeCode: "hws.service.type.ec2", ChargingMode: 1, ConsumeTime: lastDate.Add(time.Duration(k) * time.Hour),
					TradeTime: lastDate.Add(time.Duration(k) * time.Hour), TradeID: fmt.Sprintf("CS-%s-%d-%d", fs.scope, i, k), BillType: 1,
					Status: tx.status, OfficialAmount: c, ConsumeAmount: c, CashAmount: c.Sub(debt).Sub(off),
					DebtAmount: debt, WriteoffAmount: off, Currency: fs.currency}); err != nil {
					t.Fatalf("add fee record: %v", err)
				}
				fees++
			}
		}
		if err := fw.Commit(ctx, fees); err != nil {
			t.Fatalf("commit fee month: %v", err)
		}

		// Balances: every 6 hours for 30 days; cash falls with spending, credit and bonus stay.
		var bals []sink.BalanceSnapshot
		for i := 0; i <= 30*4; i++ {
			at := end.Add(-time.Duration(30*4-i) * 6 * time.Hour).Truncate(time.Second)
			cash := int64(2_000_000) - int64(i)*9_000
			if fs.currency == "USD" {
				cash = 40_000 - int64(i)*150
			}
			customer := fs.accounts[0].CustomerID
			bals = append(bals,
				sink.BalanceSnapshot{Scope: fs.scope, ObservedAt: at, CustomerID: customer, AccountID: customer + "-cash", AccountType: 1, Amount: cents(cash), Currency: fs.currency},
				sink.BalanceSnapshot{Scope: fs.scope, ObservedAt: at, CustomerID: customer, AccountID: customer + "-credit", AccountType: 2, Amount: cents(500_000), CreditAmount: cents(1_000_000), Currency: fs.currency},
				sink.BalanceSnapshot{Scope: fs.scope, ObservedAt: at, CustomerID: customer, AccountID: customer + "-bonus", AccountType: 5, Amount: cents(12_345), Currency: fs.currency},
			)
		}
		if err := s.WriteBalances(ctx, bals); err != nil {
			t.Fatalf("write balances: %v", err)
		}
		// A retried insert of the last observation: queries must not count it twice. Merges
		// are stopped so the duplicate stays until the checks ran (testSnapshotRetry).
		for _, table := range []string{"balances", "resource_packages", "member_funds"} {
			if err := s.Exec(ctx, "SYSTEM STOP MERGES "+s.Database()+"."+table); err != nil {
				t.Fatalf("stop merges: %v", err)
			}
		}
		if err := s.WriteBalances(ctx, bals[len(bals)-3:]); err != nil {
			t.Fatalf("write balances again: %v", err)
		}

		// Member funds (acme only, an enterprise master): two observations a day apart, the
		// later one written twice (a retried insert). The master can allocate 8,000.00; each
		// member can be retrieved cash 1,000.00 * (i+1) - 100.00 * d and a credit ledger of 300.00.
		if fs.scope == "acme" {
			var funds []sink.MemberFunds
			for d := range 2 {
				at := end.AddDate(0, 0, d-1).Truncate(time.Second)
				funds = append(funds, sink.MemberFunds{Scope: fs.scope, ObservedAt: at, CustomerID: fs.accounts[0].CustomerID,
					Role: "master", BalanceType: "debit", Available: cents(800_000), Currency: fs.currency})
				for i, m := range fs.accounts[1:] {
					funds = append(funds,
						sink.MemberFunds{Scope: fs.scope, ObservedAt: at, CustomerID: m.CustomerID, Role: "member", BalanceType: "debit",
							Available: cents(int64(i+1)*100_000 - int64(d)*10_000), Currency: fs.currency},
						sink.MemberFunds{Scope: fs.scope, ObservedAt: at, CustomerID: m.CustomerID, Role: "member", BalanceType: "credit",
							Available: cents(30_000), Amount: cents(30_000), CreditAmount: cents(50_000), Currency: fs.currency,
							ExpireTime: end.AddDate(0, 3, 0).Truncate(time.Second)})
				}
			}
			if err := s.WriteMemberFunds(ctx, funds); err != nil {
				t.Fatalf("write member funds: %v", err)
			}
			if err := s.WriteMemberFunds(ctx, funds[len(funds)-5:]); err != nil {
				t.Fatalf("write member funds again: %v", err)
			}
		}

		// Resource packages: daily snapshots for 30 days.
		type pkg struct {
			inst, item, product, usage, unit string
			original, perDay                 int64
			expires                          time.Time
			status                           int32
		}
		pkgs := []pkg{
			{fs.scope + "-pkg-obs", fs.scope + "-fr-obs", "OBS storage package 1 TB", "storage", "GB", 1024_00, 30_00, end.AddDate(0, 0, 10), 1},
			{fs.scope + "-pkg-cdn", fs.scope + "-fr-cdn", "CDN traffic package 500 GB", "traffic", "GB", 500_00, 16_00, end.AddDate(0, 5, 0), 1},
			// Expired five days ago (status 3) with 3% left: listed by the API, never by the
			// remaining-quota panels.
			{fs.scope + "-pkg-old", fs.scope + "-fr-old", "ECS duration package 744 h", "duration", "Hour", 744_00, 24_00, end.AddDate(0, 0, -5), 3},
		}
		var snaps []sink.ResourcePackageSnapshot
		for d := 0; d <= 30; d++ {
			at := end.AddDate(0, 0, d-30).Truncate(time.Second)
			for _, p := range pkgs {
				remaining := max(p.original-p.perDay*int64(d), 0)
				snaps = append(snaps, sink.ResourcePackageSnapshot{
					Scope: fs.scope, ObservedAt: at, CustomerID: fs.accounts[0].CustomerID,
					OrderInstanceID: p.inst, OrderID: "order-" + p.inst, FreeResourceID: p.item,
					ProductID: "prod-" + p.inst, ProductName: p.product, ServiceTypeCode: "hws.service.type.obs",
					RegionCode: "cn-north-4", EnterpriseProjectID: "0", UsageType: p.usage, Status: p.status,
					EffectiveTime: end.AddDate(-1, 0, 0).Truncate(time.Second), ExpireTime: p.expires.Truncate(time.Second),
					OriginalAmount: cents(p.original), RemainingAmount: cents(remaining), MeasureUnit: p.unit,
				})
			}
		}
		if err := s.WriteResourcePackages(ctx, snaps); err != nil {
			t.Fatalf("write resource packages: %v", err)
		}
		if err := s.WriteResourcePackages(ctx, snaps[len(snaps)-len(pkgs):]); err != nil {
			t.Fatalf("write resource packages again: %v", err)
		}

		// Package deductions: one a day for each item in effect over the same 30 days, the quota
		// after the last one equal to the last snapshot's remaining; replaced per UTC+8 month.
		byMonth := map[time.Time][]sink.PackageDeduction{}
		for _, p := range pkgs[:2] {
			for d := 1; d <= 30; d++ {
				at := end.AddDate(0, 0, d-30).Truncate(time.Second).Add(-time.Hour)
				local := at.In(utc8)
				m := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, time.UTC)
				before := max(p.original-p.perDay*int64(d-1), 0)
				after := max(p.original-p.perDay*int64(d), 0)
				byMonth[m] = append(byMonth[m], sink.PackageDeduction{Scope: fs.scope, DeductMonth: m, DeductTime: at,
					CustomerID: fs.accounts[0].CustomerID, FreeResourceID: p.item, ResourceID: fs.scope + "-res-1",
					ProductID: "prod-" + p.inst, ProductName: p.product, UsageTypeCode: p.usage,
					AvailableAmount: cents(before), RemainingAmount: cents(after), UsedAmount: cents(before - after),
					MeasureID: 10, MeasureUnit: p.unit, EffectiveTime: at.Add(-23 * time.Hour), ExpireTime: at.Add(time.Hour)})
			}
		}
		for m, rows := range byMonth {
			if err := s.ReplaceDeductionMonth(ctx, fs.scope, m, "fixture", rows); err != nil {
				t.Fatalf("replace deductions: %v", err)
			}
		}

		// Sync runs: hourly bills runs over the last 2 days, one failure, one skipped and one
		// interrupted (Ctrl-C or SIGTERM: not a failure).
		for h := 48; h >= 1; h-- {
			started := end.Add(-time.Duration(h) * time.Hour).Truncate(time.Second)
			run := sink.SyncRun{RunID: fmt.Sprintf("%s-%d", fs.scope, h), Job: "bills", Scope: fs.scope,
				BillCycle: time.Date(lastDate.Year(), lastDate.Month(), 1, 0, 0, 0, 0, time.UTC),
				StartedAt: started, FinishedAt: started.Add(90 * time.Second), Status: sink.RunSuccess,
				Rows: 420, APICalls: 3, Currency: fs.currency,
				ItemisedAmount: cents(123_456), SummaryAmount: cents(123_456)}
			switch h {
			case 7:
				run.Status, run.Error, run.Rows = sink.RunFailure, "list resource records offset=1000: bss: 500 CBC.5555 internal error", 0
			case 3:
				run.Status, run.Error = sink.RunSkipped, "previous run still running"
			case 5:
				run.Status, run.Error, run.Rows = sink.RunInterrupted, "month 2024-05: context canceled", 0
			}
			if err := s.RecordRun(ctx, run); err != nil {
				t.Fatalf("record run: %v", err)
			}
		}
	}
	insertBudgets(t, s, fixtureBudgets)
}
