package jobs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs/jobstest"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func TestMain(m *testing.M) { sinktest.Main(m) }

// monthRig is the bills job as the program wires it (look-ups first, a
// RunLog on the sink, the sink's integrity and coverage stores) against a
// simulator without members (method=oneself) and a real sink.
type monthRig struct {
	t       *testing.T
	sim     *bsssim.Simulator
	source  Source
	cfg     sink.Config
	logs    *bytes.Buffer
	sink    *sink.Sink
	metrics *Metrics
	bills   *Bills
	lookups *Lookups
}

// driftNow is the fixed clock of the rigs: mid-month, so the previous month
// is final.
var driftNow = jobstest.Now

// newMonthRig starts a rig on the server engine whose simulator holds one
// month of 2,500 records.
func newMonthRig(t *testing.T) *monthRig {
	t.Helper()
	return newMonthRigWith(t, bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 2500}, bss.SiteChina)
}

// newMonthRigWith is newMonthRig with another simulator scale, or the
// client of another site.
func newMonthRigWith(t *testing.T, scale bsssim.Scale, site bss.Site) *monthRig {
	t.Helper()
	return newMonthRigOn(t, sink.EngineServer, scale, site)
}

// newMonthRigOn is newMonthRigWith on another engine.
func newMonthRigOn(t *testing.T, engine string, scale bsssim.Scale, site bss.Site) *monthRig {
	t.Helper()
	sim := bsssim.New(bsssim.Config{Now: rigNow, Scale: scale})
	r := &monthRig{t: t, sim: sim, source: jobstest.Client(t, jobstest.Serve(t, sim), site, rigNow), cfg: sinktest.Config(t, engine), logs: &bytes.Buffer{}}
	r.open()
	t.Cleanup(func() {
		if err := r.sink.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return r
}

func rigNow() time.Time { return driftNow }

// open opens the sink and wires fresh jobs on it, as a starting process does.
func (r *monthRig) open() {
	t := r.t
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(r.logs, nil))
	s, err := sink.Open(ctx, r.cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	accounts := []Account{{Scope: "acme", CustomerID: bsssim.DemoDomainID, Source: r.source, Members: MembersNone, FinalDay: 3}}
	noMembers := func(context.Context, string) ([]string, error) { return nil, nil }
	m := NewMetrics()
	m.Init([]string{JobLookups, JobBills}, []string{"acme"})
	runs := &RunLog{Store: s}
	names := &Names{}
	r.sink, r.metrics = s, m
	r.lookups = &Lookups{Accounts: accounts, Names: names, Runs: runs, Metrics: m, Logger: logger, Now: rigNow}
	r.bills = &Bills{
		Accounts: accounts, Store: SinkMonths{Sink: s}, Runs: runs, Names: names, Metrics: m, Logger: logger,
		Members: noMembers, Now: rigNow, Attempts: 3, FinalHour: 10, RecheckMonths: 3, Integrity: s,
		Coverage: &Coverage{Accounts: accounts, Members: noMembers, Logger: logger, Now: rigNow}, Covered: s,
	}
}

// restart closes the sink (an engine restart, for the embedded engine) and
// opens it again with fresh jobs, as a new process does.
func (r *monthRig) restart() {
	r.t.Helper()
	if err := r.sink.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

// sync runs the look-ups and then fn through the Runner, as `syncd sync
// --job bills` does.
func (r *monthRig) sync(ctx context.Context, fn RunFunc, w Window) error {
	runner := &Runner{Logger: slog.New(slog.DiscardHandler), Metrics: r.metrics, Now: r.bills.Now}
	if o := runner.Run(ctx, JobLookups, 0, r.lookups.Run, w); o.Err != nil {
		return fmt.Errorf("%s: %w", JobLookups, o.Err)
	}
	if o := runner.Run(ctx, JobBills, 0, fn, w); o.Err != nil {
		return fmt.Errorf("%s: %w", JobBills, o.Err)
	}
	return nil
}

// all is the window of every month the simulator has.
func (r *monthRig) all() Window {
	ms := r.sim.Months()
	from, err := bss.ParseMonth(ms[0])
	if err != nil {
		r.t.Fatal(err)
	}
	to, err := bss.ParseMonth(ms[len(ms)-1])
	if err != nil {
		r.t.Fatal(err)
	}
	return Window{From: from, To: to}
}

func (r *monthRig) query(t *testing.T, q string) [][]string {
	t.Helper()
	return jobstest.Query(t, r.sink, q)
}

// fingerprint sums up the stored bills and the org tables, to see that a
// failed month changed nothing.
func (r *monthRig) fingerprint(t *testing.T) string {
	t.Helper()
	return jobstest.Fingerprint(t, r.sink)
}

// gauge sums the series of a gauge family of the rig's metrics.
func (r *monthRig) gauge(t *testing.T, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.metrics.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			total := 0.0
			for _, m := range mf.GetMetric() {
				total += m.GetGauge().GetValue()
			}
			return total
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// checkBills compares every month the simulator has with the stored months,
// to the last decimal.
func (r *monthRig) checkBills(t *testing.T) {
	t.Helper()
	jobstest.CheckBills(t, r.sink, r.sim, "acme")
}

// TestBillsDriftKeepsMonth: a month whose total_count never settles is
// retried a bounded number of times, then the stored month is kept, the run
// fails, the unstable gauge counts it and sync_runs records the failure.
// When the month settles again the next run replaces it.
func TestBillsDriftKeepsMonth(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	cycle := bss.MonthOf(driftNow).String()
	w := Window{From: bss.MonthOf(driftNow), To: bss.MonthOf(driftNow)}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatal(err)
	}
	before := r.fingerprint(t)

	if err := r.sim.SetDrift(cycle, -1); err != nil {
		t.Fatal(err)
	}
	calls := r.sim.RequestCount(bsssim.OpResourceRecords)
	err := r.sync(ctx, r.bills.Run, w)
	if err == nil || !strings.Contains(err.Error(), "kept drifting in 3 attempts") {
		t.Fatalf("Sync with a drifting month = %v, want a drift error after 3 attempts", err)
	}
	if got := r.sim.RequestCount(bsssim.OpResourceRecords) - calls; got < 3 {
		t.Errorf("resource record requests = %d, want at least one per attempt (3)", got)
	}
	if got := r.fingerprint(t); got != before {
		t.Errorf("a failed month changed the tables:\nbefore %s\nafter  %s", before, got)
	}
	if got := r.gauge(t, "syncd_bills_unstable_months"); got != 1 {
		t.Errorf("syncd_bills_unstable_months = %v, want 1", got)
	}
	// The fixed test clock gives every row the same finished_at: count.
	rows := r.query(t, `SELECT countIf(status = 'failure'), countIf(status = 'failure' AND position(error, 'drift') > 0) FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs failures (all, mentioning drift) = %v, want 1 1", rows[0])
	}

	if err := r.sim.SetDrift(cycle, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatalf("Sync after the month settled: %v", err)
	}
	if got := r.gauge(t, "syncd_bills_unstable_months"); got != 0 {
		t.Errorf("syncd_bills_unstable_months = %v after a stable run, want 0", got)
	}
	r.checkBills(t)
}

// TestInterruptedMonthKept cancels a bills run in the middle of a month (as
// SIGTERM does) and checks that the stored month is exactly as before.
func TestInterruptedMonthKept(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	cur := bss.MonthOf(driftNow)
	w := Window{From: cur, To: cur}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatal(err)
	}
	before := r.fingerprint(t)
	if _, err := r.sim.Reissue(cur.String()); err != nil {
		t.Fatal(err)
	}
	r.sim.SetFaults(bsssim.Faults{Latency: 300 * time.Millisecond, Operations: []string{bsssim.OpResourceRecords}})
	cctx, cancel := context.WithTimeout(ctx, 450*time.Millisecond) // after the first page, before the last
	defer cancel()
	if err := r.bills.Run(cctx, w); err == nil {
		t.Fatal("interrupted bills run succeeded")
	}
	if got := r.fingerprint(t); got != before {
		t.Errorf("an interrupted run changed the month:\nbefore %s\nafter  %s", before, got)
	}
	rows := r.query(t, `SELECT countIf(status = 'failure'), countIf(status = 'success') FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs for bills (failures, successes) = %v, want the interrupted run recorded as a failure: 1 1", rows[0])
	}
	r.sim.SetFaults(bsssim.Faults{})
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	r.checkBills(t)
}
