package jobs

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testNames() *Names {
	n := &Names{}
	n.Set(map[string]string{"hws.service.type.ebs": "Elastic Volume Service"},
		map[string]string{"hws.resource.type.volume": "Disk"},
		map[int]bss.MeasureUnit{10: {ID: 10, Name: "gigabyte", Abbreviation: "GB"}, 4: {ID: 4, Name: "hour"}})
	return n
}

func TestCostRecord(t *testing.T) {
	may := bss.Month{Year: 2024, Month: time.May}
	names := testNames()
	tests := []struct {
		name  string
		scope string
		cycle bss.Month
		rec   bss.ResourceRecord
		check func(t *testing.T, got sink.CostRecord)
	}{
		{
			name:  "bill cycle is the asked UTC+8 month as its civil first day",
			scope: "prod", cycle: may,
			// The last instant of April in UTC is already May in UTC+8.
			rec: bss.ResourceRecord{ID: "r1", BillDate: "2024-05-01", ConsumeTime: time.Date(2024, 4, 30, 16, 30, 0, 0, time.UTC)},
			check: func(t *testing.T, got sink.CostRecord) {
				if want := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC); !got.BillCycle.Equal(want) {
					t.Errorf("BillCycle = %v, want %v", got.BillCycle, want)
				}
				if want := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC); !got.BillDate.Equal(want) {
					t.Errorf("BillDate = %v, want %v", got.BillDate, want)
				}
				if got.Scope != "prod" || got.RecordID != "r1" {
					t.Errorf("Scope, RecordID = %q, %q, want prod, r1", got.Scope, got.RecordID)
				}
			},
		},
		{
			name: "amounts keep every decimal",
			rec: bss.ResourceRecord{
				Amount: dec(t, "0.00000001"), OfficialAmount: dec(t, "12345678901234567890.12345678"),
				DiscountAmount: dec(t, "-1.5"), CashAmount: dec(t, "0.1"), CreditAmount: dec(t, "0.2"),
				CouponAmount: dec(t, "0.3"), FlexipurchaseCouponAmount: dec(t, "0.4"), StoredCardAmount: dec(t, "0.5"),
				BonusAmount: dec(t, "0.6"), DebtAmount: dec(t, "0.7"), AdjustmentAmount: dec(t, "0.8"),
				Usage: dec(t, "1e-8"), UnitPrice: dec(t, "0.00012345"),
			},
			check: func(t *testing.T, got sink.CostRecord) {
				for _, c := range []struct {
					field     string
					got, want decimal.Decimal
				}{
					{"Amount", got.Amount, dec(t, "0.00000001")},
					{"OfficialAmount", got.OfficialAmount, dec(t, "12345678901234567890.12345678")},
					{"DiscountAmount", got.DiscountAmount, dec(t, "-1.5")},
					{"CashAmount", got.CashAmount, dec(t, "0.1")},
					{"CreditAmount", got.CreditAmount, dec(t, "0.2")},
					{"CouponAmount", got.CouponAmount, dec(t, "0.3")},
					{"FlexipurchaseCouponAmount", got.FlexipurchaseCouponAmount, dec(t, "0.4")},
					{"StoredCardAmount", got.StoredCardAmount, dec(t, "0.5")},
					{"BonusAmount", got.BonusAmount, dec(t, "0.6")},
					{"DebtAmount", got.DebtAmount, dec(t, "0.7")},
					{"AdjustmentAmount", got.AdjustmentAmount, dec(t, "0.8")},
					{"Usage", got.Usage, dec(t, "0.00000001")},
					{"UnitPrice", got.UnitPrice, dec(t, "0.00012345")},
				} {
					if !c.got.Equal(c.want) {
						t.Errorf("%s = %s, want %s", c.field, c.got, c.want)
					}
				}
			},
		},
		{
			name: "missing names are filled from look-ups, given names win",
			rec:  bss.ResourceRecord{ServiceTypeCode: "hws.service.type.ebs", ResourceTypeCode: "hws.resource.type.volume", ResourceTypeName: "Volume (API)"},
			check: func(t *testing.T, got sink.CostRecord) {
				if got.ServiceTypeName != "Elastic Volume Service" {
					t.Errorf("ServiceTypeName = %q, want the look-up name", got.ServiceTypeName)
				}
				if got.ResourceTypeName != "Volume (API)" {
					t.Errorf("ResourceTypeName = %q, want the API's name", got.ResourceTypeName)
				}
			},
		},
		{
			name: "RI coverage: the covered quantity, its unit and the RI's ID",
			rec: bss.ResourceRecord{Usage: dec(t, "3.5"), RIUsage: dec(t, "2.25"), RIUsageMeasureID: 4,
				SubResourceID: "ri-1", SubResourceName: "web-ri"},
			check: func(t *testing.T, got sink.CostRecord) {
				if !got.RIUsage.Equal(dec(t, "2.25")) || got.RIUsageUnit != "hour" {
					t.Errorf("RIUsage, RIUsageUnit = %s, %q, want 2.25, hour", got.RIUsage, got.RIUsageUnit)
				}
				if got.SubResourceID != "ri-1" || got.SubResourceName != "web-ri" {
					t.Errorf("SubResourceID, SubResourceName = %q, %q, want ri-1, web-ri", got.SubResourceID, got.SubResourceName)
				}
			},
		},
		{
			name: "usage unit from the measure unit look-up",
			rec:  bss.ResourceRecord{UsageMeasureID: 10},
			check: func(t *testing.T, got sink.CostRecord) {
				if got.UsageUnit != "GB" {
					t.Errorf("UsageUnit = %q, want GB", got.UsageUnit)
				}
			},
		},
		{
			name: "unit without abbreviation uses its name, unknown unit its ID, none is empty",
			rec:  bss.ResourceRecord{UsageMeasureID: 4},
			check: func(t *testing.T, got sink.CostRecord) {
				if got.UsageUnit != "hour" {
					t.Errorf("UsageUnit = %q, want hour", got.UsageUnit)
				}
				if u := names.Unit(999); u != "999" {
					t.Errorf("Unit(999) = %q, want 999", u)
				}
				if u := names.Unit(0); u != "" {
					t.Errorf("Unit(0) = %q, want empty", u)
				}
			},
		},
		// "No enterprise project" is normalised to "-1" once, by the bss
		// decoder (TestResourceRecordsPageNormalisation, TestPackagePageNormalisation).
		{
			name: "default enterprise project 0 is kept",
			rec:  bss.ResourceRecord{EnterpriseProjectID: "0"},
			check: func(t *testing.T, got sink.CostRecord) {
				if got.EnterpriseProjectID != "0" {
					t.Errorf("EnterpriseProjectID = %q, want 0", got.EnterpriseProjectID)
				}
			},
		},
		{
			name: "string enums and identities are kept as strings",
			rec: bss.ResourceRecord{ChargeMode: "3", PeriodType: "25", BillType: 5, TradeID: "T1", Region: "cn-north-4",
				ResourceTag: "env=prod;team=a", Currency: "CNY", CustomerID: "c1", AccountName: "acme"},
			check: func(t *testing.T, got sink.CostRecord) {
				if got.ChargeMode != "3" || got.PeriodType != "25" || got.BillType != 5 || got.TradeID != "T1" ||
					got.RegionCode != "cn-north-4" || got.ResourceTags != "env=prod;team=a" || got.Currency != "CNY" ||
					got.CustomerID != "c1" || got.AccountName != "acme" {
					t.Errorf("got %+v", got)
				}
			},
		},
		{
			name: "times are UTC",
			rec:  bss.ResourceRecord{TradeTime: time.Date(2024, 5, 3, 8, 0, 0, 0, time.FixedZone("UTC+8", 8*3600))},
			check: func(t *testing.T, got sink.CostRecord) {
				if want := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC); got.TradeTime != want {
					t.Errorf("TradeTime = %v, want %v", got.TradeTime, want)
				}
			},
		},
		{
			name: "unparseable bill date is the zero time, not a wrong date",
			rec:  bss.ResourceRecord{BillDate: "05/01/2024"},
			check: func(t *testing.T, got sink.CostRecord) {
				if !got.BillDate.IsZero() {
					t.Errorf("BillDate = %v, want zero", got.BillDate)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cycle := tt.cycle
			if cycle.IsZero() {
				cycle = may
			}
			tt.check(t, CostRecord(tt.scope, cycle, tt.rec, names))
		})
	}
}

func TestBillSummary(t *testing.T) {
	cycle := bss.Month{Year: 2023, Month: time.December}
	tests := []struct {
		name string
		in   bss.MonthlySum
		want sink.BillSummary
	}{
		{
			name: "all fields, stored value card into stored card",
			in: bss.MonthlySum{CustomerID: "c", AccountName: "n", ServiceTypeCode: "hws.service.type.ebs", ResourceTypeCode: "r",
				ResourceTypeName: "R", ChargingMode: 3, BillType: 1, OfficialAmount: dec(t, "10.00"), OfficialDiscountAmount: dec(t, "1.5"),
				TruncatedAmount: dec(t, "0.01"), ConsumeAmount: dec(t, "8.49"), CashAmount: dec(t, "8"), CreditAmount: dec(t, "0.49"),
				CouponAmount: dec(t, "0"), FlexipurchaseCouponAmount: dec(t, "0"), StoredValueCardAmount: dec(t, "0.02"),
				DebtAmount: dec(t, "0"), WriteoffAmount: dec(t, "0.03"), Currency: "CNY"},
			want: sink.BillSummary{Scope: "s", BillCycle: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), CustomerID: "c", AccountName: "n",
				ServiceTypeCode: "hws.service.type.ebs", ServiceTypeName: "Elastic Volume Service", ResourceTypeCode: "r", ResourceTypeName: "R",
				ChargingMode: 3, BillType: 1, OfficialAmount: dec(t, "10"), OfficialDiscountAmount: dec(t, "1.5"), TruncatedAmount: dec(t, "0.01"),
				ConsumeAmount: dec(t, "8.49"), CashAmount: dec(t, "8"), CreditAmount: dec(t, "0.49"), CouponAmount: dec(t, "0"),
				FlexipurchaseCouponAmount: dec(t, "0"), StoredCardAmount: dec(t, "0.02"), DebtAmount: dec(t, "0"), WriteoffAmount: dec(t, "0.03"),
				Currency: "CNY"},
		},
		{
			name: "null resource type stays empty",
			in:   bss.MonthlySum{ServiceTypeCode: "x", BillType: 2},
			want: sink.BillSummary{Scope: "s", BillCycle: time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC), ServiceTypeCode: "x", BillType: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BillSummary("s", cycle, tt.in, testNames())
			if !equalSummary(got, tt.want) {
				t.Errorf("BillSummary() =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func equalSummary(a, b sink.BillSummary) bool {
	decs := [][2]decimal.Decimal{{a.OfficialAmount, b.OfficialAmount}, {a.OfficialDiscountAmount, b.OfficialDiscountAmount},
		{a.TruncatedAmount, b.TruncatedAmount}, {a.ConsumeAmount, b.ConsumeAmount}, {a.CashAmount, b.CashAmount},
		{a.CreditAmount, b.CreditAmount}, {a.CouponAmount, b.CouponAmount}, {a.FlexipurchaseCouponAmount, b.FlexipurchaseCouponAmount},
		{a.StoredCardAmount, b.StoredCardAmount}, {a.DebtAmount, b.DebtAmount}, {a.WriteoffAmount, b.WriteoffAmount}}
	for _, d := range decs {
		if !d[0].Equal(d[1]) {
			return false
		}
	}
	return a.Scope == b.Scope && a.BillCycle.Equal(b.BillCycle) && a.CustomerID == b.CustomerID && a.AccountName == b.AccountName &&
		a.ServiceTypeCode == b.ServiceTypeCode && a.ServiceTypeName == b.ServiceTypeName && a.ResourceTypeCode == b.ResourceTypeCode &&
		a.ResourceTypeName == b.ResourceTypeName && a.ChargingMode == b.ChargingMode && a.BillType == b.BillType && a.Currency == b.Currency
}

func TestBalanceRows(t *testing.T) {
	at := time.Date(2024, 5, 3, 1, 2, 3, 0, time.UTC)
	b := &bss.Balances{Currency: "USD", DebtAmount: dec(t, "3.21"), Accounts: []bss.AccountBalance{
		{AccountID: "A1", AccountType: 1, Amount: dec(t, "100.01"), Currency: "USD"},
		{AccountID: "A2", AccountType: 2, Amount: dec(t, "5"), CreditAmount: dec(t, "1000"), DesignatedAmount: dec(t, "1")},
	}}
	rows := BalanceRows("s", "dom", at, b)
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want 2", len(rows))
	}
	tests := []struct {
		name string
		got  bool
	}{
		{"observation time and scope", rows[0].ObservedAt.Equal(at) && rows[0].Scope == "s" && rows[0].CustomerID == "dom"},
		{"cash amount exact", rows[0].Amount.Equal(dec(t, "100.01")) && rows[0].AccountType == 1},
		{"credit line kept", rows[1].CreditAmount.Equal(dec(t, "1000")) && rows[1].DesignatedAmount.Equal(dec(t, "1"))},
		{"missing currency comes from the response", rows[1].Currency == "USD"},
		{"debt on every row", rows[0].DebtAmount.Equal(dec(t, "3.21")) && rows[1].DebtAmount.Equal(dec(t, "3.21"))},
		{"account type label", accountType(7) == "deposit" && accountType(5) == "bonus" && accountType(42) == "42"},
	}
	for _, tt := range tests {
		if !tt.got {
			t.Errorf("%s: got %+v", tt.name, rows)
		}
	}
}

func TestPackageRows(t *testing.T) {
	at := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)
	pkgs := []bss.ResourcePackage{{
		OrderInstanceID: "P1", ProductName: "OBS 100GB", Status: 1, ExpireTime: at.AddDate(0, 1, 0),
		EnterpriseProjectID: bss.UnassignedEnterpriseProject, // as decoded (bss normalises null and "")
		Items: []bss.PackageItem{
			{FreeResourceID: "I1", UsageTypeName: "storage", Amount: dec(t, "40"), OriginalAmount: dec(t, "100"), MeasureID: 10},
			{FreeResourceID: "I2", UsageTypeName: "requests", Amount: dec(t, "7"), OriginalAmount: dec(t, "9"), MeasureID: 4},
		},
	}}
	usages := map[string]bss.ResourceUsage{"I1": {FreeResourceID: "I1", Amount: dec(t, "39.5"), OriginalAmount: dec(t, "100"), MeasureID: 10}}
	rows := PackageRows("s", "dom", at, pkgs, usages, testNames())
	if len(rows) != 2 {
		t.Fatalf("got %d rows, want one per item (2)", len(rows))
	}
	if got := rows[0]; !got.RemainingAmount.Equal(dec(t, "39.5")) || got.MeasureUnit != "GB" || got.OrderInstanceID != "P1" || got.FreeResourceID != "I1" {
		t.Errorf("item with current usage: got %+v, want remaining 39.5 GB from the usage", got)
	}
	if got := rows[1]; !got.RemainingAmount.Equal(dec(t, "7")) || got.MeasureUnit != "hour" || got.EnterpriseProjectID != "-1" {
		t.Errorf("item without usage: got %+v, want remaining 7 from the package list", got)
	}
}

func TestOrgRows(t *testing.T) {
	tree := &bss.OrgTree{RootID: "1", RootName: "Acme", Nodes: []bss.OrgNode{
		{ID: "2", RelationID: "r2", Name: "R&D", Children: []bss.OrgNode{{ID: "3", RelationID: "r3", Name: "Platform"}}},
		{ID: "4", RelationID: "r4", Name: "Sales"},
	}}
	master := Account{Scope: "s", CustomerID: "master-id"}
	all := []Account{master, {Scope: "m2", CustomerID: "m2"}}
	units, accounts := OrgRows(master, all, tree, []bss.SubCustomer{
		{ID: "m1", Name: "dev", DisplayName: "Dev", Status: 1, OrgID: "3", OrgName: "Platform"},
		{ID: "m2", Name: "ops", DisplayName: "Ops", Status: 1, OrgID: "1"},
	})
	want := []sink.OrgUnit{
		{Scope: "s", OrgID: "1", Name: "Acme", Path: "Acme", IDPath: "1"},
		{Scope: "s", OrgID: "2", ParentID: "1", RelationID: "r2", Name: "R&D", Path: "Acme/R&D", IDPath: "1/2"},
		{Scope: "s", OrgID: "3", ParentID: "2", RelationID: "r3", Name: "Platform", Path: "Acme/R&D/Platform", IDPath: "1/2/3"},
		{Scope: "s", OrgID: "4", ParentID: "1", RelationID: "r4", Name: "Sales", Path: "Acme/Sales", IDPath: "1/4"},
	}
	if len(units) != len(want) {
		t.Fatalf("got %d units, want %d: %+v", len(units), len(want), units)
	}
	for i := range want {
		if units[i] != want[i] {
			t.Errorf("unit %d = %+v, want %+v", i, units[i], want[i])
		}
	}
	// The master under the root unit; a member configured as an account of
	// its own pays for itself.
	wantAccounts := []sink.Account{
		{Scope: "s", CustomerID: "master-id", DisplayName: "Acme", OrgID: "1", OrgName: "Acme", Status: 1, PayerScope: "s"},
		{Scope: "s", CustomerID: "m1", Name: "dev", DisplayName: "Dev", OrgID: "3", OrgName: "Platform", Status: 1, PayerScope: "s"},
		{Scope: "s", CustomerID: "m2", Name: "ops", DisplayName: "Ops", OrgID: "1", Status: 1, PayerScope: "m2"},
	}
	if fmt.Sprint(accounts) != fmt.Sprint(wantAccounts) {
		t.Errorf("accounts = %+v\nwant %+v", accounts, wantAccounts)
	}
	if u, a := OrgRows(Account{Scope: "s"}, nil, &bss.OrgTree{}, nil); len(u) != 0 || len(a) != 0 {
		t.Errorf("empty tree, no customer ID: got %d units, %d accounts, want none", len(u), len(a))
	}
	if _, a := OrgRows(Account{Scope: "s", CustomerID: "c"}, nil, nil, nil); len(a) != 1 || a[0].CustomerID != "c" || a[0].PayerScope != "s" {
		t.Errorf("plain account: accounts = %+v, want itself", a)
	}
}

func TestDrift(t *testing.T) {
	tests := []struct {
		name          string
		item, summary sums
		want          string
		cur           string
	}{
		{"equal", sums{"CNY": dec(t, "10.01")}, sums{"CNY": dec(t, "10.01")}, "0", "CNY"},
		{"itemised higher", sums{"CNY": dec(t, "10.02")}, sums{"CNY": dec(t, "10.01")}, "0.01", "CNY"},
		{"summary higher is still positive", sums{"USD": dec(t, "1")}, sums{"USD": dec(t, "1.00000001")}, "0.00000001", "USD"},
		{"summary only", sums{}, sums{"CNY": dec(t, "5")}, "5", "CNY"},
		{"nothing", sums{}, sums{}, "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cur := drift(tt.item, tt.summary)
			if !got.Equal(dec(t, tt.want)) || cur != tt.cur {
				t.Errorf("drift() = %s %q, want %s %q", got, cur, tt.want, tt.cur)
			}
		})
	}
}
