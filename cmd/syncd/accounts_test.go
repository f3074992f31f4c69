package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// TestSeveralAccounts syncs two accounts with their own credentials: the
// enterprise master reading its members one by one (members=each) and one
// member account reading only its own bills. Each scope must hold exactly
// what its credentials can see.
func TestSeveralAccounts(t *testing.T) {
	e := newE2E(t, sink.EngineServer)
	var member bsssim.Account
	for _, a := range e.sim.Accounts() {
		if !a.Master && a.Independent {
			member = a
			break
		}
	}
	if member.ID == "" {
		t.Fatal("the simulator has no independent member")
	}
	master := e.cfg.Accounts[0]
	master.Name, master.Members = "master", string(jobs.MembersEach)
	e.cfg.Accounts = []AccountConfig{master, {
		Name:           "member",
		Credentials:    bss.Credentials{AK: bss.Secret(member.AK), SK: bss.Secret(member.SK), DomainID: member.ID},
		AccountOptions: AccountOptions{Members: string(jobs.MembersNone), Settlement: "monthly"},
	}}
	p := &Program{Config: e.cfg, Logger: discardLogger(), Now: func() time.Time { return e2eNow }}
	ctx := context.Background()
	if err := p.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	w, err := demoWindow(e.sim.Months())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx, []string{jobs.JobLookups, jobs.JobOrg, jobs.JobBills, jobs.JobBalance, jobs.JobPackage}, w, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		scope, truthScope string
	}{{"master", ""}, {"member", member.ID}} {
		for _, cycle := range e.sim.Months() {
			truth := e.sim.Truth(c.truthScope, cycle)
			r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)) FROM DB.cost_records WHERE scope = '%s' AND bill_cycle = toDate('%s-01')`, c.scope, cycle))[0]
			if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) {
				t.Errorf("%s %s: %s records, amount %s; want %d, %s", c.scope, cycle, r[0], r[1], truth.Records, truth.Amount)
			}
		}
	}
	for _, c := range []struct{ scope, customer string }{{"master", bsssim.DemoDomainID}, {"member", member.ID}} {
		r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), uniqExact(customer_id), any(customer_id) FROM DB.balances WHERE scope = '%s'`, c.scope))[0]
		if r[0] == "0" || r[1] != "1" || r[2] != c.customer {
			t.Errorf("balances of %s: %v, want rows of customer %s", c.scope, r, c.customer)
		}
	}
	if r := query(t, p.Sink, `SELECT countIf(scope = 'master'), countIf(scope = 'member') FROM DB.org_units`)[0]; r[0] == "0" || r[1] != "0" {
		t.Errorf("org_units per scope (master, member) = %v, want the master's tree only", r)
	}
	// One sync_runs row per job and scope (per month for bills); look-ups
	// run once, with the first account; the member is no master: no org.
	got := fmt.Sprint(query(t, p.Sink, `SELECT scope, job, count() FROM DB.sync_runs WHERE status = 'success' GROUP BY scope, job ORDER BY scope, job`))
	months := len(e.sim.Months())
	want := fmt.Sprint([][]string{{"master", "balances", "1"}, {"master", "bills", fmt.Sprint(months)}, {"master", "lookups", "1"},
		{"master", "org", "1"}, {"master", "packages", "1"}, {"member", "balances", "1"}, {"member", "bills", fmt.Sprint(months)},
		{"member", "packages", "1"}})
	if got != want {
		t.Errorf("sync_runs = %s, want %s", got, want)
	}
}

// TestTooManyMembersFallsBack: a master whose method=all query is refused
// with CBC.18000048 (more than 1000 independent members) is read member by
// member instead, with the same result.
func TestTooManyMembersFallsBack(t *testing.T) {
	e := newE2E(t, sink.EngineServer)
	e.sim.SetMaxIndependentForAll(1)
	var logs syncBuffer
	p := &Program{Config: e.cfg, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return e2eNow }}
	ctx := context.Background()
	if err := p.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cur := bss.MonthOf(e2eNow)
	if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{From: cur, To: cur}, nil); err != nil {
		t.Fatal(err)
	}
	truth := e.sim.Truth("", cur.String())
	r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)) FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cur))[0]
	if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) {
		t.Errorf("%s: %s records, amount %s; want %d, %s", cur, r[0], r[1], truth.Records, truth.Amount)
	}
	if !strings.Contains(logs.String(), "CBC.18000048") {
		t.Errorf("method=all was not refused, so the fallback was not exercised; logs:\n%s", logs.String())
	}
}
