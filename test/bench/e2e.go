package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// bench holds what the ClickHouse cases share: a private server, the syncd
// binary and a work dir.
type bench struct {
	dir string
	srv *sinktest.Server
	bin string
}

func newBench(ctx context.Context) (*bench, error) {
	dir, err := os.MkdirTemp("", "syncd-bench-")
	if err != nil {
		return nil, err
	}
	b := &bench{dir: dir, bin: filepath.Join(dir, "syncd")}
	gobin, err := exec.LookPath("go")
	if err != nil {
		b.close()
		return nil, fmt.Errorf("go toolchain not on PATH: %w", err)
	}
	if out, err := exec.CommandContext(ctx, gobin, "build", "-o", b.bin, "github.com/syncd-io/syncd/cmd/syncd").CombinedOutput(); err != nil {
		b.close()
		return nil, fmt.Errorf("go build ./cmd/syncd: %w\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, gobin, "build", "-o", filepath.Join(dir, "bench"), "github.com/syncd-io/syncd/test/bench").CombinedOutput(); err != nil {
		b.close()
		return nil, fmt.Errorf("go build ./test/bench: %w\n%s", err, out)
	}
	if b.srv, err = sinktest.StartServer(ctx); err != nil {
		b.close()
		return nil, fmt.Errorf("clickhouse server: %w", err)
	}
	return b, nil
}

func (b *bench) close() {
	if b.srv != nil {
		_ = b.srv.Stop()
	}
	_ = os.RemoveAll(b.dir)
}

// simFor starts a simulator of one plain customer (no members) whose closed
// previous month holds about records itemised lines.
func simFor(records int, quotas map[string]float64) (*bsssim.Server, string, error) {
	srv, err := bsssim.NewServer(bsssim.Config{Quotas: quotas, Scale: bsssim.Scale{Members: -1, Months: 2, RecordsPerMonth: records}})
	if err != nil {
		return nil, "", err
	}
	return srv, srv.Months()[0], nil
}

// runResult is one syncd subprocess run.
type runResult struct {
	wall    time.Duration
	maxRSS  int64 // bytes
	monthMS float64
	out     string
}

// runSyncd runs the syncd binary to completion against sim and the bench
// server, in database db. With SYNCD_BENCH_CGROUP set to a cgroup directory
// (say one with a memory limit) syncd starts inside that cgroup, as in a
// container, while the bench, the simulator and ClickHouse stay outside.
func (b *bench) runSyncd(ctx context.Context, sim *bsssim.Server, db string, extraEnv []string, args ...string) (runResult, error) {
	cmd := exec.CommandContext(ctx, b.bin, args...)
	if cg := os.Getenv("SYNCD_BENCH_CGROUP"); cg != "" {
		cmd = exec.CommandContext(ctx, "sh", append([]string{"-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, cg, b.bin}, args...)...)
	}
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"HUAWEICLOUD_SDK_AK=" + bsssim.DemoAK,
		"HUAWEICLOUD_SDK_SK=" + bsssim.DemoSK,
		"HUAWEICLOUD_SDK_DOMAIN_ID=" + bsssim.DemoDomainID,
		"SYNCD_ACCOUNT_NAME=bench",
		"SYNCD_MEMBERS=none",
		"SYNCD_BSS_ENDPOINT=" + sim.URL + "/",
		"SYNCD_CLICKHOUSE_DSN=" + b.srv.DSN,
		"SYNCD_CLICKHOUSE_DATABASE=" + db,
		"SYNCD_LOG_FORMAT=json",
		"SYNCD_LISTEN=127.0.0.1:0",
	}, extraEnv...)
	// Go runtime settings given to the bench apply to syncd too (e.g.
	// GOMEMLIMIT=400MiB), and so does the read-ahead (SYNCD_BSS_PREFETCH).
	for _, v := range []string{"GOMEMLIMIT", "GOGC", "GOMAXPROCS", "SYNCD_BSS_PREFETCH"} {
		if val, ok := os.LookupEnv(v); ok {
			cmd.Env = append(cmd.Env, v+"="+val)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return runResult{}, err
	}
	var res runResult
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	// Peak RSS is sampled from /proc/<pid>/status (VmHWM, the high-water
	// mark of the program's own address space after exec). getrusage's
	// ru_maxrss is not used: Linux carries the parent's RSS at fork over
	// into the child's figure, so a big bench process inflates it.
	hwmDone := make(chan int64)
	stopHWM := make(chan struct{})
	go func() {
		var peak int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > peak {
				peak = v
			}
			select {
			case <-stopHWM:
				hwmDone <- peak
				return
			case <-t.C:
			}
		}
	}()
	var out strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if strings.Contains(line, `"msg":"month synced"`) {
			if i := strings.Index(line, `"duration":`); i >= 0 {
				v := line[i+len(`"duration":`):]
				v = v[:strings.IndexAny(v, ",}")]
				if ns, err := strconv.ParseFloat(v, 64); err == nil {
					res.monthMS += ns / 1e6
				}
			}
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	close(stopHWM) // stderr is closed: the process is exiting; its last sample stands
	res.maxRSS = <-hwmDone
	err = cmd.Wait()
	res.wall = time.Since(start)
	res.out = out.String()
	if err != nil {
		return res, fmt.Errorf("syncd %s: %w\n%s", strings.Join(args, " "), err, tailString(res.out, 3000))
	}
	return res, nil
}

// vmHWM returns the VmHWM of pid in bytes, or 0 when it cannot be read.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

func tailString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// endToEnd compares, in one run, syncd's rows/s for one month (first
// request to swapped partitions) with the simulator's serving rate and with
// a raw clickhouse-go insert of the same rows: the month's itemised records
// (cost_records) and its transaction bills (fee_records), which the bills
// job reads and writes together.
func endToEnd(ctx context.Context, w io.Writer, records int) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	// The simulator stands in for Huawei's API, whose pages cost syncd's
	// machine nothing to render: here it shares the machine's cores, so it
	// replays each page's body after rendering it once (the client's pass
	// below renders them all).
	sim, err := bsssim.NewServer(bsssim.Config{ReplayResponses: true, Scale: bsssim.Scale{Members: -1, Months: 2, RecordsPerMonth: records}})
	if err != nil {
		return err
	}
	defer sim.Close()
	cycle := sim.Months()[0]
	n, nTx := sim.Truth("", cycle).Records, len(sim.Transactions("", cycle))
	rowsN := n + nTx
	fmt.Fprintf(w, "e2e: month %s with %d itemised records and %d transaction bills (%d rows), simulator unthrottled and replaying rendered pages, client pacing off\n",
		cycle, n, nTx, rowsN)

	// The client's pass (which also renders every page once) and the raw
	// inserts run in a process of their own, like syncd: this one holds
	// the simulator and its pages, which would burden them.
	raw, err := b.runRaw(ctx, sim, cycle)
	if err != nil {
		return err
	}
	// (a) The simulator's serving rate, replaying: every page fetched
	// (signed) and its body read, nothing decoded.
	serve, err := serveRate(ctx, sim, cycle, n, nTx)
	if err != nil {
		return err
	}
	clientRate, rawRate, preRate := raw[0], raw[1], raw[2]

	// syncd end to end: the recheck job syncs exactly this closed month.
	if err := quiesce(ctx, b.srv.DSN); err != nil {
		return err
	}
	res, err := b.runSyncd(ctx, sim, "bench_e2e", []string{"SYNCD_BSS_RATE_LIMIT=-1", "SYNCD_BSS_RECORDS_RATE_LIMIT=-1"},
		"sync", "--job", "recheck", "--from", cycle, "--to", cycle)
	if err != nil {
		return err
	}
	stored, err := storedRows(ctx, b.srv.DSN, "bench_e2e")
	if err != nil {
		return err
	}
	if stored != rowsN {
		return fmt.Errorf("syncd stored %d rows of cost_records and fee_records, want %d", stored, rowsN)
	}
	syncdRate := float64(rowsN) / res.wall.Seconds()
	monthRate := float64(rowsN) / (res.monthMS / 1000)
	slower := min(serve, rawRate)
	fmt.Fprintf(w, "  simulator serving (fetch only)   %10.0f rows/s\n", serve)
	fmt.Fprintf(w, "  client fetch+decode              %10.0f rows/s\n", clientRate)
	fmt.Fprintf(w, "  raw clickhouse-go insert         %10.0f rows/s (b)\n", rawRate)
	fmt.Fprintf(w, "  the same, columns prebuilt       %10.0f rows/s (b')\n", preRate)
	fmt.Fprintf(w, "  syncd sync (process wall %6.2fs) %9.0f rows/s   ratio to slower of (a),(b): %.3f (goal >= 0.5)\n", res.wall.Seconds(), syncdRate, syncdRate/slower)
	fmt.Fprintf(w, "  syncd month (first request to swap, %.2fs) %.0f rows/s   ratio: %.3f\n", res.monthMS/1000, monthRate, monthRate/slower)
	// The figure: throughput against throughput, rows/s ÷ rows/s
	// (not a ratio of times: above 1, syncd moves the month faster than the
	// raw insert alone writes it).
	fmt.Fprintf(w, "  throughput of syncd sync ÷ throughput of a raw clickhouse-go insert: %.0f ÷ %.0f rows/s = %.3f (goal >= 0.95)\n",
		syncdRate, rawRate, syncdRate/rawRate)
	fmt.Fprintf(w, "  throughput of syncd sync ÷ throughput of the insert of prebuilt columns (b'): %.0f ÷ %.0f rows/s = %.3f\n",
		syncdRate, preRate, syncdRate/preRate)
	fmt.Fprintf(w, "  syncd peak RSS %.0f MiB\n", float64(res.maxRSS)/(1<<20))
	return nil
}

// runRaw runs the raw case in a process of its own (this bench binary,
// -case raw) and returns its rates: client fetch+decode, raw insert (b)
// and prebuilt insert (b').
func (b *bench) runRaw(ctx context.Context, sim *bsssim.Server, cycle string) ([3]float64, error) {
	var rates [3]float64
	cmd := exec.CommandContext(ctx, filepath.Join(b.dir, "bench"), "-case", "raw", "-sim", sim.URL, "-cycle", cycle, "-dsn", b.srv.DSN)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return rates, fmt.Errorf("bench -case raw: %w", err)
	}
	if _, err := fmt.Sscan(string(out), &rates[0], &rates[1], &rates[2]); err != nil {
		return rates, fmt.Errorf("bench -case raw printed %q: %w", out, err)
	}
	return rates, nil
}

// rawCase is the e2e baseline, run in a process of its own: it reads the
// month from the simulator at simURL with the bss client (fetch+decode,
// timed), then inserts the rows into the server at dsn with a raw
// clickhouse-go columnar insert, 50k rows per block, twice: (b) each
// block's columns built from the rows just before it is sent, as a
// hand-written insert does, and (b') columns all built before the clock
// starts (clickhouse-go and the server alone), each the faster of two
// runs. It prints the three rates.
func rawCase(ctx context.Context, w io.Writer, simURL, cycle, dsn string) error {
	c, err := bss.NewClient(bss.Config{Endpoint: simURL + "/", RateLimit: -1, RecordsRateLimit: -1},
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID})
	if err != nil {
		return err
	}
	m, err := bss.ParseMonth(cycle)
	if err != nil {
		return err
	}
	start := time.Now()
	var costs []sink.CostRecord
	for r, err := range c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, Method: bss.MethodOneself, IncludeZero: true}) {
		if err != nil {
			return err
		}
		costs = append(costs, jobs.CostRecord("raw", m, r, &jobs.Names{}))
	}
	var fees []sink.FeeRecord
	for t, err := range c.TransactionBills(ctx, bss.TransactionBillOptions{Cycle: m, Method: bss.MethodOneself, IncludeZero: true}) {
		if err != nil {
			return err
		}
		fees = append(fees, jobs.FeeRecord("raw", m, t, &jobs.Names{}))
	}
	clientRate := float64(len(costs)+len(fees)) / time.Since(start).Seconds()
	tables := []rawTable{rawColumns(sink.TableCostRecords, costs, 50_000), rawColumns(sink.TableFeeRecords, fees, 50_000)}
	warm := slices.Clone(tables) // a block of each table first: the timed runs find the server warm
	for i := range warm {
		warm[i].blocks = min(warm[i].blocks, 1)
	}
	if _, err := timeRaw(ctx, dsn, "bench_warm", warm); err != nil {
		return err
	}
	// Each baseline is the faster of two runs: its rate varies with the
	// collector's timing in a process holding the month's rows, and the
	// goal is measured against the better figure.
	var rawRate, preRate float64
	pre := []rawTable{tables[0].prebuilt(), tables[1].prebuilt()}
	for i := range 2 {
		r, err := timeRaw(ctx, dsn, fmt.Sprintf("bench_raw_%d", i), tables)
		if err != nil {
			return err
		}
		p, err := timeRaw(ctx, dsn, fmt.Sprintf("bench_raw_prebuilt_%d", i), pre)
		if err != nil {
			return err
		}
		rawRate, preRate = max(rawRate, r), max(preRate, p)
	}
	_, err = fmt.Fprintf(w, "%.0f %.0f %.0f\n", clientRate, rawRate, preRate)
	return err
}

// quiesce waits (up to a minute) until the server at dsn runs no merge,
// so that a timed phase does not share the server with the background
// merges of the rows the previous phase wrote.
func quiesce(ctx context.Context, dsn string) error {
	s, err := sink.Open(ctx, sink.Config{DSN: dsn, Database: "default"}, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := s.Query(ctx, "SELECT count() FROM system.merges")
		if err != nil {
			return err
		}
		if res.Rows[0][0] == "0" || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// timeRaw migrates db and returns the rows/s of rawInsert of tables into it.
func timeRaw(ctx context.Context, dsn, db string, tables []rawTable) (float64, error) {
	if err := migrate(ctx, dsn, db); err != nil {
		return 0, err
	}
	if err := quiesce(ctx, dsn); err != nil {
		return 0, err
	}
	runtime.GC()
	rows := 0
	for _, t := range tables {
		rows += t.rows
	}
	start := time.Now()
	if err := rawInsert(ctx, dsn, db, tables); err != nil {
		return 0, err
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// storedRows counts the rows of cost_records and fee_records in db.
func storedRows(ctx context.Context, dsn, db string) (int, error) {
	s, err := sink.Open(ctx, sink.Config{DSN: dsn, Database: db}, nil)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	res, err := s.Query(ctx, "SELECT (SELECT count() FROM "+db+".cost_records) + (SELECT count() FROM "+db+".fee_records)")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(res.Rows[0][0])
}

// monthParts returns the number of active parts of cost_records and of
// fee_records in db right after a sync: REPLACE PARTITION moves the staging
// table's parts as they are, so this is the number of parts the month was
// staged in (less what a merge has joined since). For the embedded engine
// it opens the data dir syncd left, once syncd has exited.
func monthParts(ctx context.Context, cfg sink.Config) (string, error) {
	db := cfg.Database
	s, err := sink.Open(ctx, cfg, nil)
	if err != nil {
		return "", err
	}
	defer s.Close()
	res, err := s.Query(ctx, "SELECT table, toString(count()) FROM system.parts WHERE active AND database = '"+db+
		"' AND table IN ('cost_records', 'fee_records') GROUP BY table ORDER BY table")
	if err != nil {
		return "", err
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[1]+" of "+r[0])
	}
	return strings.Join(out, ", "), nil
}

// serveRate fetches every page of the month's itemised records and
// transaction bills with signed requests and reads the bodies without
// decoding them.
func serveRate(ctx context.Context, sim *bsssim.Server, cycle string, records, transactions int) (float64, error) {
	hc := &http.Client{Transport: &bss.Signer{Credentials: bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID}}}
	start := time.Now()
	for _, feed := range []struct {
		path string
		n    int
	}{
		{"res-fee-records?cycle=" + cycle + "&statistic_type=3&include_zero_record=true&method=oneself", records},
		{"fee-records?bill_cycle=" + cycle + "&include_zero_record=true&method=oneself", transactions},
	} {
		for off := 0; off < feed.n; off += 1000 {
			u := fmt.Sprintf("%s/v2/bills/customer-bills/%s&offset=%d&limit=1000", sim.URL, feed.path, off)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return 0, err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return 0, err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, err
			}
			if resp.StatusCode != 200 {
				return 0, fmt.Errorf("%s page at %d: HTTP %d", feed.path, off, resp.StatusCode)
			}
		}
	}
	return float64(records+transactions) / time.Since(start).Seconds(), nil
}

// migrate creates the schema in db on the server.
func migrate(ctx context.Context, dsn, db string) error {
	s, err := sink.Open(ctx, sink.Config{DSN: dsn, Database: db, BatchRows: 50_000}, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

// memory runs syncd on months of the given sizes and reports its peak RSS.
func memory(ctx context.Context, w io.Writer, sizes string, parallel int) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	what := "one closed month"
	if parallel > 1 {
		what = fmt.Sprintf("one closed month of %d accounts synced at the same time (SYNCD_BILLS_PARALLEL_ACCOUNTS=%d), each of the size given", parallel, parallel)
	}
	fmt.Fprintf(w, "memory: peak RSS (VmHWM) of `syncd sync --job recheck` for %s (simulator unthrottled, in the bench process)\n", what)
	var first, peak, last float64
	ns, err := parseInts(sizes)
	if err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	for i, n := range ns {
		sim, cycle, env, err := memorySim(n, parallel)
		if err != nil {
			return err
		}
		env = append(env, "SYNCD_BSS_RATE_LIMIT=-1", "SYNCD_BSS_RECORDS_RATE_LIMIT=-1")
		res, err := b.runSyncd(ctx, sim, fmt.Sprintf("bench_mem_%d", i), env, "sync", "--job", "recheck", "--from", cycle, "--to", cycle)
		records, transactions := 0, 0
		for _, scope := range memoryScopes(sim, parallel) {
			records += sim.Truth(scope, cycle).Records
			transactions += len(sim.Transactions(scope, cycle))
		}
		sim.Close()
		if err != nil {
			return err
		}
		parts, err := monthParts(ctx, sink.Config{DSN: b.srv.DSN, Database: fmt.Sprintf("bench_mem_%d", i)})
		if err != nil {
			return err
		}
		mib := float64(res.maxRSS) / (1 << 20)
		if i == 0 {
			first = mib
		}
		fmt.Fprintf(w, "  %9d records + %9d transactions: peak RSS %7.1f MiB (%.2fx the first), wall %.1fs, parts after commit: %s\n",
			records, transactions, mib, mib/first, res.wall.Seconds(), parts)
		peak, last = max(peak, mib), mib
	}
	if parallel > 1 {
		// The goal is one account's; this is what a deployment that syncs
		// several at once sizes its memory limit from.
		fmt.Fprintf(w, "  %d accounts at once: largest %.1f MiB; largest month %.2fx the first\n", parallel, peak, last/first)
		return nil
	}
	fmt.Fprintf(w, "  goal: peak RSS <= 128 MiB at every size: %s (largest %.1f MiB); largest month <= 1.1x the first: %s (%.2fx)\n",
		verdict(peak <= 128), peak, verdict(last <= 1.1*first), last/first)
	return nil
}

// memorySim returns a simulator with months of records itemised records
// for one account (the bench's usual one), or for parallel independent
// accounts configured as syncd's accounts (with the environment that does
// so, and synced at the same time), and its first month.
func memorySim(records, parallel int) (*bsssim.Server, string, []string, error) {
	if parallel <= 1 {
		sim, cycle, err := simFor(records, nil)
		return sim, cycle, nil, err
	}
	sim, err := bsssim.NewServer(bsssim.Config{
		Scale: bsssim.Scale{Members: parallel, IndependentMembers: parallel, Months: 2, RecordsPerMonth: records}})
	if err != nil {
		return nil, "", nil, err
	}
	var env, names []string
	for i, a := range sim.Accounts()[1 : parallel+1] {
		name := fmt.Sprintf("m%d", i+1)
		names = append(names, name)
		up := "SYNCD_ACCOUNT_" + strings.ToUpper(name) + "_"
		env = append(env, up+"AK="+a.AK, up+"SK="+a.SK, up+"DOMAIN_ID="+a.ID, up+"MEMBERS=none")
	}
	env = append(env, "SYNCD_ACCOUNTS="+strings.Join(names, ","), fmt.Sprintf("SYNCD_BILLS_PARALLEL_ACCOUNTS=%d", parallel))
	return sim, sim.Months()[0], env, nil
}

// memoryScopes returns the simulator scopes memorySim's accounts read.
func memoryScopes(sim *bsssim.Server, parallel int) []string {
	if parallel <= 1 {
		return []string{""}
	}
	var out []string
	for _, a := range sim.Accounts()[1 : parallel+1] {
		out = append(out, a.ID)
	}
	return out
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "NOT met"
}

// parseInts parses a comma-separated list of integers.
func parseInts(list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// embedded runs syncd on months of the given sizes with the embedded engine
// (chDB in the syncd process, CHDB_LIB_PATH passed on) and reports its peak
// RSS, chDB included, and the parts of the month after commit.
func embedded(ctx context.Context, w io.Writer, sizes string) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintln(w, "embedded: peak RSS (VmHWM) of `syncd sync --job recheck` on the embedded engine (chDB in the process), one closed month")
	// What chDB takes before syncd writes anything, measured in a process
	// of its own (this bench process holds the simulator).
	self, err := os.Executable()
	if err != nil {
		return err
	}
	rest := exec.CommandContext(ctx, self, "-case", "chdb-at-rest", "-data", filepath.Join(b.dir, "rest"))
	rest.Stderr = os.Stderr
	out, err := rest.Output()
	if err != nil {
		return fmt.Errorf("chdb-at-rest: %w", err)
	}
	_, _ = w.Write(out)
	ns, err := parseInts(sizes)
	if err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	var first float64
	for i, n := range ns {
		sim, cycle, err := simFor(n, nil)
		if err != nil {
			return err
		}
		dir := filepath.Join(b.dir, fmt.Sprintf("data_%d", i))
		res, err := b.runSyncd(ctx, sim, "billing", []string{"SYNCD_BSS_RATE_LIMIT=-1", "SYNCD_BSS_RECORDS_RATE_LIMIT=-1",
			"SYNCD_CLICKHOUSE_DSN=", "SYNCD_DATA_DIR=" + dir, "CHDB_LIB_PATH=" + os.Getenv("CHDB_LIB_PATH")},
			"sync", "--job", "recheck", "--from", cycle, "--to", cycle)
		records, transactions := sim.Truth("", cycle).Records, len(sim.Transactions("", cycle))
		sim.Close()
		if err != nil {
			return err
		}
		parts, err := monthParts(ctx, sink.Config{DataDir: dir, Database: "billing"})
		if err != nil {
			return err
		}
		mib := float64(res.maxRSS) / (1 << 20)
		if i == 0 {
			first = mib
		}
		fmt.Fprintf(w, "  %9d records + %9d transactions: peak RSS %7.1f MiB (%.2fx the first), wall %.1fs, parts after commit: %s\n",
			records, transactions, mib, mib/first, res.wall.Seconds(), parts)
	}
	return nil
}

// chdbAtRest opens the embedded engine on an empty data dir in this
// process and prints the process's resident memory at each step: before
// chDB is loaded, with an empty session open (syncd's session settings
// applied), after the first query, and after syncd's migrations. File-backed
// pages are mostly libchdb's code, shared and reclaimable; anonymous pages
// are chDB's (and Go's) heap.
func chdbAtRest(ctx context.Context, w io.Writer, dir string) error {
	step := func(what string) {
		fmt.Fprintf(w, "  chDB at rest, %-38s %s\n", what+":", residentMemory())
	}
	step("before loading libchdb")
	s, err := sink.Open(ctx, sink.Config{DataDir: dir, Database: "billing"}, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	step("empty session open")
	res, err := s.Query(ctx, "SELECT version() AS v")
	if err != nil {
		return err
	}
	step("after the first query (chDB " + res.Value(0, "v") + ")")
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	step("after syncd's migrations")
	return nil
}

// residentMemory returns VmRSS with its anonymous and file-backed parts,
// from /proc/self/status.
func residentMemory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	kb := map[string]float64{}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
			kb[k] = n
		}
	}
	return fmt.Sprintf("RSS %6.1f MiB (anonymous %6.1f, file-backed %6.1f)", kb["VmRSS"]/1024, kb["RssAnon"]/1024, kb["RssFile"]/1024)
}
