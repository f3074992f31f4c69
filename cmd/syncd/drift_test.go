package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// openOneMonth opens the daemon on the server engine against a simulator
// with one month of bills and no members (method=oneself), for the tests
// of failing months.
func openOneMonth(t *testing.T) (*e2e, *bsssim.Simulator, *Program) {
	t.Helper()
	sim := bsssim.New(bsssim.Config{Now: func() time.Time { return e2eNow }, Scale: bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 2500}})
	e := newE2E(t, sink.EngineServer)
	e.sim = sim
	e.cfg.BSS.Endpoint = newSimServer(t, sim)
	e.cfg.Accounts[0].Members = string(jobs.MembersNone)
	return e, sim, e.open(discardLogger())
}

// TestBillsDriftKeepsMonth: a month whose total_count never settles is
// retried a bounded number of times, then the stored month is kept, the run
// fails, the unstable gauge counts it and sync_runs records the failure.
// When the month settles again the next run replaces it.
func TestBillsDriftKeepsMonth(t *testing.T) {
	e, sim, p := openOneMonth(t)
	ctx := context.Background()
	cycle := bss.MonthOf(e2eNow).String()
	w := jobs.Window{From: bss.MonthOf(e2eNow), To: bss.MonthOf(e2eNow)}
	if err := p.Sync(ctx, []string{jobs.JobBills}, w, nil); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, p.Sink)

	if err := sim.SetDrift(cycle, -1); err != nil {
		t.Fatal(err)
	}
	calls := sim.RequestCount(bsssim.OpResourceRecords)
	err := p.Sync(ctx, []string{jobs.JobBills}, w, nil)
	if err == nil || !strings.Contains(err.Error(), "kept drifting in 3 attempts") {
		t.Fatalf("Sync with a drifting month = %v, want a drift error after 3 attempts", err)
	}
	if got := sim.RequestCount(bsssim.OpResourceRecords) - calls; got < 3 {
		t.Errorf("resource record requests = %d, want at least one per attempt (3)", got)
	}
	if got := fingerprint(t, p.Sink); got != before {
		t.Errorf("a failed month changed the tables:\nbefore %s\nafter  %s", before, got)
	}
	if got := gaugeValue(t, p, "syncd_bills_unstable_months"); got != 1 {
		t.Errorf("syncd_bills_unstable_months = %v, want 1", got)
	}
	// The fixed test clock gives every row the same finished_at: count.
	rows := query(t, p.Sink, `SELECT countIf(status = 'failure'), countIf(status = 'failure' AND position(error, 'drift') > 0) FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs failures (all, mentioning drift) = %v, want 1 1", rows[0])
	}

	if err := sim.SetDrift(cycle, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx, []string{jobs.JobBills}, w, nil); err != nil {
		t.Fatalf("Sync after the month settled: %v", err)
	}
	if got := gaugeValue(t, p, "syncd_bills_unstable_months"); got != 0 {
		t.Errorf("syncd_bills_unstable_months = %v after a stable run, want 0", got)
	}
	e.checkBills(p.Sink)
}

func newSimServer(t *testing.T, sim *bsssim.Simulator) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// TestInterruptedMonthKept cancels a bills run in the middle of a month (as
// SIGTERM does) and checks that the stored month is exactly as before.
func TestInterruptedMonthKept(t *testing.T) {
	e, sim, p := openOneMonth(t)
	ctx := context.Background()
	cur := bss.MonthOf(e2eNow)
	w := jobs.Window{From: cur, To: cur}
	if err := p.Sync(ctx, []string{jobs.JobBills}, w, nil); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, p.Sink)
	if _, err := sim.Reissue(cur.String()); err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(bsssim.Faults{Latency: 300 * time.Millisecond, Operations: []string{bsssim.OpResourceRecords}})
	cctx, cancel := context.WithTimeout(ctx, 450*time.Millisecond) // after the first page, before the last
	defer cancel()
	if err := p.runners[jobs.JobBills](cctx, w); err == nil {
		t.Fatal("interrupted bills run succeeded")
	}
	if got := fingerprint(t, p.Sink); got != before {
		t.Errorf("an interrupted run changed the month:\nbefore %s\nafter  %s", before, got)
	}
	rows := query(t, p.Sink, `SELECT countIf(status = 'failure'), countIf(status = 'success') FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs for bills (failures, successes) = %v, want the interrupted run recorded as a failure: 1 1", rows[0])
	}
	sim.SetFaults(bsssim.Faults{})
	if err := p.Sync(ctx, []string{jobs.JobBills}, w, nil); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	e.checkBills(p.Sink)
}
