package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// The tests in this file use the faultinject build of cmd/syncd
// (cmd/syncd/fault_faultinject.go; the sink calls its fault hook, internal/sink/fault.go):
//
//	SYNCD_FAULT_PANIC_JOB=<job>          every run of the job panics
//	SYNCD_FAULT_CRASH_AT=<point>[:<n>]   SIGKILL itself the n-th time the point is reached
//
// The production build has no such code path; TestCrashPoints checks that it
// ignores both variables.

// TestCrashPoints kills `syncd sync --job bills` (SIGKILL, by itself) at
// each named point of the month swap, the n-th time the point is reached for
// seeded n, instead of at timed offsets as TestKill9 does:
//
//   - staged: after Commit inserted a block into a staging table;
//   - before-swap: a month validated, before its first REPLACE PARTITION;
//   - between-swaps: cost_records swapped, bill_summaries not yet;
//   - after-swaps: both swapped, before the month's sync_runs row.
//
// Before every run each month is re-issued, so every table of every month has
// a previous state and a new truth. After the kill each table of each month
// must be exactly the state the point implies (months synced before: new;
// the month at the point: old, new/old or new; months after: old), which
// includes the cross-table state between the two swaps; then a normal run
// must converge every month to the new truth.
func TestCrashPoints(t *testing.T) {
	s := sinktest.Open(t, sink.EngineServer)
	e := newCrashEnv(t, 97, bsssim.Scale{Members: 2, RecordsPerMonth: 300, Months: 2}, bsssim.Faults{}, s, sinktest.DSN(t))
	bin := syncdFaultBinary(t)

	// An uninterrupted run of the production build with both fault
	// variables set: it ignores them. Its log gives the order of the months.
	old := e.expected()
	code, out := runSyncd(t, append(e.env, "SYNCD_FAULT_CRASH_AT=before-swap", "SYNCD_FAULT_PANIC_JOB=bills"), e.args...)
	if code != 0 || strings.Contains(out, "fault injection") {
		t.Fatalf("the production build reacted to SYNCD_FAULT_*: exit %d\n%s", code, tail(out, 3000))
	}
	for cycle, st := range e.stored() {
		if d := old[cycle].diff(st); d != "" {
			t.Fatalf("first sync: month %s: %s", cycle, d)
		}
	}
	order := committedMonths(t, out)
	if !slices.Equal(slices.Sorted(slices.Values(order)), e.months) {
		t.Fatalf("months committed %v, want each of %v once", order, e.months)
	}

	// Two staged blocks per month (cost_records, bill_summaries: far below
	// the batch size), one swap pair per month.
	rng := rand.New(rand.NewPCG(97, 0x63726173))
	staged := rng.Perm(2 * len(order))[:2]
	type crash struct {
		point string
		n     int
	}
	var crashes []crash
	for _, n := range staged {
		crashes = append(crashes, crash{"staged", n + 1})
	}
	for _, p := range []string{"before-swap", "between-swaps", "after-swaps"} {
		for n := 1; n <= len(order); n++ {
			crashes = append(crashes, crash{p, n})
		}
	}

	crossTable := 0
	for i, c := range crashes {
		spec := fmt.Sprintf("%s:%d", c.point, c.n)
		for _, cycle := range e.months {
			if _, err := e.sim.Reissue(cycle); err != nil {
				t.Fatal(err)
			}
		}
		want := e.expected()
		for _, cycle := range e.months {
			if costPart(old[cycle]).equal(costPart(want[cycle])) || summaryPart(old[cycle]).equal(summaryPart(want[cycle])) {
				t.Fatalf("run %d: re-issuing %s left a table unchanged; the run could not tell old from new", i, cycle)
			}
		}
		before := successRows(t, s)
		p := startBinary(t, bin, append(e.env, "SYNCD_FAULT_CRASH_AT="+spec), e.args...)
		p.wait(t, 3*time.Minute)
		ws, _ := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL || !strings.Contains(p.output(), "fault injection: SIGKILL at "+spec) {
			t.Fatalf("run %d (%s): syncd was not killed at the point (%v):\n%s", i, spec, p.cmd.ProcessState, tail(p.output(), 3000))
		}

		// What each table of each month must be now.
		k := c.n - 1 // index in order of the month at the point
		at := map[string][2]string{"before-swap": {"old", "old"}, "between-swaps": {"new", "old"}, "after-swaps": {"new", "new"}}[c.point]
		if c.point == "staged" {
			k = (c.n - 1) / 2
			at = [2]string{"old", "old"}
		}
		desc, counts := e.checkOldOrNew(fmt.Sprintf("run %d (%s)", i, spec), old, want)
		stored := e.stored()
		for j, cycle := range order {
			exp := at
			switch {
			case j < k:
				exp = [2]string{"new", "new"}
			case j > k:
				exp = [2]string{"old", "old"}
			}
			got := [2]string{
				classify(costPart(stored[cycle]), costPart(old[cycle]), costPart(want[cycle])),
				classify(summaryPart(stored[cycle]), summaryPart(old[cycle]), summaryPart(want[cycle])),
			}
			if got != exp {
				t.Errorf("run %d (%s): month %s: cost_records/bill_summaries %s/%s, want %s/%s", i, spec, cycle, got[0], got[1], exp[0], exp[1])
			}
		}
		if c.point == "between-swaps" {
			if counts["cross-table"] != 1 {
				t.Errorf("run %d (%s): %d months in the cross-table state, want exactly 1 (%s)", i, spec, counts["cross-table"], desc)
			}
			crossTable += counts["cross-table"]
			t.Logf("run %d: CROSS-TABLE: killed between the swaps of %s: cost_records is new, bill_summaries old, each whole", i, order[k])
		}
		// The killed run wrote no sync_runs row for the month at the point
		// (its row comes after the swaps); months before it have theirs.
		after := successRows(t, s)
		for j, cycle := range order {
			wantRows := before[cycle]
			if j < k {
				wantRows++
			}
			if after[cycle] != wantRows {
				t.Errorf("run %d (%s): month %s has %d success rows in sync_runs, want %d", i, spec, cycle, after[cycle], wantRows)
			}
		}
		t.Logf("run %2d: killed at %-16s %s", i, spec, desc)
		if t.Failed() {
			t.FailNow()
		}
		e.syncOK(fmt.Sprintf("run %d (%s): converging run", i, spec), want)
		if c.point == "between-swaps" {
			t.Logf("run %d: the next run converged: every month equals the new truth", i)
		}
		old = want
	}
	if crossTable != len(order) {
		t.Errorf("the cross-table state was seen %d times, want %d", crossTable, len(order))
	}
}

// committedMonths returns the bill_cycle of every "month committed" line of
// a JSON log, in order.
func committedMonths(t *testing.T, out string) []string {
	t.Helper()
	var months []string
	for _, line := range strings.Split(out, "\n") {
		if !hasLine(line, "month committed") {
			continue
		}
		var l struct {
			BillCycle string `json:"bill_cycle"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		months = append(months, l.BillCycle)
	}
	return months
}

// successRows counts the bills job's success rows in sync_runs per month.
func successRows(t *testing.T, s *sink.Sink) map[string]int {
	t.Helper()
	res, err := s.Query(context.Background(), fmt.Sprintf(
		"SELECT substring(toString(bill_cycle), 1, 7), count() FROM %s.sync_runs WHERE job = 'bills' AND status = 'success' GROUP BY bill_cycle", s.Database()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range res.Rows {
		var n int
		if _, err := fmt.Sscan(r[1], &n); err != nil {
			t.Fatal(err)
		}
		out[r[0]] = n
	}
	return out
}

// TestDaemonSurvivesJobPanic runs the daemon (`syncd run`, faultinject
// build) with every balances run panicking (SYNCD_FAULT_PANIC_JOB=balances,
// scheduled every second): the daemon keeps running and serving /metrics
// and /healthz, counts each panic in syncd_job_runs_total{result="panic"},
// logs it with its stack, runs the other jobs successfully, reports the
// never-succeeding job in /readyz, stops cleanly on SIGTERM, and prints no
// secret.
func TestDaemonSurvivesJobPanic(t *testing.T) {
	s := sinktest.Open(t, sink.EngineServer)
	sim := newSim(t, bsssim.Config{Seed: 91, Now: time.Now, Scale: bsssim.Scale{Members: 1, RecordsPerMonth: 200, Months: 1}})
	port, err := sinktest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := append(withoutVar(syncdEnv(sim.URL, sinktest.DSN(t), s.Database()), "SYNCD_LISTEN"),
		"SYNCD_LISTEN="+addr, "SYNCD_FAULT_PANIC_JOB=balances", "SYNCD_SCHEDULE_BALANCES=@every 1s")
	p := startBinary(t, syncdFaultBinary(t), env, "run")
	defer p.kill()

	const wantPanics = 3
	others := []string{"lookups", "org", "bills", "packages"}
	var metrics string
	for deadline := time.Now().Add(2 * time.Minute); ; {
		metrics = scrape(t, p, "http://"+addr, "/metrics")
		done := metricValue(metrics, `syncd_job_runs_total{result="panic",syncd_job="balances"}`) >= wantPanics
		for _, job := range others {
			if metricValue(metrics, `syncd_job_runs_total{result="success",syncd_job="`+job+`"}`) < 1 {
				done = false
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 2 minutes:\n%s\noutput:\n%s", grepLines(metrics, "syncd_job_runs_total"), tail(p.output(), 3000))
		}
		time.Sleep(300 * time.Millisecond)
	}
	served := scrape(t, p, "http://"+addr, "/healthz", "/readyz")
	t.Logf("runs:\n%s\n%s", grepLines(metrics, "syncd_job_runs_total"), served)
	if !strings.Contains(served, "/healthz 200\nok") {
		t.Errorf("/healthz after %d panics:\n%s", wantPanics, served)
	}
	if !strings.Contains(served, "/readyz 503") || !strings.Contains(served, "job balances has not succeeded yet") {
		t.Errorf("/readyz does not name the panicking job:\n%s", served)
	}
	for _, job := range others {
		if v := metricValue(metrics, `syncd_job_runs_total{result="panic",syncd_job="`+job+`"}`); v != 0 {
			t.Errorf("job %s counted %v panics", job, v)
		}
	}
	select {
	case <-p.done:
		t.Fatalf("the daemon exited after the panics:\n%s", tail(p.output(), 3000))
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, time.Minute); code != 0 {
		t.Errorf("daemon exit %d after SIGTERM:\n%s", code, tail(p.output(), 3000))
	}
	out := p.output()

	// Every panic is one error line with the job, the panic value and the
	// stack of the panicking goroutine.
	panics := 0
	for _, line := range strings.Split(out, "\n") {
		if !hasLine(line, "job panicked") {
			continue
		}
		panics++
		var l struct {
			Level, Job, Panic, Stack string
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Level != "ERROR" || l.Job != "balances" || !strings.Contains(l.Panic, "assignment to entry in nil map") ||
			!strings.Contains(l.Stack, "goroutine ") || !strings.Contains(l.Stack, "main.panicJob") {
			t.Errorf("panic line lacks level, job, panic value or stack: %s", tail(line, 1500))
		}
	}
	if panics < wantPanics {
		t.Errorf("%d \"job panicked\" lines, want at least %d", panics, wantPanics)
	}
	if strings.Contains(out, "panic: ") {
		t.Errorf("an unrecovered panic:\n%s", tail(out, 3000))
	}
	all := out + metrics + served
	for _, secret := range []string{bsssim.DemoSK, bsssim.DemoAK, sinktest.Password} {
		if strings.Contains(all, secret) {
			t.Errorf("the output contains the secret %.6s…", secret)
		}
	}
	res, err := s.Query(context.Background(), "SELECT job, countIf(status = 'success') FROM "+s.Database()+".sync_runs GROUP BY job ORDER BY job")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sync_runs (job, successes): %v; %d panics logged", res.Rows, panics)
}

// TestSyncSurvivesJobPanic: in a one-shot `syncd sync` a panicking job is
// recovered like in the daemon: logged with the panicking goroutine's stack,
// the jobs after it still run, and the command fails with its usual exit
// status 1 instead of a Go crash (exit 2).
func TestSyncSurvivesJobPanic(t *testing.T) {
	s := sinktest.Open(t, sink.EngineServer)
	sim := newSim(t, bsssim.Config{Seed: 92, Now: time.Now, Scale: bsssim.Scale{Members: 1, RecordsPerMonth: 100, Months: 1}})
	env := append(syncdEnv(sim.URL, sinktest.DSN(t), s.Database()), "SYNCD_FAULT_PANIC_JOB=balances")
	p := startBinary(t, syncdFaultBinary(t), env, "sync", "--job", "balances,packages")
	code := p.wait(t, 2*time.Minute)
	out := p.output()
	if code != 1 {
		t.Fatalf("exit %d, want 1 (failed):\n%s", code, tail(out, 3000))
	}
	var panicked, packagesOK bool
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "goroutine ") {
			t.Errorf("the process crashed instead of recovering: %q", line)
		}
		if hasLine(line, "job panicked") {
			var l struct{ Level, Job, Err, Stack string }
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			panicked = l.Level == "ERROR" && l.Job == "balances" && strings.Contains(l.Err, "assignment to entry in nil map") &&
				strings.Contains(l.Stack, "panicJob")
		}
		packagesOK = packagesOK || (hasLine(line, "job succeeded") && strings.Contains(line, `"job":"packages"`))
	}
	if !panicked {
		t.Errorf("no ERROR line for the balances panic with its value and the panicking stack:\n%s", tail(out, 3000))
	}
	if !packagesOK {
		t.Errorf("the packages job after the panicking one did not succeed:\n%s", tail(out, 3000))
	}
	res, err := s.Query(context.Background(), "SELECT count() FROM "+s.Database()+".resource_packages")
	if err != nil || res.Rows[0][0] == "0" {
		t.Errorf("resource_packages after the sync: %v, %v", res, err)
	}
}
