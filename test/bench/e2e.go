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
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

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
	// Go runtime settings given to the bench apply to syncd too, e.g.
	// GOMEMLIMIT=400MiB as in deploy/kubernetes.
	for _, v := range []string{"GOMEMLIMIT", "GOGC", "GOMAXPROCS"} {
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
// request to swapped partition) with the simulator's serving rate and with a
// raw clickhouse-go insert of the same rows.
func endToEnd(ctx context.Context, w io.Writer, records int) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	sim, cycle, err := simFor(records, nil)
	if err != nil {
		return err
	}
	defer sim.Close()
	truth := sim.Truth("", cycle)
	n := truth.Records
	fmt.Fprintf(w, "e2e: month %s with %d itemised records, simulator unthrottled, client pacing off\n", cycle, n)

	// (a) The simulator's own serving rate: every page fetched (signed) and
	// its body read, nothing decoded.
	serve, err := serveRate(ctx, sim, cycle, n)
	if err != nil {
		return err
	}
	// The client alone: pages fetched and decoded into records.
	c, err := bss.NewClient(bss.Config{Endpoint: sim.URL + "/", RateLimit: -1, RecordsRateLimit: -1},
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID})
	if err != nil {
		return err
	}
	m, _ := bss.ParseMonth(cycle)
	rows := make([]sink.CostRecord, 0, n)
	start := time.Now()
	for r, err := range c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, Method: bss.MethodOneself, IncludeZero: true}) {
		if err != nil {
			return err
		}
		rows = append(rows, jobs.CostRecord("raw", m, r, &jobs.Names{}))
	}
	clientRate := float64(len(rows)) / time.Since(start).Seconds()

	// (b) A raw clickhouse-go columnar insert of the same rows, 50k per block.
	rawDB := "bench_raw"
	if err := migrate(ctx, b.srv.DSN, rawDB); err != nil {
		return err
	}
	start = time.Now()
	if err := rawInsert(ctx, b.srv.DSN, rawDB, rows, 50_000); err != nil {
		return err
	}
	rawRate := float64(len(rows)) / time.Since(start).Seconds()
	runtime.GC() // rows is dead from here on: the collector frees it

	// syncd end to end: the recheck job syncs exactly this closed month.
	res, err := b.runSyncd(ctx, sim, "bench_e2e", []string{"SYNCD_BSS_RATE_LIMIT=-1", "SYNCD_BSS_RECORDS_RATE_LIMIT=-1"},
		"sync", "--job", "recheck", "--from", cycle, "--to", cycle)
	if err != nil {
		return err
	}
	syncdRate := float64(n) / res.wall.Seconds()
	monthRate := float64(n) / (res.monthMS / 1000)
	slower := min(serve, rawRate)
	fmt.Fprintf(w, "  simulator serving (fetch only)   %10.0f records/s\n", serve)
	fmt.Fprintf(w, "  client fetch+decode              %10.0f records/s\n", clientRate)
	fmt.Fprintf(w, "  raw clickhouse-go insert         %10.0f rows/s\n", rawRate)
	fmt.Fprintf(w, "  syncd sync (process wall %6.2fs) %9.0f rows/s   ratio to slower of (a),(b): %.3f (goal >= 0.5)\n", res.wall.Seconds(), syncdRate, syncdRate/slower)
	fmt.Fprintf(w, "  syncd month (first request to swap, %.2fs) %.0f rows/s   ratio: %.3f\n", res.monthMS/1000, monthRate, monthRate/slower)
	// The figure: throughput against throughput, rows/s ÷ rows/s
	// (not a ratio of times: above 1, syncd moves the month faster than the
	// raw insert alone writes it).
	fmt.Fprintf(w, "  throughput of syncd sync ÷ throughput of a raw clickhouse-go insert: %.0f ÷ %.0f rows/s = %.3f (goal >= 0.95)\n",
		syncdRate, rawRate, syncdRate/rawRate)
	fmt.Fprintf(w, "  syncd peak RSS %.0f MiB\n", float64(res.maxRSS)/(1<<20))
	return nil
}

// monthParts returns the number of active parts of cost_records in db right
// after a sync: REPLACE PARTITION moves the staging table's parts as they
// are, so this is the number of parts the month was staged in (less what a
// merge has joined since).
func monthParts(ctx context.Context, dsn, db string) (string, error) {
	s, err := sink.Open(ctx, sink.Config{DSN: dsn, Database: db}, nil)
	if err != nil {
		return "", err
	}
	defer s.Close()
	res, err := s.Query(ctx, "SELECT count() FROM system.parts WHERE active AND database = '"+db+"' AND table = 'cost_records'")
	if err != nil {
		return "", err
	}
	return res.Rows[0][0], nil
}

// serveRate fetches every page of the month with signed requests and reads
// the bodies without decoding them.
func serveRate(ctx context.Context, sim *bsssim.Server, cycle string, n int) (float64, error) {
	hc := &http.Client{Transport: &bss.Signer{Credentials: bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID}}}
	start := time.Now()
	for off := 0; off < n; off += 1000 {
		u := fmt.Sprintf("%s/v2/bills/customer-bills/res-fee-records?cycle=%s&statistic_type=3&include_zero_record=true&method=oneself&offset=%d&limit=1000", sim.URL, cycle, off)
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
			return 0, fmt.Errorf("page at %d: HTTP %d", off, resp.StatusCode)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
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

var costColumns = []string{"scope", "record_id", "bill_cycle", "bill_date", "bill_type", "customer_id", "account_name",
	"region_code", "region_name", "service_type_code", "service_type_name", "resource_type_code", "resource_type_name",
	"resource_id", "resource_name", "resource_tags", "product_id", "product_name", "product_spec_desc", "sku_code",
	"enterprise_project_id", "enterprise_project_name", "charge_mode", "period_type", "trade_id", "order_id",
	"trade_time", "effective_time", "expire_time", "usage_type", "usage", "usage_unit", "unit_price",
	"official_amount", "discount_amount", "amount", "cash_amount", "credit_amount", "coupon_amount",
	"flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount", "adjustment_amount", "currency"}

// rawInsert is the baseline: a hand-written columnar insert of rows into
// db.cost_records, one block (one insert) per batch rows.
func rawInsert(ctx context.Context, dsn, db string, rows []sink.CostRecord, batch int) error {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return err
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	epoch := time.Unix(0, 0).UTC()
	ts := func(t time.Time) time.Time {
		if t.IsZero() || t.Before(epoch) {
			return epoch
		}
		return t.UTC().Truncate(time.Second)
	}
	for lo := 0; lo < len(rows); lo += batch {
		part := rows[lo:min(lo+batch, len(rows))]
		b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".cost_records ("+strings.Join(costColumns, ", ")+")")
		if err != nil {
			return err
		}
		for ci, name := range costColumns {
			var col any
			switch name {
			case "bill_cycle", "bill_date", "trade_time", "effective_time", "expire_time":
				v := make([]time.Time, len(part))
				for i := range part {
					v[i] = ts(map[string]time.Time{"bill_cycle": part[i].BillCycle, "bill_date": part[i].BillDate,
						"trade_time": part[i].TradeTime, "effective_time": part[i].EffectiveTime, "expire_time": part[i].ExpireTime}[name])
				}
				col = v
			case "bill_type":
				v := make([]int32, len(part))
				for i := range part {
					v[i] = part[i].BillType
				}
				col = v
			case "usage", "unit_price", "official_amount", "discount_amount", "amount", "cash_amount", "credit_amount",
				"coupon_amount", "flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount", "adjustment_amount":
				v := make([]decimal.Decimal, len(part))
				for i := range part {
					v[i] = decField(&part[i], name)
				}
				col = v
			default:
				v := make([]string, len(part))
				for i := range part {
					v[i] = strField(&part[i], name)
				}
				col = v
			}
			if err := b.Column(ci).Append(col); err != nil {
				_ = b.Abort()
				return fmt.Errorf("column %s: %w", name, err)
			}
		}
		if err := b.Send(); err != nil {
			return err
		}
	}
	return nil
}

func decField(r *sink.CostRecord, name string) decimal.Decimal {
	switch name {
	case "usage":
		return r.Usage
	case "unit_price":
		return r.UnitPrice
	case "official_amount":
		return r.OfficialAmount
	case "discount_amount":
		return r.DiscountAmount
	case "amount":
		return r.Amount
	case "cash_amount":
		return r.CashAmount
	case "credit_amount":
		return r.CreditAmount
	case "coupon_amount":
		return r.CouponAmount
	case "flexipurchase_coupon_amount":
		return r.FlexipurchaseCouponAmount
	case "stored_card_amount":
		return r.StoredCardAmount
	case "bonus_amount":
		return r.BonusAmount
	case "debt_amount":
		return r.DebtAmount
	}
	return r.AdjustmentAmount
}

func strField(r *sink.CostRecord, name string) string {
	switch name {
	case "scope":
		return r.Scope
	case "record_id":
		return r.RecordID
	case "customer_id":
		return r.CustomerID
	case "account_name":
		return r.AccountName
	case "region_code":
		return r.RegionCode
	case "region_name":
		return r.RegionName
	case "service_type_code":
		return r.ServiceTypeCode
	case "service_type_name":
		return r.ServiceTypeName
	case "resource_type_code":
		return r.ResourceTypeCode
	case "resource_type_name":
		return r.ResourceTypeName
	case "resource_id":
		return r.ResourceID
	case "resource_name":
		return r.ResourceName
	case "resource_tags":
		return r.ResourceTags
	case "product_id":
		return r.ProductID
	case "product_name":
		return r.ProductName
	case "product_spec_desc":
		return r.ProductSpecDesc
	case "sku_code":
		return r.SkuCode
	case "enterprise_project_id":
		return r.EnterpriseProjectID
	case "enterprise_project_name":
		return r.EnterpriseProjectName
	case "charge_mode":
		return r.ChargeMode
	case "period_type":
		return r.PeriodType
	case "trade_id":
		return r.TradeID
	case "order_id":
		return r.OrderID
	case "usage_type":
		return r.UsageType
	case "usage_unit":
		return r.UsageUnit
	case "currency":
		return r.Currency
	}
	panic("unknown string column " + name)
}

// memory runs syncd on months of the given sizes and reports its peak RSS.
func memory(ctx context.Context, w io.Writer, sizes string) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Fprintln(w, "memory: peak RSS (VmHWM) of `syncd sync --job recheck` for one closed month (simulator unthrottled, in the bench process)")
	var first, peak, last float64
	ns, err := parseInts(sizes)
	if err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	for i, n := range ns {
		sim, cycle, err := simFor(n, nil)
		if err != nil {
			return err
		}
		res, err := b.runSyncd(ctx, sim, fmt.Sprintf("bench_mem_%d", i), []string{"SYNCD_BSS_RATE_LIMIT=-1", "SYNCD_BSS_RECORDS_RATE_LIMIT=-1"},
			"sync", "--job", "recheck", "--from", cycle, "--to", cycle)
		records := sim.Truth("", cycle).Records
		sim.Close()
		if err != nil {
			return err
		}
		parts, err := monthParts(ctx, b.srv.DSN, fmt.Sprintf("bench_mem_%d", i))
		if err != nil {
			return err
		}
		mib := float64(res.maxRSS) / (1 << 20)
		if i == 0 {
			first = mib
		}
		fmt.Fprintf(w, "  %9d records: peak RSS %7.1f MiB (%.2fx the first), wall %.1fs, %s parts of cost_records after commit\n", records, mib, mib/first, res.wall.Seconds(), parts)
		peak, last = max(peak, mib), mib
	}
	fmt.Fprintf(w, "  goal: peak RSS <= 128 MiB at every size: %s (largest %.1f MiB); largest month <= 1.1x the first: %s (%.2fx)\n",
		verdict(peak <= 128), peak, verdict(last <= 1.1*first), last/first)
	return nil
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
		records := sim.Truth("", cycle).Records
		sim.Close()
		if err != nil {
			return err
		}
		parts, err := embeddedParts(ctx, dir)
		if err != nil {
			return err
		}
		mib := float64(res.maxRSS) / (1 << 20)
		if i == 0 {
			first = mib
		}
		fmt.Fprintf(w, "  %9d records: peak RSS %7.1f MiB (%.2fx the first), wall %.1fs, %s parts of cost_records after commit\n", records, mib, mib/first, res.wall.Seconds(), parts)
	}
	return nil
}

// embeddedParts opens the embedded data dir syncd left (in this process,
// once syncd has exited) and counts the active parts of cost_records.
func embeddedParts(ctx context.Context, dir string) (string, error) {
	s, err := sink.Open(ctx, sink.Config{DataDir: dir, Database: "billing"}, nil)
	if err != nil {
		return "", err
	}
	defer s.Close()
	res, err := s.Query(ctx, "SELECT count() FROM system.parts WHERE active AND database = 'billing' AND table = 'cost_records'")
	if err != nil {
		return "", err
	}
	return res.Rows[0][0], nil
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
