package reliability

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// requestedCycles returns the bill months of the itemised-records requests
// sim logged since its last ResetStats, in order, without repeats.
func requestedCycles(t *testing.T, sim *bsssim.Server) []string {
	t.Helper()
	var out []string
	for _, r := range sim.Requests() {
		if r.Operation != bsssim.OpResourceRecords {
			continue
		}
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Fatal(err)
		}
		if c := q.Get("cycle"); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// TestInterruptAndResume signals a real `syncd sync --from` backfill in the
// middle (SIGINT, then SIGTERM), and checks that an interruption is its own
// outcome: exit 130/143, no ERROR line, a summary naming what finished and
// how to continue, and `interrupted`, never `failure`, in sync_runs. Then
// the same command again reads only the months the interrupted runs did not
// commit (counted in the simulator's request log), a scheduled bills run
// still reads the open month and a recheck the closed months the backfill
// committed, the completed backfill run again is a full re-sync, and
// --force re-reads everything at once.
func TestInterruptAndResume(t *testing.T) {
	s := sinktest.Open(t, sink.EngineServer)
	sim := newSim(t, bsssim.Config{Seed: 12, Now: time.Now, LogRequests: 100000,
		Scale:  bsssim.Scale{Members: 1, RecordsPerMonth: 400, Months: 9},
		Faults: bsssim.Faults{Latency: 10 * time.Millisecond}})
	months := sim.Months()
	env := syncdEnv(sim.URL, sinktest.DSN(t), s.Database(), "SYNCD_BSS_PREFETCH=1")
	backfill := []string{"sync", "--job", "bills", "--from", months[0], "--to", months[len(months)-1]}
	command := "syncd " + strings.Join(backfill, " ")

	statuses := func() map[string]int {
		res, err := s.Query(t.Context(), "SELECT status, count() AS n FROM "+s.Database()+".sync_runs WHERE job = 'bills' GROUP BY status")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for i := range res.Rows {
			n, err := strconv.Atoi(res.Value(i, "n"))
			if err != nil {
				t.Fatal(err)
			}
			out[res.Value(i, "status")] = n
		}
		return out
	}
	open := func(m string) bool {
		for _, o := range jobs.OpenMonths(time.Now(), 3, 10) {
			if o.String() == m {
				return true
			}
		}
		return false
	}
	committed := func() map[string]bool {
		res, err := s.Query(t.Context(), "SELECT DISTINCT toString(bill_cycle) AS c FROM "+s.Database()+
			".sync_runs WHERE job = 'bills' AND status = 'success'")
		if err != nil {
			t.Fatal(err)
		}
		done := map[string]bool{}
		for i := range res.Rows {
			done[res.Value(i, "c")[:7]] = true
		}
		return done
	}
	var before map[string]bool
	for i, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		sim.ResetStats()
		p := startSyncd(t, env, backfill...)
		seen := 0
		for line := range p.lines {
			if strings.Contains(line, `"msg":"month committed"`) {
				if seen++; seen == 2 {
					break
				}
			}
		}
		_ = p.cmd.Process.Signal(sig)
		code := p.wait(t, 2*time.Minute)
		out := p.output()
		want := 128 + int(sig)
		t.Logf("run %d, %s: exit %d; summary:\n%s", i+1, sig, code, tail(out, 500))
		if code != want {
			t.Errorf("%s: exit %d, want %d", sig, code, want)
		}
		if strings.Contains(out, `"level":"ERROR"`) {
			t.Errorf("%s: an interruption is logged at ERROR:\n%s", sig, grepLines(out, `"level":"ERROR"`))
		}
		for _, sub := range []string{"interrupted by " + map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig],
			"not a failure", "finished: lookups", "stopped: bills (", "to continue, run the same command again: " + command} {
			if !strings.Contains(out, sub) {
				t.Errorf("%s: the summary lacks %q:\n%s", sig, sub, tail(out, 1500))
			}
		}
		if before != nil {
			// The second run resumed the first: what that committed is not read again.
			for _, c := range requestedCycles(t, sim) {
				if before[c] && !open(c) {
					t.Errorf("run %d re-read %s, committed by the interrupted run before it", i+1, c)
				}
			}
		}
		before = committed()
	}
	st := statuses()
	t.Logf("sync_runs statuses of bills after two interruptions: %v", st)
	if st[sink.RunFailure] != 0 || st[sink.RunInterrupted] == 0 {
		t.Errorf("sync_runs statuses %v: want interrupted rows and no failure", st)
	}

	// The same command again: only the months not yet committed are read,
	// and the open ones (always).
	var wantRead []string
	for _, m := range months {
		if !before[m] || open(m) {
			wantRead = append(wantRead, m)
		}
	}
	sim.ResetStats()
	code, out := runSyncd(t, env, backfill...)
	if code != 0 {
		t.Fatalf("resumed backfill: exit %d:\n%s", code, tail(out, 3000))
	}
	got := requestedCycles(t, sim)
	t.Logf("resumed backfill of %d months read %v (%d records calls); committed before: %v", len(months), got, sim.RequestCount(bsssim.OpResourceRecords), before)
	if !slices.Equal(got, wantRead) {
		t.Errorf("resumed backfill read months %v, want %v (those the interrupted runs did not commit, and the open ones)", got, wantRead)
	}
	if len(got) >= len(months) {
		t.Errorf("the resumed backfill read every month again")
	}

	// Scheduled jobs still read what they always read.
	sim.ResetStats()
	if code, out := runSyncd(t, env, "sync", "--job", "bills"); code != 0 {
		t.Fatalf("bills run: exit %d:\n%s", code, tail(out, 3000))
	}
	if got := requestedCycles(t, sim); !slices.Contains(got, months[len(months)-1]) {
		t.Errorf("scheduled bills run read %v, want the open month %s", got, months[len(months)-1])
	}
	sim.ResetStats()
	if code, out := runSyncd(t, env, "sync", "--job", "recheck"); code != 0 {
		t.Fatalf("recheck run: exit %d:\n%s", code, tail(out, 3000))
	}
	if got := requestedCycles(t, sim); len(got) != 3 {
		t.Errorf("recheck read %v, want the 3 most recent closed months (committed by the backfill, read again)", got)
	}

	// The backfill is complete: the same command is a full re-sync, and so
	// is --force.
	for _, args := range [][]string{backfill, append(slices.Clone(backfill), "--force")} {
		sim.ResetStats()
		if code, out := runSyncd(t, env, args...); code != 0 {
			t.Fatalf("%v: exit %d:\n%s", args, code, tail(out, 3000))
		}
		if got := requestedCycles(t, sim); !slices.Equal(got, months) {
			t.Errorf("%v read %v, want every month %v", args, got, months)
		}
	}
}
