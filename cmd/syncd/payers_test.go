package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// payersTenant is an enterprise of six members: 1-3 unified accounting,
// 4 independent without authorising the master, 5 and 6 independent and
// authorised (the master's method=all sees 1-3, 5 and 6).
func payersTenant(t *testing.T, engine string) (*e2e, bsssim.Account, bsssim.Account, bsssim.Account) {
	t.Helper()
	e := newE2E(t, engine)
	e.sim = bsssim.New(bsssim.Config{Now: func() time.Time { return e2eNow },
		Scale: bsssim.Scale{Members: 6, IndependentMembers: 3, UnauthorizedMembers: 1, Months: 2, RecordsPerMonth: 300}})
	e.cfg.BSS.Endpoint = newSimServer(t, e.sim)
	accts := e.sim.Accounts()
	hidden, covered, declared := accts[4], accts[5], accts[6]
	if !hidden.Independent || hidden.Authorized || !covered.Independent || !covered.Authorized || !declared.Authorized {
		t.Fatalf("unexpected tenant: %+v", accts)
	}
	return e, hidden, covered, declared
}

func memberConfig(a bsssim.Account, name string) AccountConfig {
	return AccountConfig{
		Name:           name,
		Credentials:    bss.Credentials{AK: bss.Secret(a.AK), SK: bss.Secret(a.SK), DomainID: a.ID},
		AccountOptions: AccountOptions{Members: string(jobs.MembersNone), Settlement: "standard"},
	}
}

// TestMemberBesideMaster: a member configured beside its master with
// members=none (to get its own balance) must not have its bills stored
// twice. The member whose bills arrive through the master's method=all is
// skipped for bills (its balances and packages are synced); the member the
// master may not see keeps its own bills. Summing every table over all
// scopes then counts each line once, and a double copy left by an earlier
// version is removed. Both engines.
func TestMemberBesideMaster(t *testing.T) {
	for _, engine := range []string{sink.EngineServer, sink.EngineEmbedded} {
		t.Run(engine, func(t *testing.T) {
			e, hidden, covered, _ := payersTenant(t, engine)
			ctx := context.Background()
			w, err := demoWindow(e.sim.Months())
			if err != nil {
				t.Fatal(err)
			}
			master := e.cfg.Accounts[0]
			master.Name = "ops"
			// An earlier version synced the covered member's own bills too.
			before := e.cfg
			before.Accounts = []AccountConfig{memberConfig(covered, "ops-m05")}
			old := (&e2e{t: t, sim: e.sim, cfg: before}).open(discardLogger())
			if err := old.Sync(ctx, []string{jobs.JobBills}, w, nil); err != nil {
				t.Fatal(err)
			}
			if err := old.Close(); err != nil {
				t.Fatal(err)
			}
			e.cfg.Accounts = []AccountConfig{master, memberConfig(covered, "ops-m05"), memberConfig(hidden, "ops-m04")}
			var logs syncBuffer
			p := e.open(slog.New(slog.NewTextHandler(&logs, nil)))
			if err := p.Sync(ctx, []string{jobs.JobLookups, jobs.JobOrg, jobs.JobBills, jobs.JobBalance, jobs.JobPackage}, w, nil); err != nil {
				t.Fatal(err)
			}
			for _, cycle := range e.sim.Months() {
				all, own := e.sim.Truth("", cycle), e.sim.Truth(hidden.ID, cycle)
				wantRecords, wantAmount := all.Records+own.Records, all.Amount.Add(own.Amount)
				wantConsume := decimal.Zero
				for _, ms := range append(all.MonthlySums, own.MonthlySums...) {
					wantConsume = wantConsume.Add(ms.ConsumeAmount)
				}
				r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)), uniqExact(record_id, customer_id) FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cycle))[0]
				if r[0] != fmt.Sprint(wantRecords) || r[2] != r[0] || !mustDec(t, r[1]).Equal(wantAmount) {
					t.Errorf("%s: cost_records over all scopes = %v; want %d distinct lines, amount %s", cycle, r, wantRecords, wantAmount)
				}
				sr := query(t, p.Sink, fmt.Sprintf(`SELECT toString(sum(consume_amount)) FROM DB.bill_summaries WHERE bill_cycle = toDate('%s-01')`, cycle))[0]
				if !mustDec(t, sr[0]).Equal(wantConsume) {
					t.Errorf("%s: bill_summaries consume over all scopes = %s, want %s", cycle, sr[0], wantConsume)
				}
				t.Logf("%s %s: month over all scopes %s (the covered member alone: %s)", engine, cycle, r[1], e.sim.Truth(covered.ID, cycle).Amount)
				// The org roll-up adds up to the month total: at the root
				// unit, and over each customer's own unit.
				root := query(t, p.Sink, fmt.Sprintf(`SELECT toString(sumIf(amount, org_path = 'Acme Group')), toString(sumIf(amount, direct = 1)), count() FROM DB.org_unit_costs WHERE bill_cycle = toDate('%s-01')`, cycle))[0]
				if !mustDec(t, root[0]).Equal(wantAmount) || !mustDec(t, root[1]).Equal(wantAmount) {
					t.Errorf("%s: org_unit_costs root %s, direct %s; want the month total %s", cycle, root[0], root[1], wantAmount)
				}
				// The dashboards' org-unit filter at the root unit.
				f := query(t, p.Sink, fmt.Sprintf(`SELECT toString(sum(amount)) FROM DB.cost_records WHERE bill_cycle = toDate('%s-01') AND customer_id IN (SELECT customer_id FROM DB.accounts WHERE org_id IN (SELECT org_id FROM DB.org_units WHERE path = 'Acme Group' OR startsWith(path, 'Acme Group/')))`, cycle))[0]
				if !mustDec(t, f[0]).Equal(wantAmount) {
					t.Errorf("%s: cost under the root unit = %s, want %s", cycle, f[0], wantAmount)
				}
			}
			if n := query(t, p.Sink, `SELECT count() FROM DB.cost_records WHERE scope = 'ops-m05'`)[0][0]; n != "0" {
				t.Errorf("%s rows still stored under the covered scope", n)
			}
			// Balances and packages: each scope its own customer, once.
			for _, tbl := range []string{"balances_latest", "resource_packages_latest"} {
				got := fmt.Sprint(query(t, p.Sink, `SELECT scope, uniqExact(customer_id), any(customer_id) FROM DB.`+tbl+` GROUP BY scope ORDER BY scope`))
				want := fmt.Sprint([][]string{{"ops", "1", bsssim.DemoDomainID}, {"ops-m04", "1", hidden.ID}, {"ops-m05", "1", covered.ID}})
				if got != want {
					t.Errorf("%s per scope = %s, want %s", tbl, got, want)
				}
			}
			// Every customer of cost_records is in accounts, once over all scopes.
			if r := query(t, p.Sink, `SELECT count() FROM (SELECT DISTINCT customer_id FROM DB.cost_records) WHERE customer_id NOT IN (SELECT customer_id FROM DB.accounts)`)[0]; r[0] != "0" {
				t.Errorf("%s customers of cost_records are not in accounts", r[0])
			}
			if r := query(t, p.Sink, `SELECT count(), uniqExact(customer_id) FROM DB.accounts`)[0]; r[0] != r[1] {
				t.Errorf("accounts: %s rows for %s customers, want each once", r[0], r[1])
			}
			var check strings.Builder
			p.checkCoverage(ctx, &check)
			if want := "bss account ops-m05: bills arrive through ops's member fan-out"; !strings.Contains(check.String(), want) || strings.Contains(check.String(), "ops-m04") {
				t.Errorf("syncd check says %q, want %q and nothing about ops-m04", check.String(), want)
			}
			if v := gaugeValue(t, p, "syncd_bills_covered_accounts"); v != 1 {
				t.Errorf("syncd_bills_covered_accounts = %v, want 1", v)
			}
			if !strings.Contains(logs.String(), "covered_by=ops") || strings.Count(logs.String(), "they are stored there only") != 1 || !strings.Contains(logs.String(), "removed bill months") {
				t.Errorf("want one log line about the covered account:\n%s", logs.String())
			}
		})
	}
}

// TestRunwayByPayer: the daily burn drawn on the master's balance leaves
// out the members that pay for themselves: the one configured as an
// account of its own (whose burn is its own costs, read from the master's
// scope) and the one declared in SYNCD_ACCOUNT_<NAME>_SELF_PAYING_MEMBERS.
// The expected figures are computed by hand from the stored itemised
// records of the 7 complete days before the clock.
func TestRunwayByPayer(t *testing.T) {
	e, hidden, covered, declared := payersTenant(t, sink.EngineServer)
	ctx := context.Background()
	master := e.cfg.Accounts[0]
	master.Name = "ops"
	master.SelfPayingMembers = []string{declared.ID}
	e.cfg.Accounts = []AccountConfig{master, memberConfig(covered, "ops-m05"), memberConfig(hidden, "ops-m04")}
	p := e.open(discardLogger())
	if err := p.Sync(ctx, []string{jobs.JobLookups, jobs.JobOrg, jobs.JobBills, jobs.JobBalance}, jobs.Window{}, nil); err != nil {
		t.Fatal(err)
	}
	days := `bill_date >= toDate('2024-05-08') AND bill_date <= toDate('2024-05-14')`
	burn := func(where string) float64 {
		t.Helper()
		v := query(t, p.Sink, `SELECT toString(sum(amount)) FROM DB.cost_records WHERE `+days+` AND `+where)[0][0]
		d := mustDec(t, v).Div(decimal.NewFromInt(7))
		f, _ := d.Float64()
		return f
	}
	want := map[string]float64{
		"ops":     burn(fmt.Sprintf(`scope = 'ops' AND customer_id NOT IN ('%s', '%s')`, covered.ID, declared.ID)),
		"ops-m05": burn(fmt.Sprintf(`customer_id = '%s'`, covered.ID)),
		"ops-m04": burn(`scope = 'ops-m04'`),
	}
	everything := burn("1")
	got := burnByScope(t, p)
	for scope, w := range want {
		if w <= 0 {
			t.Fatalf("%s: no cost in the burn window; the tenant does not exercise the rule", scope)
		}
		if g, ok := got[scope]; !ok || math.Abs(g-w) > 1e-6*w {
			t.Errorf("syncd_cost_daily_burn{scope=%q} = %v (present %v), want %v", scope, g, ok, w)
		}
	}
	t.Logf("daily burn of the master: %.2f (all scopes together: %.2f)", want["ops"], everything)
	// The dashboards' runway SQL reads the payer from accounts.
	rows := query(t, p.Sink, `SELECT payer_scope, count() FROM DB.accounts WHERE scope = 'ops' GROUP BY payer_scope ORDER BY payer_scope`)
	if fmt.Sprint(rows) != fmt.Sprint([][]string{{"", "1"}, {"ops", "4"}, {"ops-m04", "1"}, {"ops-m05", "1"}}) {
		t.Errorf("payer_scope of the master's accounts = %v", rows)
	}
}

// burnByScope reads syncd_cost_daily_burn per scope.
func burnByScope(t *testing.T, p *Program) map[string]float64 {
	t.Helper()
	mfs, err := p.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "syncd_cost_daily_burn" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "scope" {
					out[l.GetValue()] += m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

// TestFirstStartBackfill: with SYNCD_BILLS_BACKFILL_MONTHS the first bills run of a process also
// syncs the months of that window that hold no stored bills (the compose stack's "Last 12
// billing months" is then filled by run --now); a later start syncs only the open months again.
func TestFirstStartBackfill(t *testing.T) {
	for _, engine := range []string{sink.EngineServer, sink.EngineEmbedded} {
		t.Run(engine, func(t *testing.T) {
			e := newE2E(t, engine)
			e.cfg.Jobs.BillsBackfillMonths = 3
			ctx := context.Background()
			p := e.open(discardLogger())
			if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{}, nil); err != nil {
				t.Fatal(err)
			}
			for _, cycle := range e.sim.Months() {
				truth := e.sim.Truth("", cycle)
				r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)) FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cycle))[0]
				if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) {
					t.Errorf("%s after the first start: %v, want %d records, %s", cycle, r, truth.Records, truth.Amount)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			p = e.open(discardLogger())
			if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{}, nil); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(query(t, p.Sink, `SELECT toString(bill_cycle), count() FROM DB.sync_runs WHERE job = 'bills' GROUP BY bill_cycle ORDER BY bill_cycle`))
			if want := "[[2024-03-01 1] [2024-04-01 1] [2024-05-01 2]]"; got != want {
				t.Errorf("bills runs per month = %s, want %s (the second start syncs only the open month)", got, want)
			}
		})
	}
}
