package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

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
	p := e.open(discardLogger())
	ctx := context.Background()
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
	// run once, with the first account; the member is no master: its org
	// run stores no tree (and no account: the master lists it).
	got := fmt.Sprint(query(t, p.Sink, `SELECT scope, job, count() FROM DB.sync_runs WHERE status = 'success' GROUP BY scope, job ORDER BY scope, job`))
	months := len(e.sim.Months())
	want := fmt.Sprint([][]string{{"master", "balances", "1"}, {"master", "bills", fmt.Sprint(months)}, {"master", "lookups", "1"},
		{"master", "org", "1"}, {"master", "packages", "1"}, {"member", "balances", "1"}, {"member", "bills", fmt.Sprint(months)},
		{"member", "org", "1"}, {"member", "packages", "1"}})
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
	p := e.open(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	cur := bss.MonthOf(e2eNow)
	if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{From: cur, To: cur}, nil); err != nil {
		t.Fatal(err)
	}
	truth := e.sim.Truth("", cur.String())
	r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)) FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cur))[0]
	if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) {
		t.Errorf("%s: %s records, amount %s; want %d, %s", cur, r[0], r[1], truth.Records, truth.Amount)
	}
	wantConsume := decimal.Zero
	for _, ms := range truth.MonthlySums {
		wantConsume = wantConsume.Add(ms.ConsumeAmount)
	}
	sr := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(consume_amount)) FROM DB.bill_summaries WHERE bill_cycle = toDate('%s-01')`, cur))[0]
	if sr[0] != fmt.Sprint(len(truth.MonthlySums)) || !mustDec(t, sr[1]).Equal(wantConsume) {
		t.Errorf("%s: %s bill summaries, consume %s; want %d, %s", cur, sr[0], sr[1], len(truth.MonthlySums), wantConsume)
	}
	if !strings.Contains(logs.String(), "CBC.18000048") {
		t.Errorf("method=all was not refused, so the fallback was not exercised; logs:\n%s", logs.String())
	}
}

// TestInternationalSite syncs an account on the international site, where
// the org-tree API does not exist: every job succeeds, bills are in USD
// and match the simulator's truth, members are stored, and no org-tree
// request is sent.
func TestInternationalSite(t *testing.T) {
	sim := bsssim.New(bsssim.Config{Site: bsssim.SiteIntl, Now: func() time.Time { return e2eNow }, Scale: bsssim.Scale{Months: 1, RecordsPerMonth: 500}})
	e := newE2E(t, sink.EngineServer)
	e.cfg.BSS.Endpoint = newSimServer(t, sim)
	e.cfg.BSS.Site = bss.SiteInternational
	var logs syncBuffer
	p := e.open(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	cur := bss.MonthOf(e2eNow)
	names, _ := ParseJobs("")
	if err := p.Sync(ctx, names, jobs.Window{From: cur, To: cur}, nil); err != nil {
		t.Fatalf("sync on the intl site: %v\n%s", err, logs.String())
	}
	truth := sim.Truth("", cur.String())
	r := query(t, p.Sink, fmt.Sprintf(`SELECT count(), toString(sum(amount)), arrayStringConcat(groupUniqArray(currency), ',') FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cur))[0]
	if r[0] != fmt.Sprint(truth.Records) || !mustDec(t, r[1]).Equal(truth.Amount) || r[2] != "USD" {
		t.Errorf("intl %s: %v; want %d records, amount %s, USD only", cur, r, truth.Records, truth.Amount)
	}
	org := query(t, p.Sink, `SELECT (SELECT count() FROM DB.org_units), (SELECT count() FROM DB.accounts)`)[0]
	if org[0] != "0" || org[1] != fmt.Sprint(len(sim.Accounts())) {
		t.Errorf("intl org_units, accounts = %v; want 0 and the master with its %d members", org, len(sim.Accounts())-1)
	}
	if n := sim.RequestCount(bsssim.OpOrganizations); n != 0 {
		t.Errorf("%d org-tree requests on the intl site, want 0", n)
	}
	if !strings.Contains(logs.String(), "organisation tree not offered") {
		t.Errorf("no log line about the missing org tree:\n%s", logs.String())
	}
}
