package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// beijing is the UTC+8 zone of billing months and bill dates.
var beijing = time.FixedZone("UTC+8", 8*60*60)

// Progress reports how far a bills run has got, for a terminal display.
type Progress struct {
	// Total and Done count (scope, month) pairs; Committed counts those of
	// Done that were committed (the others failed or were interrupted).
	Total, Done, Committed int
	// Scope and Month are the pair being synced.
	Scope string
	Month bss.Month
	// Rows and APICalls are totals of the run so far.
	Rows, APICalls int64
}

// Bills syncs itemised resource records and monthly summaries, one atomic
// (scope, month) replacement at a time. Run syncs the open months (plus an
// optional window); Recheck re-syncs recently closed months, where
// corrections and refunds still happen.
type Bills struct {
	// Accounts are the scopes to sync; Store replaces their months and Runs
	// records each month in sync_runs. Names fills service, resource-type and
	// unit names; Metrics and Logger are the job's instruments.
	Accounts []Account
	Store    MonthStore
	Runs     RunStore
	Names    *Names
	Metrics  *Metrics
	Logger   *slog.Logger
	// Members lists the member account IDs of a master's scope, for
	// MembersEach (normally (*Org).MemberIDs).
	Members func(ctx context.Context, scope string) ([]string, error)
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Attempts bounds the re-reads of a month whose total_count drifts (default 3).
	Attempts int
	// FinalHour is the hour (UTC+8) of an account's FinalDay at which the
	// previous month becomes final (default 10).
	FinalHour int
	// RecheckMonths is how many closed months Recheck re-syncs (default 3).
	RecheckMonths int
	// Progress, if set, is called as the run advances.
	Progress func(Progress)
	// Integrity, if set, is asked at the first run and after every engine
	// restart for stored months with duplicated rows; Run re-syncs them.
	Integrity IntegrityStore
	// Parallel is how many accounts are synced at the same time (default 1).
	// Each account has its own API quotas, so a multi-account backfill
	// takes about as long as its largest account.
	Parallel int
	// Coverage, if set, finds the accounts whose own bills arrive through
	// another configured account's member fan-out: their bills are not
	// synced (a customer's bills are stored once across all configured
	// accounts), and what an earlier version stored under their scope is
	// removed through Covered.
	Coverage *Coverage
	// Covered removes the stored bills of a covered scope.
	Covered CoveredStore
	// BackfillMonths, if positive, makes the first Run of the process also
	// sync the months of the last BackfillMonths (counting the current one)
	// that Stored reports no bills for.
	BackfillMonths int
	Stored         StoredMonthsStore
	// Backfills, if set, makes Run with a window resumable: see resume.
	Backfills BackfillStore

	mu          sync.Mutex
	backfilled  bool                          // the first-start backfill was planned
	daily       map[string]map[dayKey]sums    // scope -> (bill date, customer) -> amount per currency
	dailyMonths map[string]map[bss.Month]bool // scope -> months whose days are in daily
	closed      map[bss.Month]bool            // closed months synced since start
	engineStart time.Time                     // engine start seen by the last integrity check
}

func (b *Bills) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

// OpenMonths returns the months of an account that are still provisional at
// now: the current month (UTC+8) and, until finalDay at finalHour UTC+8, the
// previous one.
func OpenMonths(now time.Time, finalDay, finalHour int) []bss.Month {
	cur := bss.MonthOf(now)
	final := time.Date(cur.Year, cur.Month, finalDay, finalHour, 0, 0, 0, beijing)
	if now.Before(final) {
		return []bss.Month{cur.Prev(), cur}
	}
	return []bss.Month{cur}
}

func (b *Bills) finalHour() int {
	if b.FinalHour == 0 {
		return 10
	}
	return b.FinalHour
}

// ClosedMonths returns the months of w that are closed (final) at now for an
// account whose previous month becomes final on finalDay at finalHour UTC+8
// (0 means the defaults, 3 and 10): the months Recheck re-syncs of a window.
func ClosedMonths(w Window, now time.Time, finalDay, finalHour int) []bss.Month {
	if finalDay == 0 {
		finalDay = 3
	}
	if finalHour == 0 {
		finalHour = 10
	}
	open := OpenMonths(now, finalDay, finalHour)
	var ms []bss.Month
	for _, m := range w.Months() {
		if m.Before(open[0]) {
			ms = append(ms, m)
		}
	}
	return ms
}

func finalDay(a Account) int {
	if a.FinalDay == 0 {
		return 3
	}
	return a.FinalDay
}

// Run syncs, for every account, the open months and the months of w (any
// range within the 36 months the API keeps).
func (b *Bills) Run(ctx context.Context, w Window) error {
	now := b.now()
	if err := CheckWindow(w, now); err != nil {
		return err
	}
	plan := make(map[string][]bss.Month)
	open := 0
	covered := b.covered(ctx)
	bf := b.resume(ctx, w, now)
	for _, a := range b.Accounts {
		if covered[a.Scope] != "" {
			continue
		}
		ms := OpenMonths(now, finalDay(a), b.finalHour())
		open = max(open, len(ms))
		ms = append(ms, bf.todo(a.Scope, w.Months())...)
		ms = append(ms, b.burnMonthsMissing(a.Scope, now)...)
		plan[a.Scope] = dedupMonths(ms)
	}
	for scope, ms := range b.repairs(ctx, now) {
		if _, ok := plan[scope]; ok {
			plan[scope] = dedupMonths(append(plan[scope], ms...))
		}
	}
	for scope, ms := range b.backfill(ctx, now) {
		if _, ok := plan[scope]; ok {
			plan[scope] = dedupMonths(append(plan[scope], ms...))
		}
	}
	b.Metrics.billMonths.WithLabelValues("open").Set(float64(open))
	return b.sync(ctx, JobBills, plan, covered, now, bf)
}

// Recheck re-syncs, for every account, the RecheckMonths most recent closed
// months (or the closed months of w, when given).
func (b *Bills) Recheck(ctx context.Context, w Window) error {
	now := b.now()
	if err := CheckWindow(w, now); err != nil {
		return err
	}
	n := b.RecheckMonths
	if n == 0 {
		n = 3
	}
	plan := make(map[string][]bss.Month)
	covered := b.covered(ctx)
	for _, a := range b.Accounts {
		if covered[a.Scope] != "" {
			continue
		}
		var ms []bss.Month
		if w.IsZero() {
			m := OpenMonths(now, finalDay(a), b.finalHour())[0].Prev()
			for range n {
				ms = append(ms, m)
				m = m.Prev()
			}
			slices.Reverse(ms)
		} else {
			ms = ClosedMonths(w, now, finalDay(a), b.finalHour())
		}
		plan[a.Scope] = ms
	}
	return b.sync(ctx, JobRecheck, plan, covered, now, nil)
}

// covered returns the scopes whose bills are not synced because they arrive
// through another configured account (see Coverage), exports them as
// syncd_bills_covered_accounts and removes what an earlier version stored
// under those scopes. A failed decision is logged; the last one is kept.
func (b *Bills) covered(ctx context.Context) map[string]string {
	if b.Coverage == nil {
		return nil
	}
	covered, err := b.Coverage.CoveredBy(ctx)
	if err != nil {
		b.Logger.Warn("could not tell for every account whether its bills arrive through a master; the last decision is kept", "err", err)
	}
	b.Metrics.covered.Reset()
	for _, a := range b.Accounts {
		by := covered[a.Scope]
		if by == "" {
			continue
		}
		b.Metrics.covered.WithLabelValues(a.Scope, by).Set(1)
		if b.Covered == nil {
			continue
		}
		n, err := b.Covered.DropScopeBills(ctx, a.Scope)
		switch {
		case err != nil:
			b.Logger.Warn("could not remove the bills stored under a covered scope; the next run retries", "scope", a.Scope, "err", err)
		case n > 0:
			b.Logger.Warn("removed bill months stored under a scope whose bills arrive through another configured account (they were counted twice)",
				"scope", a.Scope, "covered_by", by, "months", n)
		}
	}
	return covered
}

func dedupMonths(ms []bss.Month) []bss.Month {
	slices.SortFunc(ms, func(a, b bss.Month) int {
		if a.Before(b) {
			return -1
		}
		if b.Before(a) {
			return 1
		}
		return 0
	})
	return slices.Compact(ms)
}

// sync syncs the planned months of every account and records the per-scope
// metrics. Months are independent: one failing month does not stop the
// others, and the errors are joined.
// bf, if not nil, is the backfill the run belongs to, recorded in sync_runs.
func (b *Bills) sync(ctx context.Context, job string, plan map[string][]bss.Month, covered map[string]string, now time.Time, bf *backfill) error {
	total := 0
	for _, ms := range plan {
		total += len(ms)
	}
	report := &runProgress{total: total, show: b.Progress}
	// Quotas are per account, so accounts are synced side by side (at most
	// Parallel at a time); the months of one account go one after the other.
	errs := make([]error, len(b.Accounts))
	panics := make([]*helperPanic, len(b.Accounts))
	sem := make(chan struct{}, max(1, b.Parallel))
	var wg sync.WaitGroup
	for i, a := range b.Accounts {
		if covered[a.Scope] != "" {
			b.Metrics.dropScope(job, a.Scope)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer capturePanic(&panics[i])
			errs[i] = b.syncScope(ctx, job, a, plan[a.Scope], now, report, bf)
		}()
	}
	wg.Wait()
	for _, p := range panics {
		p.repanic()
	}
	b.updateBurns(now, covered)
	b.mu.Lock()
	b.Metrics.billMonths.WithLabelValues("closed").Set(float64(len(b.closed)))
	b.mu.Unlock()
	return errors.Join(errs...)
}

// runProgress adds up a bills run over the accounts synced side by side
// and shows it through Progress (if set), one call at a time.
type runProgress struct {
	total int
	show  func(Progress)

	mu         sync.Mutex
	done       int
	committed  int
	rows, apis int64 // of the months finished
}

// reading shows the month being read, with its rows and calls so far.
func (p *runProgress) reading(scope string, m bss.Month, rows, calls int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.show != nil {
		p.show(Progress{Total: p.total, Done: p.done, Committed: p.committed, Scope: scope, Month: m, Rows: p.rows + rows, APICalls: p.apis + calls})
	}
}

// finished counts a month as done with its rows and calls.
func (p *runProgress) finished(scope string, m bss.Month, rows, calls int64, committed bool) {
	p.mu.Lock()
	p.done++
	if committed {
		p.committed++
	}
	p.rows += rows
	p.apis += calls
	p.mu.Unlock()
	p.reading(scope, m, 0, 0)
}

// syncScope syncs the planned months of one account in order.
func (b *Bills) syncScope(ctx context.Context, job string, a Account, months []bss.Month, now time.Time,
	report *runProgress, bf *backfill) error {
	var (
		scopeErrs []error
		unstable  int
		pending   chan monthResult // the previous month's commit, while it runs
	)
	collect := func(res monthResult) {
		res.panic.repanic()
		report.finished(a.Scope, res.month, res.rows, res.calls, res.err == nil)
		if res.unstable {
			unstable++
		}
		if res.err != nil {
			scopeErrs = append(scopeErrs, res.err)
		}
	}
	for _, m := range months {
		if ctx.Err() != nil {
			scopeErrs = append(scopeErrs, ctx.Err())
			break
		}
		sm := b.stageMonth(ctx, job, a, m, func(r, c int64) { report.reading(a.Scope, m, r, c) })
		sm.run.backfillWindow, sm.run.backfillID = bf.tag(a.Scope)
		if pending != nil {
			collect(<-pending)
			pending = nil
		}
		if sm.err != nil {
			collect(b.finishMonth(ctx, a, sm))
			continue
		}
		// The month's validation and swap run while the next month is
		// read: ClickHouse's fixed cost per month (staging tables,
		// validation, two swaps; seconds in cluster mode) overlaps the
		// API's. One commit at a time, in month order.
		done := make(chan monthResult, 1)
		pending = done
		go func() {
			var res monthResult
			defer func() { done <- res }()
			defer capturePanic(&res.panic)
			res = b.finishMonth(ctx, a, sm)
		}()
	}
	if pending != nil {
		collect(<-pending)
	}
	b.Metrics.unstable.WithLabelValues(a.Scope).Set(float64(unstable))
	scopeErr := errors.Join(scopeErrs...)
	if !Interrupted(ctx, scopeErr) {
		b.Metrics.scopeResult(job, a.Scope, b.now(), scopeErr)
	}
	if scopeErr != nil {
		return fmt.Errorf("%s scope %s: %w", job, a.Scope, scopeErr)
	}
	return nil
}

type monthResult struct {
	month       bss.Month
	rows, calls int64
	unstable    bool
	err         error
	panic       *helperPanic // a panic of the goroutine that committed the month
}

// helperPanic carries a panic out of a goroutine a job started, so that the
// job's own goroutine raises it again where the scheduler (or syncd sync)
// recovers and counts it; unrecovered, it would kill the process.
type helperPanic struct {
	value any
	stack []byte
}

// capturePanic recovers a panic into *p; use as `defer capturePanic(&p)`.
func capturePanic(p **helperPanic) {
	if r := recover(); r != nil {
		*p = &helperPanic{value: r, stack: debug.Stack()}
	}
}

// repanic raises the captured panic, with the helper goroutine's stack, in
// the calling goroutine; it does nothing on nil.
func (p *helperPanic) repanic() {
	if p != nil {
		panic(fmt.Sprintf("%v\n\n[raised in a helper goroutine of the job]\n%s", p.value, p.stack))
	}
}

// stagedMonth is a month read into staging, not yet committed (w is nil
// when reading failed: err says why).
type stagedMonth struct {
	month    bss.Month
	run      *scopeRun
	rctx     context.Context // counts the run's API calls
	logger   *slog.Logger
	w        MonthWriter
	st       monthStats
	unstable bool
	err      error
}

// stageMonth reads one (scope, month) into staging, re-reading it up to
// Attempts times while total_count drifts. If it never settles the month
// counts as unstable and the stored month is kept.
func (b *Bills) stageMonth(ctx context.Context, job string, a Account, m bss.Month, progress func(rows, calls int64)) *stagedMonth {
	run, rctx := newScopeRun(ctx, job, a.Scope, m, b.now())
	sm := &stagedMonth{month: m, run: run, rctx: rctx,
		logger: b.Logger.With("job", job, "scope", a.Scope, "run_id", run.runID, "bill_cycle", m.String())}
	attempts := b.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	for attempt := 1; attempt <= attempts; attempt++ {
		sm.st, sm.w, sm.err = b.attemptMonth(rctx, a, m, func(rows int64) { progress(rows, run.calls.Load()) })
		var de *bss.DriftError
		if sm.err == nil || !errors.As(sm.err, &de) || ctx.Err() != nil {
			break
		}
		if attempt == attempts {
			// The final error is logged once, by the caller at the job
			// boundary.
			sm.unstable = true
			sm.err = fmt.Errorf("total_count kept drifting in %d attempts, stored month kept: %w", attempts, sm.err)
			break
		}
		sm.logger.Warn("total_count drifted while reading the month; re-reading it", "attempt", attempt, "err", sm.err)
	}
	return sm
}

// finishMonth commits a staged month (validation and swap) and records the
// run in sync_runs and the metrics; a month that failed to stage is only
// recorded.
func (b *Bills) finishMonth(ctx context.Context, a Account, sm *stagedMonth) monthResult {
	st, run, err := sm.st, sm.run, sm.err
	if err == nil {
		sm.w.SetRunID(run.runID)
		if cerr := sm.w.Commit(sm.rctx, sink.MonthCounts{CostRecords: st.records, BillSummaries: st.summaries}); cerr != nil {
			err = fmt.Errorf("commit month: %w", cerr)
		}
	}
	res := monthResult{month: sm.month, unstable: sm.unstable}
	if err != nil {
		err = fmt.Errorf("month %s: %w", sm.month, err)
	}
	res.calls = run.calls.Load()
	if err == nil {
		res.rows = int64(st.records + st.summaries)
		run.rows = uint64(res.rows)
		run.itemised = st.itemised.total()
		run.summary = st.summary.total()
		run.driftV, run.currency = drift(st.itemised, st.summary)
		b.recordMonth(a, sm.month, st)
	}
	res.err = run.finish(ctx, b.Runs, sm.logger, b.now(), err)
	if res.err == nil {
		sm.logger.Info("month synced", "records", st.records, "summaries", st.summaries, "api_calls", res.calls,
			"drift", run.driftV.String(), "duration", b.now().Sub(run.start))
	}
	return res
}

type monthStats struct {
	records, summaries int
	itemised, summary  sums
	daily              map[dayKey]sums
}

// dayKey is one bill date (UTC+8, "YYYY-MM-DD") of one consuming customer.
type dayKey struct{ date, customer string }

// query returns how a month is read (see memberQuery).
func (b *Bills) query(ctx context.Context, a Account) (bss.Method, []string, error) {
	return memberQuery(ctx, a, b.Members)
}

// attemptMonth streams one month into a fresh staging area and returns its
// writer, for the caller to commit with the counts in st. On any error (or
// panic) the staging area is dropped and the stored month stays as it was.
func (b *Bills) attemptMonth(ctx context.Context, a Account, m bss.Month, progress func(rows int64)) (st monthStats, _ MonthWriter, err error) {
	st = monthStats{itemised: sums{}, summary: sums{}, daily: map[dayKey]sums{}}
	method, members, err := b.query(ctx, a)
	if err != nil {
		return st, nil, err
	}
	w, err := b.Store.BeginMonth(ctx, a.Scope, m.Date())
	if err != nil {
		return st, nil, fmt.Errorf("begin month: %w", err)
	}
	staged := false
	defer func() {
		if staged {
			return
		}
		actx, cancel := detached(ctx)
		defer cancel()
		if aerr := w.Abort(actx); aerr != nil {
			err = errors.Join(err, fmt.Errorf("abort month: %w", aerr))
		}
	}()
	how := "method=" + string(method)
	if len(members) > 0 {
		how = fmt.Sprintf("method=%s and each of %d members", method, len(members))
	}
	opts := bss.ResourceRecordOptions{Cycle: m, StatisticType: 3, Method: method, Members: members, IncludeZero: true}
	for rec, err := range a.Source.ResourceRecords(ctx, opts) {
		if err != nil {
			return st, nil, fmt.Errorf("resource records %s: %w", how, err)
		}
		if err := w.AddCostRecord(ctx, CostRecord(a.Scope, m, rec, b.Names)); err != nil {
			return st, nil, fmt.Errorf("add cost record: %w", err)
		}
		st.records++
		st.itemised.add(rec.Currency, rec.Amount)
		k := dayKey{rec.BillDate, rec.CustomerID}
		d := st.daily[k]
		if d == nil {
			d = sums{}
			st.daily[k] = d
		}
		d.add(rec.Currency, rec.Amount)
		if st.records%1000 == 0 {
			progress(int64(st.records))
		}
	}
	sopts := bss.MonthlySumOptions{Cycle: m, Method: method, Members: members}
	for s, err := range a.Source.MonthlySums(ctx, sopts) {
		if err != nil {
			return st, nil, fmt.Errorf("monthly sums %s: %w", how, err)
		}
		if err := w.AddBillSummary(ctx, BillSummary(a.Scope, m, s, b.Names)); err != nil {
			return st, nil, fmt.Errorf("add bill summary: %w", err)
		}
		st.summaries++
		st.summary.add(s.Currency, s.ConsumeAmount)
	}
	staged = true
	return st, w, nil
}

// recordMonth updates the month-to-date, drift and daily caches after a
// committed month.
func (b *Bills) recordMonth(a Account, m bss.Month, st monthStats) {
	now := b.now()
	if m == bss.MonthOf(now) {
		for cur, v := range st.itemised {
			b.Metrics.monthToDate.WithLabelValues(a.Scope, cur).Set(float(v))
		}
		for cur := range unionKeys(st.itemised, st.summary) {
			b.Metrics.drift.WithLabelValues(a.Scope, cur).Set(float(st.itemised[cur].Sub(st.summary[cur]).Abs()))
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.daily == nil {
		b.daily = make(map[string]map[dayKey]sums)
		b.dailyMonths = make(map[string]map[bss.Month]bool)
		b.closed = make(map[bss.Month]bool)
	}
	days := b.daily[a.Scope]
	if days == nil {
		days = make(map[dayKey]sums)
		b.daily[a.Scope] = days
		b.dailyMonths[a.Scope] = make(map[bss.Month]bool)
	}
	prefix := m.String() + "-"
	for k := range days {
		if strings.HasPrefix(k.date, prefix) {
			delete(days, k)
		}
	}
	for d, s := range st.daily {
		days[d] = s
	}
	b.dailyMonths[a.Scope][m] = true
	if open := OpenMonths(now, finalDay(a), b.finalHour()); m.Before(open[0]) {
		b.closed[m] = true
	}
}

func unionKeys(a, b sums) map[string]bool {
	k := make(map[string]bool)
	for c := range a {
		k[c] = true
	}
	for c := range b {
		k[c] = true
	}
	return k
}

// burnDays returns the last 7 complete days (UTC+8) before now.
func burnDays(now time.Time) []time.Time {
	l := now.In(beijing)
	today := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	days := make([]time.Time, 7)
	for i := range days {
		days[i] = today.AddDate(0, 0, i-7)
	}
	return days
}

// burnMonthsMissing lists the months the daily-burn window needs that have
// not been synced since start, so that the next run reads them too.
func (b *Bills) burnMonthsMissing(scope string, now time.Time) []bss.Month {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ms []bss.Month
	for _, d := range burnDays(now) {
		m := bss.Month{Year: d.Year(), Month: d.Month()}
		if !b.dailyMonths[scope][m] && !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	return ms
}

// updateBurns sets syncd_cost_daily_burn for every account whose burn
// window is known: the mean daily cost over the last 7 complete days of
// what is paid from the account's balance (see Payer). A member that pays
// for itself (configured as an account of its own, or declared in
// SelfPaying) never counts in its master's burn; a configured member whose
// bills arrive through its master (covered) gets the burn of its own costs,
// read from the master's scope.
func (b *Bills) updateBurns(now time.Time, covered map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	window := make(map[string]bool)
	for _, d := range burnDays(now) {
		window[d.Format(time.DateOnly)] = true
	}
	for _, p := range b.Accounts {
		source := p.Scope
		if by := covered[p.Scope]; by != "" {
			source = by
		}
		complete := true
		for _, d := range burnDays(now) {
			if !b.dailyMonths[source][bss.Month{Year: d.Year(), Month: d.Month()}] {
				complete = false
			}
		}
		if !complete {
			continue
		}
		total := sums{}
		for k, s := range b.daily[source] {
			if !window[k.date] || Payer(b.Accounts, source, k.customer) != p.Scope {
				continue
			}
			for cur, v := range s {
				total.add(cur, v)
			}
		}
		b.Metrics.dailyBurn.DeletePartialMatch(prometheus.Labels{"scope": p.Scope})
		for cur, v := range total {
			b.Metrics.dailyBurn.WithLabelValues(p.Scope, cur).Set(float(v.Div(decimal.NewFromInt(7))))
		}
	}
}

// restartSlack absorbs the one-second jitter of now() - uptime() between two
// readings of the same engine start.
const restartSlack = 5 * time.Second

// repairs returns, per scope, the stored months within the API's history
// that differ from their commit manifests, checked only when the engine has (re)started
// since the last check: the only time such months can appear. A failed check
// is logged and retried at the next run; it never fails the run.
func (b *Bills) repairs(ctx context.Context, now time.Time) map[string][]bss.Month {
	if b.Integrity == nil {
		return nil
	}
	started, err := b.Integrity.StartedAt(ctx)
	if err != nil {
		b.Logger.Warn("integrity check skipped", "err", err)
		return nil
	}
	b.mu.Lock()
	last := b.engineStart
	b.mu.Unlock()
	if !last.IsZero() && started.Sub(last).Abs() <= restartSlack {
		return nil
	}
	dups, err := b.Integrity.MismatchedMonths(ctx)
	if err != nil {
		b.Logger.Warn("integrity check failed", "err", err)
		return nil
	}
	b.mu.Lock()
	b.engineStart = started
	b.mu.Unlock()
	plan, _ := repairPlan(dups, b.Accounts, now, b.Logger, "after an engine restart")
	return plan
}

// backfill returns, at the first run of the process only, the months of the
// last BackfillMonths that hold no stored bills, per configured scope. A
// failed look-up is logged and retried at the next run.
func (b *Bills) backfill(ctx context.Context, now time.Time) map[string][]bss.Month {
	b.mu.Lock()
	done := b.backfilled
	b.mu.Unlock()
	if done || b.BackfillMonths <= 0 || b.Stored == nil {
		return nil
	}
	stored, err := b.Stored.StoredMonths(ctx)
	if err != nil {
		b.Logger.Warn("first-start backfill: could not list the stored months; the next run retries", "err", err)
		return nil
	}
	b.mu.Lock()
	b.backfilled = true
	b.mu.Unlock()
	oldest := OldestMonth(now)
	out := make(map[string][]bss.Month)
	for _, a := range b.Accounts {
		have := make(map[bss.Month]bool)
		for _, c := range stored[a.Scope] {
			have[bss.Month{Year: c.Year(), Month: c.Month()}] = true
		}
		m := bss.MonthOf(now)
		for range min(b.BackfillMonths, HistoryMonths) {
			if m.Before(oldest) {
				break
			}
			if !have[m] {
				out[a.Scope] = append(out[a.Scope], m)
			}
			m = m.Prev()
		}
		if n := len(out[a.Scope]); n > 0 {
			b.Logger.Info("first-start backfill: syncing the months that hold no stored bills", "scope", a.Scope, "months", n,
				"backfill_months", b.BackfillMonths)
		}
	}
	return out
}
