package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a job, a check or the daemon failed
	exitUsage  = 2 // bad command line or configuration
)

const usage = `syncd keeps ClickHouse in sync with the Huawei Cloud BSS (billing) API.

Usage:
  syncd run [--now]              run the daemon (cron jobs, /metrics, /healthz, /readyz)
  syncd sync [--job bills,balances,packages,org,lookups,recheck,amortized,forecast] [--from YYYY-MM] [--to YYYY-MM] [--force]
                                 sync once; exit status 0 only if everything succeeded; the same backfill
                                 run again after an interruption skips the months it committed (--force: re-read)
  syncd migrate                  apply the ClickHouse schema migrations
  syncd check                    validate configuration and connectivity to BSS and ClickHouse
  syncd verify [--from YYYY-MM] [--to YYYY-MM] [--repair]
                                 compare every stored bill month with its commit manifest; exit 1 on a mismatch
  syncd query 'SQL' [--format table|csv|tsv|json]
                                 run one read-only query on the configured ClickHouse (embedded or server)
  syncd demo [--once]            sync an in-process BSS simulator into the embedded engine
  syncd version                  print the version

Configuration is read from the environment; see README.md.
`

// run is the whole program behind main: it returns the exit code.
func run(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(ctx, args, lookup, stderr)
	case "sync":
		return cmdSync(ctx, args, lookup, stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args, lookup, stderr)
	case "check":
		return cmdCheck(ctx, args, lookup, stdout, stderr)
	case "verify":
		return cmdVerify(ctx, args, lookup, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args, lookup, stdout, stderr)
	case "query":
		return cmdQuery(ctx, args, lookup, stdout, stderr)
	case "version", "--version", "-version":
		if !parseFlags(newFlags("version", stderr), "version", args, stderr) {
			return exitUsage
		}
		engines := "server sink and embedded engine"
		if !sink.EmbeddedAvailable {
			engines = "server sink only (built with -tags nochdb)"
		}
		fmt.Fprintf(stdout, "syncd %s %s, %s\n", version, runtime.Version(), engines)
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "syncd: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// loadFor loads the configuration and builds the logger for a command.
// defaultFormat is used when SYNCD_LOG_FORMAT is empty.
func loadFor(ctx context.Context, lookup envconfig.Lookuper, opts loadOptions, defaultFormat string, stderr io.Writer) (Config, *slog.Logger, bool) {
	cfg, err := LoadConfig(ctx, lookup, opts)
	if err != nil {
		fmt.Fprintf(stderr, "syncd: %v\n", err)
		return cfg, nil, false
	}
	format := cfg.App.LogFormat
	if format == "" {
		format = defaultFormat
	}
	logger := newLogger(stderr, format, cfg.App.LogLevel)
	memLimitFrom(ctx).log(logger)
	return cfg, logger, true
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("syncd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// usageOf returns the usage line of a command, from usage.
func usageOf(cmd string) string {
	for _, l := range strings.Split(usage, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "syncd" && f[1] == cmd {
			// The description follows the synopsis after a run of spaces.
			if i := strings.Index(l, "  syncd "+cmd); i >= 0 {
				l = l[i+2:]
			}
			if j := strings.Index(l, "   "); j > 0 {
				l = l[:j]
			}
			return strings.TrimSpace(l)
		}
	}
	return "syncd " + cmd
}

// parseFlags parses the flags of a command that takes no positional
// argument. The flag package stops at the first word that is not a flag, so
// without this check `syncd sync bills --from 2024-01` would drop --from
// silently: a stray word is a usage error naming it and the right form.
func parseFlags(fs *flag.FlagSet, cmd string, args []string, stderr io.Writer) bool {
	if fs.Parse(args) != nil {
		return false
	}
	if fs.NArg() == 0 {
		return true
	}
	return strayArgument(fs, cmd, fs.Arg(0), stderr)
}

// strayArgument reports an unexpected positional argument and returns false.
func strayArgument(fs *flag.FlagSet, cmd, word string, stderr io.Writer) bool {
	hint := ""
	if slices.Contains(jobs.AllJobs, word) && fs.Lookup("job") != nil {
		hint = fmt.Sprintf(" (jobs are chosen with --job %s)", word)
	}
	fmt.Fprintf(stderr, "%s: unexpected argument %q%s; nothing was done\nusage: %s\n", fs.Name(), word, hint, usageOf(cmd))
	return false
}

func cmdRun(ctx context.Context, args []string, lookup envconfig.Lookuper, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	now := fs.Bool("now", false, "run every job at start-up, not only the stale ones")
	if !parseFlags(fs, "run", args, stderr) {
		return exitUsage
	}
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{}, "json", stderr)
	if !ok {
		return exitUsage
	}
	p := &Program{Config: cfg, Logger: logger, RunAtStart: *now}
	return serve(ctx, p)
}

// closeLogged closes p for a one-shot command; a failure to close (e.g.
// flushing the embedded engine) is logged, since the command's own result
// is already decided.
func closeLogged(p *Program) {
	if err := p.Close(); err != nil {
		p.Logger.Error("close", "err", err)
	}
}

// serve runs p until ctx is cancelled (SIGTERM/SIGINT), then closes it.
func serve(ctx context.Context, p *Program) int {
	if err := p.Run(ctx); err != nil {
		p.Logger.Error("start failed", "err", err)
		if cerr := p.Close(); cerr != nil {
			p.Logger.Error("close after failed start", "err", cerr)
		}
		return exitFailed
	}
	<-ctx.Done()
	p.Logger.Info("shutting down", "grace", p.Config.App.ShutdownGrace)
	if err := p.Close(); err != nil {
		p.Logger.Error("shutdown", "err", err)
		return exitFailed
	}
	return exitOK
}

func cmdSync(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := newFlags("sync", stderr)
	jobList := fs.String("job", "", "comma-separated jobs: "+strings.Join(jobs.AllJobs, ",")+" (default: "+strings.Join(jobs.SyncJobs(), ",")+")")
	from := fs.String("from", "", "first bill month to sync, YYYY-MM: a backfill up to --to, or to the current month (at most 36 months back)")
	to := fs.String("to", "", "last bill month to sync, YYYY-MM (needs --from; default: the current month)")
	force := fs.Bool("force", false, "re-read every month of --from..--to, even those an interrupted earlier run of the same backfill committed")
	if !parseFlags(fs, "sync", args, stderr) {
		return exitUsage
	}
	names, err := ParseJobs(*jobList)
	if err != nil {
		fmt.Fprintf(stderr, "syncd sync: --job: %v\n", err)
		return exitUsage
	}
	now := time.Now()
	w, err := parseWindow(*from, *to, now)
	if err != nil {
		fmt.Fprintf(stderr, "syncd sync: %v\n", err)
		return exitUsage
	}
	if *force && (w.IsZero() || !slices.Contains(names, jobs.JobBills)) {
		fmt.Fprintln(stderr, "syncd sync: --force re-reads the months of a backfill: it needs --from and the bills job; nothing was done")
		return exitUsage
	}
	w.Force = *force
	if !w.IsZero() && !slices.ContainsFunc(names, readsMonths) {
		var months []string
		for _, s := range jobs.Catalogue {
			if s.Months {
				months = append(months, s.Name)
			}
		}
		fmt.Fprintf(stderr, "syncd sync: --from and --to choose bill months: they apply to --job %s, not to %s; nothing was done\n",
			strings.Join(months, ", "), strings.Join(names, ","))
		return exitUsage
	}
	logTo, progress, finish := terminalProgress(stderr)
	defer finish()
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{}, "text", logTo)
	if !ok {
		return exitUsage
	}
	if !recheckWindowUseful(cfg, names, w, now, stderr) {
		return exitUsage
	}
	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	if err := p.Open(ctx); err != nil {
		logger.Error("open", "err", err)
		return exitFailed
	}
	outcomes, err := p.SyncJobs(ctx, names, w, progress)
	finish()
	if ctx.Err() != nil {
		return reportInterrupted(ctx, stderr, "syncd sync "+shellJoin(args), outcomes, !w.IsZero() && slices.Contains(names, jobs.JobBills))
	}
	if err != nil {
		fmt.Fprintln(stderr, "syncd sync: failed (the errors are logged above)")
		return exitFailed
	}
	fmt.Fprintf(stdout, "sync complete: %s\n", strings.Join(names, ", "))
	return exitOK
}

// reportInterrupted prints the summary of a sync stopped by a signal (what
// finished, what did not, the command to continue) and returns the exit
// code of the signal.
func reportInterrupted(ctx context.Context, stderr io.Writer, command string, outcomes []JobOutcome, backfill bool) int {
	i := interruptedBy(ctx)
	var finished, failed, stopped, notRun []string
	for _, o := range outcomes {
		switch o.Result {
		case jobs.ResultSuccess:
			finished = append(finished, o.Job)
		case "":
			notRun = append(notRun, o.Job)
		case jobs.ResultInterrupted:
			s := o.Job
			if o.Bills.Total > 0 {
				s += fmt.Sprintf(" (%d of %d months×accounts committed; the others hold what they held before)", o.Bills.Committed, o.Bills.Total)
			}
			stopped = append(stopped, s)
		default:
			failed = append(failed, o.Job+" ("+o.Result+", logged above)")
		}
	}
	list := func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	}
	fmt.Fprintf(stderr, "syncd: %s, not a failure. finished: %s; stopped: %s; not started: %s", i, list(finished), list(stopped), list(notRun))
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "; failed: %s", list(failed))
	}
	fmt.Fprintf(stderr, ".\nto continue, run the same command again: %s", command)
	if backfill {
		fmt.Fprint(stderr, " (the months this backfill committed are skipped; --force re-reads them)")
	}
	fmt.Fprintln(stderr)
	return i.exitCode()
}

// shellJoin quotes args for a command line a user can paste.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:@") == "" {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// readsMonths reports whether a job reads bill months (a window applies).
func readsMonths(name string) bool {
	s, _ := jobs.Lookup(name)
	return s.Months
}

// recheckWindowUseful explains what --job recheck does with a window: it
// re-syncs closed months only. If no month of w is closed for any account
// (and bills, which syncs open months, is not asked for too), nothing would
// be synced: that is an error saying why. Open months it skips get a notice.
func recheckWindowUseful(cfg Config, names []string, w jobs.Window, now time.Time, stderr io.Writer) bool {
	if w.IsZero() || !slices.Contains(names, jobs.JobRecheck) {
		return true
	}
	closed := map[bss.Month]bool{}
	for _, a := range cfg.Accounts {
		for _, m := range jobs.ClosedMonths(w, now, a.FinalDay(), cfg.Jobs.BillsFinalHour) {
			closed[m] = true
		}
	}
	var open []string
	for _, m := range w.Months() {
		if !closed[m] {
			open = append(open, m.String())
		}
	}
	switch {
	case len(open) == 0:
		return true
	case len(closed) == 0 && !slices.Contains(names, jobs.JobBills):
		fmt.Fprintf(stderr, "syncd sync: --job recheck re-syncs closed months only, and %s is still open (a month is final from %02d:00 UTC+8 on day %d of the next month); "+
			"open months are synced by the bills job: syncd sync --job bills --from %s --to %s; nothing was done\n",
			strings.Join(open, ", "), finalHourOr10(cfg.Jobs.BillsFinalHour), firstFinalDay(cfg), w.From, w.To)
		return false
	case !slices.Contains(names, jobs.JobBills):
		fmt.Fprintf(stderr, "syncd sync: note: --job recheck skips %s: still open, synced by the bills job (--job bills)\n", strings.Join(open, ", "))
	}
	return true
}

func finalHourOr10(h int) int {
	if h == 0 {
		return 10
	}
	return h
}

// firstFinalDay is the day on which the first account's months become final.
func firstFinalDay(cfg Config) int {
	if len(cfg.Accounts) == 0 {
		return 3
	}
	return cfg.Accounts[0].FinalDay()
}

// terminalProgress returns the writer for the log lines of a long sync, its
// progress callback and the function that ends its display. On a terminal
// the display is a live status line kept below the log lines (which go
// through it); otherwise logs go straight to stderr and there is no display.
func terminalProgress(stderr io.Writer) (io.Writer, func(jobs.Progress), func()) {
	if !isTerminal(stderr) {
		return stderr, nil, func() {}
	}
	pd := newProgressDisplay(stderr, time.Now)
	return pd, pd.update, pd.finish
}

// parseWindow parses --from/--to. --from alone syncs from that month up to
// the current one; --to alone is an error.
func parseWindow(from, to string, now time.Time) (jobs.Window, error) {
	var w jobs.Window
	if from == "" && to == "" {
		return w, nil
	}
	if from == "" {
		return w, errors.New("--to needs --from")
	}
	var err error
	if w.From, err = bss.ParseMonth(from); err != nil {
		return w, fmt.Errorf("--from: %w", err)
	}
	if to == "" {
		w.To = bss.MonthOf(now)
	} else if w.To, err = bss.ParseMonth(to); err != nil {
		return w, fmt.Errorf("--to: %w", err)
	}
	return w, jobs.CheckWindow(w, now)
}

func cmdMigrate(ctx context.Context, args []string, lookup envconfig.Lookuper, stderr io.Writer) int {
	if !parseFlags(newFlags("migrate", stderr), "migrate", args, stderr) {
		return exitUsage
	}
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{noCredentials: true}, "text", stderr)
	if !ok {
		return exitUsage
	}
	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	if err := p.Open(ctx); err != nil { // Open pings and migrates
		logger.Error("migrate", "err", err)
		return exitFailed
	}
	logger.Info("schema is up to date", "engine", p.Sink.Engine(), "database", p.Sink.Database())
	return exitOK
}

// checkTimeout bounds each of check's connections (ClickHouse, one BSS call
// per account): check answers in seconds and names what failed.
const checkTimeout = 10 * time.Second

// cmdCheck validates the configuration and connectivity. It is read-only:
// it applies no migration (it lists the pending ones), and with the
// embedded engine it creates no data directory.
func cmdCheck(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	if !parseFlags(newFlags("check", stderr), "check", args, stderr) {
		return exitUsage
	}
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{}, "text", stderr)
	if !ok {
		return exitUsage
	}
	fmt.Fprintln(stdout, "configuration: ok")
	// One attempt and one quick retry, each bounded: an unreachable endpoint
	// fails in seconds with its cause, not after the sync's 8 retries.
	cfg.BSS.Timeout = min(cfg.BSS.Timeout, checkTimeout)
	cfg.BSS.MaxRetries = 1
	cfg.BSS.RetryMaxDelay = min(cfg.BSS.RetryMaxDelay, time.Second)
	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	octx, cancel := context.WithTimeout(ctx, checkTimeout)
	err := p.OpenReadOnly(octx)
	cancel()
	failed := false
	switch {
	case errors.Is(err, errNoData):
		fmt.Fprintf(stdout, "clickhouse: ok (embedded, no data yet in %s: the first `syncd sync` or `syncd migrate` creates it)\n", cfg.Sink.EmbeddedPath())
	case err != nil:
		// The error names the server's host:port (or the data directory).
		fmt.Fprintf(stdout, "clickhouse: FAILED: %v\n", err)
		failed = true
	default:
		fmt.Fprintf(stdout, "clickhouse: ok (%s, database %s)\n", p.Sink.Engine(), p.Sink.Database())
		qctx, cancel := context.WithTimeout(ctx, checkTimeout)
		pending, err := p.Sink.PendingMigrations(qctx)
		cancel()
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "schema: FAILED: %v\n", err)
			failed = true
		case len(pending) > 0:
			fmt.Fprintf(stdout, "schema: %d migrations pending (%s); applied by the next `syncd migrate`, sync or run (check changes nothing)\n",
				len(pending), strings.Join(pending, ", "))
		default:
			fmt.Fprintln(stdout, "schema: up to date")
		}
	}
	// The spool is a warning, not a failure: without it the rows wait in memory.
	if sp := newSpool(cfg, logger); sp == nil {
		fmt.Fprintln(stdout, "spool: off (sync_runs rows that cannot be written wait in memory only)")
	} else if err := sp.Check(); err != nil {
		fmt.Fprintf(stdout, "spool: WARNING: %v (sync_runs rows that cannot be written wait in memory only)\n", err)
	} else {
		fmt.Fprintf(stdout, "spool: ok (%s)\n", sp.Path())
	}
	for _, a := range p.accounts {
		cctx, cancel := context.WithTimeout(ctx, 2*checkTimeout)
		_, err := a.Source.Balances(cctx)
		cancel()
		host := ""
		if h, ok := a.Source.(interface{ Host() string }); ok {
			host = " (" + h.Host() + ")"
		}
		if err != nil {
			failed = true
			fmt.Fprintf(stdout, "bss account %s%s: FAILED: %v\n", a.Scope, host, err)
			continue
		}
		fmt.Fprintf(stdout, "bss account %s%s: ok\n", a.Scope, host)
	}
	if p.checkAmortized(ctx, stdout) {
		failed = true
	}
	if p.checkFunds(ctx, stdout) {
		failed = true
	}
	if p.checkTransactions(ctx, stdout) {
		failed = true
	}
	if p.checkDeductions(ctx, stdout) {
		failed = true
	}
	if p.coverage != nil {
		p.checkCoverage(ctx, stdout)
	}
	if failed {
		return exitFailed
	}
	return exitOK
}

// cmdDemo starts the BSS simulator in-process with its demo tenant, syncs
// every month it has into the embedded engine (under SYNCD_DATA_DIR if set,
// else a temporary directory), prints what landed, and keeps serving
// /metrics with the scheduler running until interrupted (unless --once).
func cmdDemo(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	once := fs.Bool("once", false, "exit after the first sync and summary")
	if !parseFlags(fs, "demo", args, stderr) {
		return exitUsage
	}
	if !sink.EmbeddedAvailable {
		// The demo always writes into the embedded engine (it ignores
		// SYNCD_CLICKHOUSE_DSN), which this build does not have.
		fmt.Fprintln(stderr, "syncd demo: this syncd binary was built without the embedded engine (-tags nochdb, as `make build` and the container image are), and the demo needs it; run `make demo`, or `make build-embedded` and bin/syncd-embedded demo")
		return exitFailed
	}
	logTo, progress, finish := terminalProgress(stderr)
	defer finish()
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{noCredentials: true}, "text", logTo)
	if !ok {
		return exitUsage
	}
	sim, err := bsssim.NewServer(bsssim.Config{})
	if err != nil {
		logger.Error("demo: start the simulator", "err", err)
		return exitFailed
	}
	defer sim.Close()

	cfg.BSS.Endpoint = sim.URL + "/"
	cfg.Sink.DSN = ""
	kept := true
	if v, ok := lookup.Lookup("SYNCD_DATA_DIR"); !ok || v == "" {
		kept = false
		dir, err := os.MkdirTemp("", "syncd-demo-")
		if err != nil {
			logger.Error("demo: data dir", "err", err)
			return exitFailed
		}
		defer os.RemoveAll(dir)
		cfg.Sink.DataDir = dir
	}
	cfg.Accounts = []AccountConfig{{
		Name:           "demo",
		Credentials:    bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID},
		AccountOptions: AccountOptions{Members: string(jobs.MembersAll), Settlement: "standard"},
	}}
	fmt.Fprintf(stdout, "syncd demo: simulator at %s (demo tenant, %d months), embedded ClickHouse in %s\n",
		cfg.BSS.Endpoint, len(sim.Months()), cfg.Sink.DataDir)

	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	if err := p.Open(ctx); err != nil {
		logger.Error("demo: open", "err", err)
		return exitFailed
	}
	w, err := demoWindow(sim.Months())
	if err != nil {
		logger.Error("demo", "err", err)
		return exitFailed
	}
	start := time.Now()
	outcomes, syncErr := p.SyncJobs(ctx, jobs.SyncJobs(), w, progress)
	finish()
	if ctx.Err() != nil {
		return reportInterrupted(ctx, stderr, "syncd demo "+shellJoin(args), outcomes, false)
	}
	fmt.Fprintf(stdout, "\nsynced %s in %s\n\n", w, time.Since(start).Round(time.Millisecond))
	if err := printSummary(ctx, stdout, p); err != nil {
		logger.Error("demo: summary", "err", err)
		return exitFailed
	}
	if syncErr != nil {
		fmt.Fprintln(stderr, "syncd demo: sync failed (the errors are logged above)")
		return exitFailed
	}
	if kept {
		abs, _ := filepath.Abs(cfg.Sink.DataDir)
		fmt.Fprintf(stdout, "the data is kept in %s; query it with a build that has the embedded engine (this one, or bin/syncd-embedded of `make build-embedded`), e.g.:\n  SYNCD_DATA_DIR=%s bin/syncd-embedded query 'SELECT count() FROM cost_records'\n", cfg.Sink.EmbeddedPath(), abs)
	} else {
		fmt.Fprintf(stdout, "the data is in a temporary directory, removed when the demo exits; set SYNCD_DATA_DIR to keep it and query it with `syncd query`\n")
	}
	if *once {
		return exitOK
	}
	// Keep serving: the daemon proper, on the opened program; its catch-up
	// finds the jobs just run fresh.
	fmt.Fprintf(stdout, "\nserving http://%s/metrics (and /healthz, /readyz); Ctrl-C to stop\n", listenURLHost(cfg.App.Listen))
	return serve(ctx, p)
}

func listenURLHost(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// demoWindow is the range of the simulator's months.
func demoWindow(months []string) (jobs.Window, error) {
	if len(months) == 0 {
		return jobs.Window{}, errors.New("the simulator has no months")
	}
	from, err := bss.ParseMonth(months[0])
	if err != nil {
		return jobs.Window{}, err
	}
	to, err := bss.ParseMonth(months[len(months)-1])
	if err != nil {
		return jobs.Window{}, err
	}
	if to.Before(from) {
		from, to = to, from
	}
	return jobs.Window{From: from, To: to}, nil
}

// summaryQueries are what the demo (and README) show of each table.
var summaryQueries = []struct{ table, query string }{
	{"cost_records", "SELECT toString(bill_cycle) AS month, count() AS rows, toString(sum(amount)) AS amount, any(currency) AS currency FROM %s.cost_records GROUP BY bill_cycle ORDER BY bill_cycle"},
	{"bill_summaries", "SELECT toString(bill_cycle) AS month, count() AS rows, toString(sum(consume_amount)) AS consume_amount FROM %s.bill_summaries GROUP BY bill_cycle ORDER BY bill_cycle"},
	{"balances", "SELECT toString(account_type) AS account_type, count() AS rows, toString(sum(amount)) AS amount, any(currency) AS currency FROM %s.balances GROUP BY account_type ORDER BY account_type"},
	{"resource_packages", "SELECT toString(status) AS status, count() AS items, toString(sum(remaining_amount)) AS remaining FROM %s.resource_packages GROUP BY status ORDER BY status"},
	{"org_units", "SELECT count() AS units FROM %s.org_units"},
	{"accounts", "SELECT count() AS accounts FROM %s.accounts"},
	{"fee_records", "SELECT toString(bill_cycle) AS month, count() AS rows, toString(sum(consume_amount)) AS consumed, toString(sumIf(consume_amount, status != 1)) AS unsettled, toString(sumIf(consume_amount, provider_type = 2)) AS koogallery FROM %s.fee_records GROUP BY bill_cycle ORDER BY bill_cycle"},
	{"package_deductions", "SELECT toString(deduct_month) AS month, count() AS deductions, uniqExact(free_resource_id) AS items FROM %s.package_deductions GROUP BY deduct_month ORDER BY deduct_month"},
	{"member_funds", "SELECT role, count() AS rows, uniqExact(customer_id) AS accounts, toString(sum(amount)) AS cash, any(currency) AS currency FROM %s.member_funds GROUP BY role ORDER BY role"},
	{"amortized_costs", "SELECT toString(shared_month) AS month, count() AS rows, toString(sum(current_month_amortized_amount)) AS amortized, any(currency) AS currency FROM %s.amortized_costs GROUP BY shared_month ORDER BY shared_month"},
	{"sync_runs", "SELECT job, status, count() AS runs, toString(sum(rows)) AS rows, toString(sum(api_calls)) AS api_calls FROM %s.sync_runs GROUP BY job, status ORDER BY job, status"},
}

// printSummary prints row counts and totals of every table.
func printSummary(ctx context.Context, w io.Writer, p *Program) error {
	for _, q := range summaryQueries {
		res, err := p.Sink.Query(ctx, fmt.Sprintf(q.query, p.Sink.Database()))
		if err != nil {
			return fmt.Errorf("%s: %w", q.table, err)
		}
		fmt.Fprintf(w, "%s\n", q.table)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\t%s\t\n", strings.Join(res.Columns, "\t"))
		for _, r := range res.Rows {
			fmt.Fprintf(tw, "\t%s\t\n", strings.Join(r, "\t"))
		}
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
	return nil
}
