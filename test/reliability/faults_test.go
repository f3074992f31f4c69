package reliability

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// twentyPercent is issue 6's fault mix: 20% of requests fail with a 5xx,
// a gateway error, a 429, a reset connection, a truncated body or a 200
// carrying an error body; 10% more are slow.
var twentyPercent = bsssim.Faults{
	ServerError:  0.05,
	GatewayError: 0.03,
	Throttle:     0.04,
	Reset:        0.04,
	Truncate:     0.03,
	ErrorBody200: 0.01,
	Latency:      150 * time.Millisecond,
	LatencyRate:  0.10,
}

// TestFaultsYieldExactDataset reads every month through 20% injected faults
// and slow answers and requires the complete, exact dataset: record and
// summary counts and every money sum equal the simulator's truth, and the
// checksum over the sorted records equals a fault-free read.
func TestFaultsYieldExactDataset(t *testing.T) {
	cases := []struct {
		name   string
		faults bsssim.Faults
		cfg    bss.Config
		scale  bsssim.Scale
	}{
		// About 12,000 records a month: enough pages for the fault rates
		// to bite many times.
		{"mix20", twentyPercent, bss.Config{}, bsssim.Scale{Members: 2, RecordsPerMonth: 4000, Months: 2}},
		// Answers slower than the per-attempt timeout: each such attempt
		// times out and is retried.
		{"timeouts", bsssim.Faults{Latency: 600 * time.Millisecond, LatencyRate: 0.25}, bss.Config{Timeout: 250 * time.Millisecond},
			bsssim.Scale{Members: 2, RecordsPerMonth: 2000, Months: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, bsssim.Config{Seed: 11, Scale: tc.scale})
			clean := newClient(t, sim, fastRetries(bss.Config{RecordsRateLimit: -1, RateLimit: -1}))
			ctx := context.Background()
			refs := map[string]monthState{}
			var cleanCalls atomic.Int64
			for _, cycle := range sim.Months() {
				ref, err := readMonth(bss.WithCallCounter(ctx, &cleanCalls), clean, cycle)
				if err != nil {
					t.Fatalf("%s: fault-free read: %v", cycle, err)
				}
				if d := truthState(sim, cycle).diff(ref); d != "" {
					t.Fatalf("%s: fault-free read differs from truth: %s", cycle, d)
				}
				refs[cycle] = ref
			}
			sim.ResetStats()
			sim.SetFaults(tc.faults)
			cfg := fastRetries(tc.cfg)
			cfg.RecordsRateLimit, cfg.RateLimit = -1, -1
			faulty := newClient(t, sim, cfg, bss.WithLogger(testLogger(t)))
			var calls atomic.Int64
			cctx := bss.WithCallCounter(ctx, &calls)
			for round := range 2 {
				for _, cycle := range sim.Months() {
					got, err := readMonth(cctx, faulty, cycle)
					if err != nil {
						t.Fatalf("round %d, %s: read through faults: %v", round, cycle, err)
					}
					if d := truthState(sim, cycle).diff(got); d != "" {
						t.Errorf("%s: differs from truth: %s", cycle, d)
					}
					if got.Checksum != refs[cycle].Checksum {
						t.Errorf("%s: checksum %s, fault-free read %s", cycle, got.Checksum, refs[cycle].Checksum)
					}
				}
			}
			var faults, ok int64
			for _, st := range sim.Stats() {
				faults += st.Faults + st.Throttled
				ok += st.OK
			}
			if tc.faults.ServerError > 0 && faults < 2 {
				t.Fatalf("only %d faults were injected: the test proves little", faults)
			}
			if calls.Load() <= cleanCalls.Load() {
				t.Fatalf("%d attempts, as many as a fault-free read (%d): nothing was retried", calls.Load(), cleanCalls.Load())
			}
			t.Logf("%d attempts (fault-free read: %d), %d injected faults/throttles", calls.Load(), cleanCalls.Load(), faults)
		})
	}
}

// TestDriftSettles makes total_count change between pages for the first
// reads of a month: the client reports a *bss.DriftError until the month
// holds still, then the re-read equals the truth.
func TestDriftSettles(t *testing.T) {
	sim := newSim(t, bsssim.Config{Seed: 12})
	c := newClient(t, sim, fastRetries(bss.Config{RecordsRateLimit: -1, RateLimit: -1}))
	cycle := sim.Months()[1]
	if err := sim.SetDrift(cycle, 3); err != nil {
		t.Fatal(err)
	}
	drifts := 0
	for attempt := 1; ; attempt++ {
		got, err := readMonth(context.Background(), c, cycle)
		var de *bss.DriftError
		if errors.As(err, &de) {
			drifts++
			if de.Operation != bss.OpResourceRecords {
				t.Errorf("drift operation %q", de.Operation)
			}
			if attempt >= 6 {
				t.Fatalf("still drifting after %d reads: %v", attempt, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("read %d: %v", attempt, err)
		}
		if d := truthState(sim, cycle).diff(got); d != "" {
			t.Fatalf("settled read differs from truth: %s", d)
		}
		break
	}
	if drifts == 0 {
		t.Fatal("no drift was reported")
	}
}

// TestDriftNeverSettles requires every read of a month whose total_count
// never holds still to end in a typed *bss.DriftError, never in a
// silently short or long dataset.
func TestDriftNeverSettles(t *testing.T) {
	sim := newSim(t, bsssim.Config{Seed: 13})
	c := newClient(t, sim, fastRetries(bss.Config{RecordsRateLimit: -1, RateLimit: -1}))
	cycle := sim.Months()[0]
	if err := sim.SetDrift(cycle, -1); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		_, err := readMonth(context.Background(), c, cycle)
		var de *bss.DriftError
		if !errors.As(err, &de) {
			t.Fatalf("read %d: err = %v, want a *bss.DriftError", i, err)
		}
		if bss.IsRetryable(err) {
			t.Errorf("drift is retryable per IsRetryable; the caller must re-read the month instead")
		}
		t.Logf("read %d: %v", i, err)
	}
}

// TestQuotaPoliteness runs several operations at once against a simulator
// enforcing the documented quotas. Every call must succeed (throttles, if
// any, recovered) and no operation may exceed its quota by more than the
// simulator's bucket allows. Whether the client reaches 0.9 of each quota is
// measured by `go run ./test/bench -case utilisation`, not asserted here.
func TestQuotaPoliteness(t *testing.T) {
	sim := newSim(t, bsssim.Config{Seed: 14, Now: time.Now, Quotas: bsssim.DocumentedQuotas()})
	c := newClient(t, sim, fastRetries(bss.Config{}))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cycle, err := bss.ParseMonth(sim.Months()[0])
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(context.Context) error{
		bss.OpResourceRecords: func(ctx context.Context) error {
			_, _, err := c.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}, bss.ListOptions{Limit: 10})
			return err
		},
		bss.OpMonthlySum: func(ctx context.Context) error {
			_, _, _, err := c.ListMonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle}, bss.ListOptions{Limit: 10})
			return err
		},
		bss.OpBalances: func(ctx context.Context) error { _, err := c.Balances(ctx); return err },
	}
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := map[string]int{}
	var failures []error
	for op, call := range ops {
		for range 3 { // more callers than the pace allows: the limiter must hold them back
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					err := call(ctx)
					mu.Lock()
					if err == nil {
						done[op]++
					} else if ctx.Err() == nil {
						failures = append(failures, err)
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	for _, err := range failures {
		t.Errorf("failed call: %v", err)
	}
	quotas := bsssim.DocumentedQuotas()
	stats := sim.Stats()
	for op := range ops {
		rate := float64(done[op]) / elapsed
		t.Logf("%s: %d calls in %.2fs = %.1f/s (quota %.0f/s), simulator throttled %d", op, done[op], elapsed, rate, quotas[op], stats[op].Throttled)
		if done[op] == 0 {
			t.Errorf("%s: no call completed", op)
		}
		// One second of burst plus the quota over the run.
		if limit := quotas[op]*elapsed + quotas[op] + 1; float64(stats[op].OK) > limit {
			t.Errorf("%s: %d answered requests in %.2fs exceed the quota %.0f/s", op, stats[op].OK, elapsed, quotas[op])
		}
	}
}
