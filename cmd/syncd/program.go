package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// Program is the whole daemon. Open builds it (config is already loaded),
// Run starts the scheduler and the HTTP server, Close tears it down in
// reverse. Sync runs jobs once, for `syncd sync`, the demo and tests.
type Program struct {
	Config Config
	Logger *slog.Logger
	// HTTPClient, if set, is used by the BSS clients (tests, demo).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RunAtStart runs every job at start-up, not only stale ones.
	RunAtStart bool

	Registry *prometheus.Registry
	Sink     *sink.Sink
	Metrics  *jobs.Metrics

	accounts []jobs.Account
	names    *jobs.Names
	bills    *jobs.Bills
	coverage *jobs.Coverage
	balances *jobs.Balances
	packages *jobs.Packages
	verify   *jobs.Verify
	// amortized syncs Cost Center's amortised cost.
	amortized *jobs.Amortized
	forecast  *jobs.Forecast
	runs      *jobs.RunLog
	runners   map[string]jobs.RunFunc
	env       jobs.Env // what the catalogue builds jobs and their gauge restores from
	sched     *jobs.Scheduler
	ln        net.Listener
	srv       *http.Server
	srvDone   chan error
	closeMu   sync.Mutex
	closed    bool
}

func (p *Program) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// NewRegistry returns a private registry with every syncd collector (jobs,
// BSS client, ClickHouse sink, build info, Go and process metrics)
// registered. Dashboard and alert tests use it to check metric names.
func NewRegistry(jm *jobs.Metrics, bm *bss.Metrics, sm *sink.Metrics) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(syncdCollectors(jm, bm, sm)...)
	return reg
}

// syncdCollectors returns every syncd_* collector: build info, jobs, BSS
// client and sink.
func syncdCollectors(jm *jobs.Metrics, bm *bss.Metrics, sm *sink.Metrics) []prometheus.Collector {
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "syncd_build_info",
		Help: "Build information; the value is always 1.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	cs := []prometheus.Collector{build}
	cs = append(cs, jm.Collectors()...)
	cs = append(cs, bm.Collectors()...)
	return append(cs, sm.Collectors()...)
}

// Open builds everything but starts nothing: registry, BSS clients (one per
// account, shared by all jobs of that account so they share its rate
// budget), the sink (pinged and migrated) and the jobs.
func (p *Program) Open(ctx context.Context) error {
	sm, err := p.openClients()
	if err != nil {
		return err
	}
	// Nothing in the default build; a -tags faultinject build reads them
	// from the environment (fault_faultinject.go).
	faults, err := loadFaults(os.Getenv)
	if err != nil {
		return fmt.Errorf("fault injection: %w", err)
	}
	s, err := sink.Open(ctx, p.Config.Sink, p.Logger, append([]sink.Option{sink.WithMetrics(sm)}, faults.sinkOptions()...)...)
	if err != nil {
		return fmt.Errorf("open clickhouse: %w", err)
	}
	p.Sink = s
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate clickhouse: %w", err)
	}
	if err := p.buildJobs(); err != nil {
		return err
	}
	faults.apply(p)
	return nil
}

// errNoData is OpenReadOnly's error when the embedded engine has no data
// directory yet (nothing was synced or migrated).
var errNoData = errors.New("no data yet")

// OpenReadOnly is Open for `syncd check` and `syncd query`: it writes
// nothing. It applies no migration, and with the embedded engine it opens
// only an existing data directory (errNoData otherwise) rather than
// creating one. Options (sink.ReadOnly) go to sink.Open.
func (p *Program) OpenReadOnly(ctx context.Context, opts ...sink.Option) error {
	sm, err := p.openClients()
	if err != nil {
		return err
	}
	if p.Config.Sink.DSN == "" {
		if _, err := os.Stat(p.Config.Sink.EmbeddedPath()); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("embedded engine: %w in %s", errNoData, p.Config.Sink.EmbeddedPath())
		}
	}
	s, err := sink.Open(ctx, p.Config.Sink, p.Logger, append([]sink.Option{sink.WithMetrics(sm)}, opts...)...)
	if err != nil {
		return fmt.Errorf("open clickhouse: %w", err)
	}
	p.Sink = s
	if err := s.Ping(ctx); err != nil {
		return fmt.Errorf("ping clickhouse: %w", err)
	}
	return p.buildJobs()
}

// openClients builds the registry and the BSS clients and returns the
// sink's metrics, for the sink to be opened next.
func (p *Program) openClients() (*sink.Metrics, error) {
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	p.Metrics = jobs.NewMetrics()
	bm := bss.NewMetrics()
	sm := sink.NewMetrics()
	p.Registry = NewRegistry(p.Metrics, bm, sm)

	for _, ac := range p.Config.Accounts {
		opts := []bss.Option{bss.WithLogger(p.Logger.With("scope", ac.Name)), bss.WithMetrics(bm)}
		if p.HTTPClient != nil {
			opts = append(opts, bss.WithHTTPClient(p.HTTPClient))
		}
		if p.Now != nil {
			opts = append(opts, bss.WithClock(p.Now))
		}
		c, err := bss.NewClient(p.Config.BSS, ac.Credentials, opts...)
		if err != nil {
			return nil, fmt.Errorf("bss client for account %s: %w", ac.Name, err)
		}
		p.accounts = append(p.accounts, jobs.Account{
			Scope:      ac.Name,
			CustomerID: ac.Credentials.DomainID,
			Source:     c,
			Members:    jobs.MemberMode(ac.Members),
			FinalDay:   ac.FinalDay(),
			SelfPaying: ac.SelfPayingMembers,
		})
	}
	return sm, nil
}

func (p *Program) buildJobs() error {
	jc := p.Config.Jobs
	p.names = &jobs.Names{}
	// One RunLog for every job: sync_runs rows that fail while ClickHouse
	// is down are spooled and written once it is back, by this process or
	// the next one.
	runs := &jobs.RunLog{Store: p.Sink, Spool: newSpool(p.Config, p.Logger)}
	p.runs = runs
	org := &jobs.Org{Accounts: p.accounts, Store: p.Sink, Runs: runs, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now}
	// Which configured accounts' bills arrive through another one's member
	// fan-out (the bills job skips them; syncd check shows them).
	p.coverage = &jobs.Coverage{Accounts: p.accounts, Members: org.MemberIDs, Logger: p.Logger, Now: p.Now}
	p.bills = &jobs.Bills{
		Accounts: p.accounts, Store: jobs.SinkMonths{Sink: p.Sink}, Runs: runs, Names: p.names, Metrics: p.Metrics, Logger: p.Logger,
		Members: org.MemberIDs, Now: p.Now, Attempts: jc.BillsAttempts, FinalHour: jc.BillsFinalHour,
		RecheckMonths: jc.BillsRecheckMonths, Integrity: p.Sink, Parallel: jc.BillsParallelAccounts,
		Coverage: p.coverage, Covered: p.Sink, BackfillMonths: jc.BillsBackfillMonths, Stored: p.Sink,
		Backfills: p.Sink, Burn: p.Sink,
	}
	balances := &jobs.Balances{Accounts: p.accounts, Store: p.Sink, Runs: runs, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now}
	packages := &jobs.Packages{Accounts: p.accounts, Store: p.Sink, Runs: runs, Names: p.names, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now}
	p.balances, p.packages = balances, packages
	p.amortized = &jobs.Amortized{Accounts: p.accounts, Store: jobs.SinkAmortized{Sink: p.Sink}, Runs: runs, Names: p.names, Metrics: p.Metrics, Logger: p.Logger,
		Members: org.MemberIDs, Coverage: p.coverage, Now: p.Now, Months: jc.AmortizedMonths, Attempts: jc.BillsAttempts}
	p.verify = &jobs.Verify{Store: p.Sink, Bills: p.bills, Amortized: p.amortized, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now}
	p.forecast = &jobs.Forecast{Accounts: p.accounts, Store: p.Sink, Runs: runs, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now}
	p.runners = map[string]jobs.RunFunc{
		jobs.JobAmortized: p.amortized.Run,
		jobs.JobForecast:  p.forecast.Run,
		jobs.JobVerify:    p.verify.Run,
		jobs.JobOrg:       org.Run,
		jobs.JobBills:     p.bills.Run,
		jobs.JobRecheck:   p.bills.Recheck,
		jobs.JobBalance:   balances.Run,
		jobs.JobPackage:   packages.Run,
	}
	// The other jobs are built by their catalogue entries.
	env := jobs.Env{Accounts: p.accounts, Sink: p.Sink, Runs: runs, Names: p.names, Metrics: p.Metrics, Logger: p.Logger, Now: p.Now,
		Members: org.MemberIDs, Config: jc}
	p.env = env
	for _, s := range jobs.Catalogue {
		if s.New == nil {
			continue
		}
		if p.runners[s.Name] != nil {
			return fmt.Errorf("job %s is built by its jobs.Catalogue entry and wired here too", s.Name)
		}
		p.runners[s.Name] = s.New(env)
	}
	// The catalogue (jobs.Catalogue) and the runs must name the same jobs.
	for _, name := range jobs.AllJobs {
		if p.runners[name] == nil {
			return fmt.Errorf("job %s is in jobs.Catalogue but has no Run here and no New there", name)
		}
	}
	if len(p.runners) != len(jobs.AllJobs) {
		return fmt.Errorf("%d jobs have a Run, jobs.Catalogue lists %d", len(p.runners), len(jobs.AllJobs))
	}
	// Pre-create the per-scope series only for the scopes a job covers, so
	// staleness alerts never see a series that can never succeed.
	for _, job := range jobs.AllJobs {
		p.Metrics.Init([]string{job}, p.jobScopes(job))
	}
	for _, a := range p.accounts {
		p.Metrics.InitCurrency(a.Scope, a.Source.Currency())
	}
	return nil
}

// flushRuns writes the sync_runs rows an earlier process (or an earlier
// run of this one) could not write, before anything else is recorded, and
// warns once if the spool cannot be used. A failure only delays them.
func (p *Program) flushRuns(ctx context.Context) {
	if p.runs.Spool != nil {
		_ = p.runs.Spool.Check() // logs its own warning
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := p.runs.Flush(ctx)
	if n > 0 {
		p.Logger.Info("wrote sync_runs rows kept from an earlier run", "rows", n, "spool", p.spoolPath())
	}
	if err != nil {
		p.Logger.Warn("could not write the sync_runs rows kept from an earlier run; the next run retries", "err", err)
	}
}

// restoreGauges sets the business gauges (balances, packages, month-to-date
// cost, daily burn) from what ClickHouse holds, so that they, and the alerts
// on them, are there from the first scrape after a restart rather than after
// each job's next run. A failure is logged; the jobs set the gauges anyway.
// It returns the scopes holding months with duplicated rows after an engine
// restart, whose cost gauges are not restored: the bills job runs at once for
// them, repairing the months and setting the gauges.
func (p *Program) restoreGauges(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for name, restore := range map[string]func(context.Context, jobs.GaugeStore) error{
		"balances": p.balances.Restore, "packages": p.packages.Restore,
	} {
		if err := restore(ctx, p.Sink); err != nil {
			p.Logger.Warn("could not restore gauges from ClickHouse; the next run sets them", "gauges", name, "err", err)
		}
	}
	dups, err := p.bills.Restore(ctx, p.Sink)
	if err != nil {
		p.Logger.Warn("could not restore gauges from ClickHouse; the next run sets them", "gauges", "costs", "err", err)
	}
	for _, s := range jobs.Catalogue {
		if s.Restore == nil {
			continue
		}
		if err := s.Restore(p.env)(ctx); err != nil {
			p.Logger.Warn("could not restore gauges from ClickHouse; the next run sets them", "gauges", s.Name, "err", err)
		}
	}
	// The forecast job reads only ClickHouse: running it is its restore.
	if err := p.forecast.Run(jobs.WithRunID(ctx, jobs.NewRunID()), jobs.Window{}); err != nil {
		p.Logger.Warn("could not restore gauges from ClickHouse; the next run sets them", "gauges", "forecast", "err", err)
	}
	var scopes []string
	for _, k := range dups {
		if !slices.Contains(scopes, k.Scope) {
			scopes = append(scopes, k.Scope)
		}
	}
	return scopes
}

// spoolPath names the spool for logs.
func (p *Program) spoolPath() string {
	if p.runs == nil || p.runs.Spool == nil {
		return "off (memory only)"
	}
	return p.runs.Spool.Path()
}

// jobScopes lists the scopes a job covers (its catalogue scope rule).
func (p *Program) jobScopes(job string) []string {
	spec, _ := jobs.Lookup(job)
	scopes := make([]string, len(p.accounts))
	for i, a := range p.accounts {
		scopes[i] = a.Scope
	}
	return spec.ScopesOf(scopes)
}

// Run opens the program if needed, starts the scheduler (stale jobs run at
// once) and the HTTP server, and returns. Close stops them.
func (p *Program) Run(ctx context.Context) error {
	if p.Sink == nil {
		if err := p.Open(ctx); err != nil {
			return err
		}
	}
	var tasks []jobs.Task
	for _, name := range jobs.AllJobs {
		if len(p.jobScopes(name)) == 0 {
			continue // e.g. org without an enterprise master
		}
		tasks = append(tasks, jobs.Task{
			Name:    name,
			Spec:    p.Config.Jobs.Schedules()[name],
			Timeout: p.Config.Jobs.JobTimeout,
			Scopes:  p.jobScopes(name),
			Run:     p.runners[name],
		})
	}
	sched, err := jobs.NewScheduler(p.Logger, p.Metrics, p.Now, tasks)
	if err != nil {
		return err
	}
	p.flushRuns(ctx)
	repair := p.restoreGauges(ctx)
	last := map[[2]string]time.Time{}
	if !p.RunAtStart {
		// Successes still in the spool count too.
		if last, err = p.runs.LastSuccess(ctx); err != nil {
			return fmt.Errorf("read last successes from sync_runs: %w", err)
		}
		// Months with duplicated rows are repaired by the bills job: run it
		// at once rather than at its next scheduled time.
		for _, scope := range repair {
			delete(last, [2]string{jobs.JobBills, scope})
		}
	}
	ln, err := net.Listen("tcp", p.Config.App.Listen)
	if err != nil {
		return fmt.Errorf("listen on SYNCD_LISTEN=%s: %w", p.Config.App.Listen, err)
	}
	p.ln = ln
	p.srv = &http.Server{Handler: p.handler(), ReadHeaderTimeout: 10 * time.Second}
	p.srvDone = make(chan error, 1)
	go func() { p.srvDone <- p.srv.Serve(ln) }()
	p.sched = sched
	// The scheduler's runs derive from a context that outlives Run's
	// caller-scoped ctx only until Close: Close cancels them.
	sched.Start(context.WithoutCancel(ctx), last)
	p.Logger.Info("syncd running", "listen", ln.Addr().String(), "accounts", len(p.accounts), "engine", p.Sink.Engine(), "spool", p.spoolPath(), "version", version)
	return nil
}

// Addr returns the address the HTTP server listens on (useful with :0).
func (p *Program) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// CatchUpDone is closed when the start-up catch-up runs have finished.
func (p *Program) CatchUpDone() <-chan struct{} { return p.sched.CatchUpDone() }

// Close stops the scheduler (cancelling running jobs, waiting at most the
// shutdown grace), the HTTP server and the sink, in reverse order of start.
func (p *Program) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.sched != nil {
		if err := p.sched.Stop(p.Config.App.ShutdownGrace); err != nil {
			errs = append(errs, err)
		}
	}
	if p.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
		if err := <-p.srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http server: %w", err))
		}
	}
	if p.Sink != nil {
		if err := p.Sink.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close clickhouse: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ParseJobs parses a --job list ("bills,balances"); empty means the jobs
// the catalogue marks InSync (a full one-shot sync).
func ParseJobs(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return jobs.SyncJobs(), nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(jobs.AllJobs, n) {
			return nil, fmt.Errorf("unknown job %q (want a comma-separated list of %s)", n, strings.Join(jobs.AllJobs, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	// Run in dependency order: look-ups and org before bills.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(jobs.AllJobs, a) - slices.Index(jobs.AllJobs, b) })
	return out, nil
}

// Sync runs the named jobs once, in order, with window w for bills. Look-ups
// run first when bills are asked for, so names and units are filled. It
// returns every job's error, joined.
func (p *Program) Sync(ctx context.Context, names []string, w jobs.Window, progress func(jobs.Progress)) error {
	_, err := p.SyncJobs(ctx, names, w, progress)
	return err
}

// JobOutcome is how one job of a one-shot sync ended.
type JobOutcome struct {
	Job string
	// Result is a jobs.Result* value, or "" for a job that did not start
	// (the sync was interrupted before it).
	Result string
	// Bills is the last progress of a bills or recheck run: (scope, month)
	// pairs done of total.
	Bills jobs.Progress
}

// SyncJobs is Sync that also returns how each job ended, for the summary of
// an interrupted sync.
func (p *Program) SyncJobs(ctx context.Context, names []string, w jobs.Window, progress func(jobs.Progress)) ([]JobOutcome, error) {
	if slices.Contains(names, jobs.JobBills) && !slices.Contains(names, jobs.JobLookups) {
		names = append([]string{jobs.JobLookups}, names...)
	}
	p.flushRuns(ctx)
	var (
		mu   sync.Mutex
		last jobs.Progress
	)
	p.bills.Progress = func(pr jobs.Progress) {
		mu.Lock()
		last = pr
		mu.Unlock()
		if progress != nil {
			progress(pr)
		}
	}
	defer func() { p.bills.Progress = nil }()
	outcomes := make([]JobOutcome, len(names))
	var errs []error
	for i, name := range names {
		outcomes[i].Job = name
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			continue
		}
		mu.Lock()
		last = jobs.Progress{}
		mu.Unlock()
		o := (&jobs.Runner{Logger: p.Logger, Metrics: p.Metrics, Now: p.Now}).Run(ctx, name, 0, p.runners[name], w)
		mu.Lock()
		outcomes[i].Bills = last
		mu.Unlock()
		outcomes[i].Result = o.Result
		if o.Err != nil {
			// Logged and counted by the Runner; the other jobs still run.
			errs = append(errs, fmt.Errorf("%s: %w", name, o.Err))
		}
	}
	return outcomes, errors.Join(errs...)
}

// handler serves /metrics, /healthz and /readyz.
func (p *Program) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.Registry, promhttp.HandlerOpts{Registry: p.Registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		var errs []error
		if err := p.Sink.Ping(ctx); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse unreachable: %w", err))
		}
		if err := p.sched.Fresh(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			http.Error(w, "not ready:\n"+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<html><head><title>syncd</title></head><body><h1>syncd</h1>` +
			`<p><a href="/metrics">metrics</a> · <a href="/healthz">healthz</a> · <a href="/readyz">readyz</a></p></body></html>`))
	})
	return mux
}

// checkFunds prints, for syncd check, whether each account can use the
// member funds feed (one request: the master's allocatable cash): usable for
// an enterprise master on the China site; not usable, with the reason, for a
// member or standalone account (CBC.0151) or on the international site (no
// such API). Not usable is a note, not a failure; any other error is.
func (p *Program) checkFunds(ctx context.Context, w io.Writer) (failed bool) {
	for _, a := range p.accounts {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := a.Source.TransferAmount(cctx, bss.BalanceDebit)
		cancel()
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			fmt.Fprintf(w, "bss account %s: member funds: not usable: the international site offers no member funds API; the funds job skips this account\n", a.Scope)
		case bss.HasCode(err, bss.CodeAccessDenied):
			fmt.Fprintf(w, "bss account %s: member funds: not usable: not an enterprise master (a member or standalone account, or no permission: CBC.0151); the funds job skips this account\n", a.Scope)
		case err != nil:
			failed = true
			fmt.Fprintf(w, "bss account %s: member funds: FAILED: %v\n", a.Scope, err)
		default:
			fmt.Fprintf(w, "bss account %s: member funds: usable (enterprise master, China site)\n", a.Scope)
		}
	}
	return failed
}

// checkDeductions prints, for syncd check, whether each account can use the
// package deduction feed (one request for the current UTC+8 day): both
// sites have it, for every customer account's own packages (reference
// §9.3), so any error is a failure: the deductions job would fail too.
func (p *Program) checkDeductions(ctx context.Context, w io.Writer) (failed bool) {
	for _, a := range p.accounts {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		now := p.now()
		_, err := a.Source.PackageDeductions(cctx, bss.DeductionOptions{From: now, To: now})
		cancel()
		if err != nil {
			failed = true
			fmt.Fprintf(w, "bss account %s: package deductions: FAILED: %v\n", a.Scope, err)
			continue
		}
		fmt.Fprintf(w, "bss account %s: package deductions: usable (the account's own packages; China and international sites)\n", a.Scope)
	}
	return failed
}

// checkTransactions prints, for syncd check, whether each account can use
// the transaction bills feed (one page of its own current month): usable on
// the China site; the international site has no such API, a note rather
// than a failure (the bills job syncs its months without them).
func (p *Program) checkTransactions(ctx context.Context, w io.Writer) (failed bool) {
	m := bss.MonthOf(p.now())
	for _, a := range p.accounts {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var err error
		for _, e := range a.Source.TransactionBills(cctx, bss.TransactionBillOptions{Cycle: m, Method: bss.MethodOneself}) {
			err = e
			break
		}
		cancel()
		switch {
		case errors.Is(err, errors.ErrUnsupported):
			fmt.Fprintf(w, "bss account %s: transaction bills: not usable: the international site offers no transaction bills API; the bills job syncs this account's months without them\n", a.Scope)
		case err != nil:
			failed = true
			fmt.Fprintf(w, "bss account %s: transaction bills: FAILED: %v\n", a.Scope, err)
		default:
			fmt.Fprintf(w, "bss account %s: transaction bills: usable (China site)\n", a.Scope)
		}
	}
	return failed
}

// checkAmortized prints, for syncd check, whether each account's amortised
// cost can be read (one request for the current shared month): an account
// without Cost Center, or on a site without the API, is a note, not a
// failure; any other error is.
func (p *Program) checkAmortized(ctx context.Context, w io.Writer) (failed bool) {
	m := bss.MonthOf(p.now())
	for _, a := range p.accounts {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var err error
		for _, e := range a.Source.AmortizedCosts(cctx, bss.AmortizedCostOptions{SharedMonth: m, Method: bss.MethodOneself}) {
			err = e
			break
		}
		cancel()
		switch {
		case bss.HasCode(err, bss.CodeCostCenterDisabled):
			fmt.Fprintf(w, "bss account %s: amortised cost: disabled: Cost Center is not enabled (CBC.18000014); the amortized job skips this account until it is\n", a.Scope)
		case errors.Is(err, errors.ErrUnsupported):
			fmt.Fprintf(w, "bss account %s: amortised cost: not offered on this site; the amortized job skips this account\n", a.Scope)
		case err != nil:
			failed = true
			fmt.Fprintf(w, "bss account %s: amortised cost: FAILED: %v\n", a.Scope, err)
		default:
			fmt.Fprintf(w, "bss account %s: amortised cost: ok\n", a.Scope)
		}
	}
	return failed
}

// checkCoverage prints, for syncd check, which configured accounts' bills
// arrive through another configured account's member fan-out (their bills
// are not synced under their own scope).
func (p *Program) checkCoverage(ctx context.Context, w io.Writer) {
	if len(p.accounts) < 2 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	covered, err := p.coverage.CoveredBy(ctx)
	if err != nil {
		fmt.Fprintf(w, "bills coverage: WARNING: %v\n", err)
	}
	for _, a := range p.accounts {
		if by := covered[a.Scope]; by != "" {
			fmt.Fprintf(w, "bss account %s: bills arrive through %s's member fan-out; stored there only (balances and packages synced here)\n", a.Scope, by)
		}
	}
}
