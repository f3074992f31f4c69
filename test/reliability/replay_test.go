package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

const testScope = "acme"

// billsEnv is the bills job of one scope wired to a simulator and a sink.
type billsEnv struct {
	t       *testing.T
	sim     *bsssim.Server
	clean   *bss.Client // fault-free, unpaced: the reference reader
	sink    *sink.Sink
	bills   *jobs.Bills
	metrics *jobs.Metrics
	window  jobs.Window
}

func newBillsEnv(t *testing.T, engine string, sim *bsssim.Server, cfg bss.Config) *billsEnv {
	t.Helper()
	s := sinktest.Open(t, engine)
	m := jobs.NewMetrics()
	c := newClient(t, sim, fastRetries(cfg))
	months := sim.Months()
	from, err := bss.ParseMonth(months[0])
	if err != nil {
		t.Fatal(err)
	}
	to, err := bss.ParseMonth(months[len(months)-1])
	if err != nil {
		t.Fatal(err)
	}
	now := sim.Config().Now
	return &billsEnv{
		t: t, sim: sim, sink: s, metrics: m,
		clean:  newClient(t, sim, fastRetries(bss.Config{RecordsRateLimit: -1, RateLimit: -1})),
		window: jobs.Window{From: from, To: to},
		bills: &jobs.Bills{
			Accounts: []jobs.Account{{Scope: testScope, CustomerID: bsssim.DemoDomainID, Source: c, Members: jobs.MembersAll, FinalDay: 3}},
			Store:    jobs.SinkMonths{Sink: s}, Runs: s, Names: &jobs.Names{}, Metrics: m, Logger: testLogger(t), Now: now,
		},
	}
}

// expected returns the truth of every month with the checksum of a
// fault-free read (the truth has no record IDs).
func (e *billsEnv) expected() map[string]monthState {
	e.t.Helper()
	return expectedMonths(e.t, e.sim, e.clean, e.sim.Months())
}

// stored returns the stored state of every month.
func (e *billsEnv) stored() map[string]monthState {
	e.t.Helper()
	return storedMonths(e.t, e.sink, e.sim.Months())
}

func (e *billsEnv) requireStored(what string, want map[string]monthState) {
	e.t.Helper()
	got := e.stored()
	for cycle, w := range want {
		if d := w.diff(got[cycle]); d != "" {
			e.t.Errorf("%s: month %s: stored differs from expected: %s", what, cycle, d)
		}
	}
}

func (e *billsEnv) query(q string) [][]string {
	e.t.Helper()
	res, err := e.sink.Query(context.Background(), strings.ReplaceAll(q, "DB.", e.sink.Database()+"."))
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

// TestReplayAndReissue syncs the same months three times, with 20% API
// faults on the way, then re-issues two months and syncs again: after every
// run each month's counts, exact sums and checksum over the records sorted
// by record_id equal the simulator's truth, read without FINAL.
func TestReplayAndReissue(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			sim := newSim(t, bsssim.Config{Seed: 21, Faults: twentyPercent})
			e := newBillsEnv(t, engine, sim, bss.Config{RecordsRateLimit: -1, RateLimit: -1})
			sim.SetFaults(bsssim.Faults{})
			want := e.expected()
			sim.SetFaults(twentyPercent)
			ctx := context.Background()
			for i := 1; i <= 3; i++ {
				if err := e.bills.Run(ctx, e.window); err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
				e.requireStored(fmt.Sprintf("run %d", i), want)
			}
			months := sim.Months()
			for _, cycle := range months[1:] {
				if _, err := sim.Reissue(cycle); err != nil {
					t.Fatal(err)
				}
			}
			sim.SetFaults(bsssim.Faults{})
			newWant := e.expected()
			sim.SetFaults(twentyPercent)
			if newWant[months[1]].Checksum == want[months[1]].Checksum {
				t.Fatal("re-issue changed nothing: the test proves nothing")
			}
			if err := e.bills.Run(ctx, e.window); err != nil {
				t.Fatalf("run after re-issue: %v", err)
			}
			e.requireStored("after re-issue", newWant)
			rows := e.query(`SELECT status, count() FROM DB.sync_runs WHERE job = 'bills' GROUP BY status ORDER BY status`)
			if len(rows) != 1 || rows[0][0] != sink.RunSuccess || rows[0][1] != fmt.Sprint(4*len(months)) {
				t.Errorf("sync_runs = %v, want %d successful month runs", rows, 4*len(months))
			}
		})
	}
}

// TestDriftNeverSettlesKeepsMonth makes a stored month's total_count drift
// forever: the run fails, no swap happens (the last good month stays, to
// the checksum), sync_runs records the failure and
// syncd_bills_unstable_months is set; once the month settles, the next run
// converges.
func TestDriftNeverSettlesKeepsMonth(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			sim := newSim(t, bsssim.Config{Seed: 22})
			e := newBillsEnv(t, engine, sim, bss.Config{RecordsRateLimit: -1, RateLimit: -1})
			ctx := context.Background()
			want := e.expected()
			if err := e.bills.Run(ctx, e.window); err != nil {
				t.Fatal(err)
			}
			e.requireStored("first run", want)
			cycle := sim.Months()[1]
			if _, err := sim.Reissue(cycle); err != nil {
				t.Fatal(err)
			}
			if err := sim.SetDrift(cycle, -1); err != nil {
				t.Fatal(err)
			}
			err := e.bills.Run(ctx, e.window)
			if err == nil {
				t.Fatal("run over a month that never settles succeeded")
			}
			t.Logf("run error: %v", err)
			e.requireStored("after the drifting run", want) // previous content, not the re-issue, not a mix
			if got := gauge(t, e.metrics, "syncd_bills_unstable_months", map[string]string{"scope": testScope}); got != 1 {
				t.Errorf("syncd_bills_unstable_months = %v, want 1", got)
			}
			rows := e.query(fmt.Sprintf(`SELECT count() FROM DB.sync_runs WHERE job = 'bills' AND status = 'failure' AND bill_cycle = toDate('%s-01') AND error != ''`, cycle))
			if rows[0][0] != "1" {
				t.Errorf("failure rows in sync_runs for %s = %s, want 1", cycle, rows[0][0])
			}
			if err := sim.SetDrift(cycle, 0); err != nil {
				t.Fatal(err)
			}
			want = e.expected()
			if err := e.bills.Run(ctx, e.window); err != nil {
				t.Fatalf("run after the month settled: %v", err)
			}
			e.requireStored("after the month settled", want)
			if got := gauge(t, e.metrics, "syncd_bills_unstable_months", map[string]string{"scope": testScope}); got != 0 {
				t.Errorf("syncd_bills_unstable_months = %v after a clean run, want 0", got)
			}
		})
	}
}

// gauge returns the value of the named gauge with the given labels.
func gauge(t *testing.T, m *jobs.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	for _, c := range m.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return mt.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}
