package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

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
	b.updateBurns(ctx, now, covered)
	b.mu.Lock()
	b.Metrics.billMonths.WithLabelValues("closed").Set(float64(len(b.closed)))
	b.mu.Unlock()
	return errors.Join(errs...)
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

// stagedMonth is a month read into staging, not yet committed (w is nil
// when reading failed: err says why).
type stagedMonth struct {
	month    bss.Month
	run      *scopeRun
	rctx     context.Context // counts the run's API calls
	logger   *slog.Logger
	w        MonthWriter
	fees     FeeWriter // nil: the account's site offers no transaction bills
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
		sm.st, sm.w, sm.fees, sm.err = b.attemptMonth(rctx, a, m, func(rows int64) { progress(rows, run.calls.Load()) })
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
		} else {
			err = b.commitFees(sm)
		}
	}
	if err != nil {
		if aerr := sm.abortFees(ctx); aerr != nil {
			err = errors.Join(err, fmt.Errorf("abort transaction month: %w", aerr))
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
		b.feeGauges(a, sm.month, st)
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
	fees               feeStats
}

// dayKey is one bill date (UTC+8, "YYYY-MM-DD") of one consuming customer.
type dayKey struct{ date, customer string }

// query returns how a month is read (see memberQuery).
func (b *Bills) query(ctx context.Context, a Account) (bss.Method, []string, error) {
	return memberQuery(ctx, a, b.Members)
}

// attemptMonth streams one month into fresh staging areas and returns its
// writers (bills, and transaction bills: nil when the site offers none), for
// the caller to commit with the counts in st. The transaction bills are
// read beside the itemised records and the monthly sums, not after them:
// they have their own quota, staging table and INSERT, so the month takes
// as long as the longer of the two reads. The first of the two to fail
// stops the other. On any error (or panic) the staging areas are dropped
// and the stored month stays as it was.
func (b *Bills) attemptMonth(ctx context.Context, a Account, m bss.Month, progress func(rows int64)) (st monthStats, _ MonthWriter, _ FeeWriter, err error) {
	st = monthStats{itemised: sums{}, summary: sums{}, daily: map[dayKey]sums{}}
	method, members, err := b.query(ctx, a)
	if err != nil {
		return st, nil, nil, err
	}
	w, err := b.Store.BeginMonth(ctx, a.Scope, m.Date())
	if err != nil {
		return st, nil, nil, fmt.Errorf("begin month: %w", err)
	}
	staged := false
	defer abortUnstaged(ctx, w, &staged, &err)
	how := "method=" + string(method)
	if len(members) > 0 {
		how = fmt.Sprintf("method=%s and each of %d members", method, len(members))
	}
	gctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	type feeRead struct {
		st    feeStats
		w     FeeWriter
		err   error
		panic *helperPanic
	}
	fees := make(chan feeRead, 1)
	go func() {
		var r feeRead
		defer func() { fees <- r }()
		defer capturePanic(&r.panic)
		if r.st, r.w, r.err = b.stageFees(ctx, gctx, a, m, method, members, how); r.err != nil {
			stop(r.err)
		}
	}()
	berr := b.stageBills(ctx, gctx, a, m, w, &st, method, members, how, progress)
	if berr != nil {
		stop(berr)
	}
	f := <-fees
	f.panic.repanic()
	switch {
	case f.err != nil && (berr == nil || errors.Is(context.Cause(gctx), f.err)): // the bills only saw it stop them
		err = f.err
	default:
		err = berr
	}
	if err != nil {
		if f.w != nil {
			actx, cancel := detached(ctx)
			defer cancel()
			if aerr := f.w.Abort(actx); aerr != nil {
				err = errors.Join(err, fmt.Errorf("abort transaction month: %w", aerr))
			}
		}
		return st, nil, nil, err
	}
	st.fees = f.st
	staged = true
	return st, w, f.w, nil
}

// stageBills streams the month's itemised records and monthly sums into w,
// counting them in st. The API is read with read, which the transaction
// bills' failure cancels; the rows are written with ctx: the staging
// INSERTs outlive the attempt, until the month is committed.
func (b *Bills) stageBills(ctx, read context.Context, a Account, m bss.Month, w MonthWriter, st *monthStats,
	method bss.Method, members []string, how string, progress func(rows int64)) error {
	itemised, daily := tally{}, map[dayKey]tally{}
	defer func() {
		st.itemised = itemised.sums()
		for k, t := range daily {
			st.daily[k] = t.sums()
		}
	}()
	opts := bss.ResourceRecordOptions{Cycle: m, StatisticType: 3, Method: method, Members: members, IncludeZero: true}
	for rec, err := range a.Source.ResourceRecords(read, opts) {
		if err != nil {
			return fmt.Errorf("resource records %s: %w", how, err)
		}
		if err := w.AddCostRecord(ctx, CostRecord(a.Scope, m, rec, b.Names)); err != nil {
			return fmt.Errorf("add cost record: %w", err)
		}
		st.records++
		itemised.add(rec.Currency, rec.Amount)
		k := dayKey{rec.BillDate, rec.CustomerID}
		d := daily[k]
		if d == nil {
			d = tally{}
			daily[k] = d
		}
		d.add(rec.Currency, rec.Amount)
		if st.records%1000 == 0 {
			progress(int64(st.records))
		}
	}
	sopts := bss.MonthlySumOptions{Cycle: m, Method: method, Members: members}
	for s, err := range a.Source.MonthlySums(read, sopts) {
		if err != nil {
			return fmt.Errorf("monthly sums %s: %w", how, err)
		}
		if err := w.AddBillSummary(ctx, BillSummary(a.Scope, m, s, b.Names)); err != nil {
			return fmt.Errorf("add bill summary: %w", err)
		}
		st.summaries++
		st.summary.add(s.Currency, s.ConsumeAmount)
	}
	if err := w.Seal(ctx); err != nil {
		return fmt.Errorf("stage bills: %w", err)
	}
	return nil
}

// abortUnstaged, deferred after a month writer is begun, drops its staging
// area unless the month was staged in full, joining the abort's error to
// *err; the stored month stays as it was. The bills and amortised jobs
// share it.
func abortUnstaged(ctx context.Context, w interface{ Abort(context.Context) error }, staged *bool, err *error) {
	if *staged {
		return
	}
	actx, cancel := detached(ctx)
	defer cancel()
	if aerr := w.Abort(actx); aerr != nil {
		*err = errors.Join(*err, fmt.Errorf("abort month: %w", aerr))
	}
}
