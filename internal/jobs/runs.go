package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// scopeRun is the bookkeeping of one job run for one scope (and, for bills,
// one month): it counts API calls through the context, times the run, and
// records the sync_runs row and the metrics.
type scopeRun struct {
	job, scope string
	cycle      bss.Month
	runID      string
	start      time.Time
	calls      atomic.Int64

	// backfillWindow and backfillID tag the rows of a backfill (see
	// Bills.resume).
	backfillWindow, backfillID string

	rows                      uint64
	itemised, summary, driftV decimal.Decimal
	currency                  string
	// feeAmount and feeDrift reconcile the transaction bills against the
	// itemised records (bills runs that read them).
	feeAmount, feeDrift decimal.Decimal
}

func newScopeRun(ctx context.Context, job, scope string, cycle bss.Month, now time.Time) (*scopeRun, context.Context) {
	r := &scopeRun{job: job, scope: scope, cycle: cycle, runID: RunID(ctx), start: now}
	return r, bss.WithCallCounter(ctx, &r.calls)
}

// finish writes the sync_runs row. A failure to record the run is joined to
// the run's own error: a run that cannot be recorded would be re-done at the
// next start-up anyway.
func (r *scopeRun) finish(ctx context.Context, runs RunStore, logger *slog.Logger, now time.Time, runErr error) error {
	row := sink.SyncRun{
		RunID:          r.runID,
		Job:            r.job,
		Scope:          r.scope,
		StartedAt:      r.start.UTC(),
		FinishedAt:     now.UTC(),
		Status:         sink.RunSuccess,
		Rows:           r.rows,
		APICalls:       uint64(r.calls.Load()),
		ItemisedAmount: r.itemised,
		SummaryAmount:  r.summary,
		Drift:          r.driftV,
		Currency:       r.currency,
		FeeAmount:      r.feeAmount,
		FeeDrift:       r.feeDrift,
		BackfillWindow: r.backfillWindow,
		BackfillID:     r.backfillID,
	}
	if !r.cycle.IsZero() {
		row.BillCycle = r.cycle.Date()
	}
	if runErr != nil {
		row.Status = sink.RunFailure
		if Interrupted(ctx, runErr) {
			row.Status = sink.RunInterrupted
		}
		row.Error = truncate(runErr.Error(), 2000)
	}
	if runs != nil {
		dctx, cancel := detached(ctx)
		defer cancel()
		if err := runs.RecordRun(dctx, row); err != nil {
			err = fmt.Errorf("record run in sync_runs: %w", err)
			if runErr == nil {
				return err
			}
			logger.Warn("could not record the run in sync_runs", "status", row.Status, "err", err)
		}
	}
	return runErr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// forEachScope runs fn for every account, one after another, and records a
// sync_runs row and the per-scope metrics for each. Errors are wrapped with
// the scope and joined; one failing scope does not stop the others.
func forEachScope(ctx context.Context, job string, accounts []Account, runs RunStore, m *Metrics, logger *slog.Logger, now func() time.Time,
	fn func(ctx context.Context, a Account, logger *slog.Logger) (rows int, err error)) error {
	var errs []error
	for _, a := range accounts {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		r, rctx := newScopeRun(ctx, job, a.Scope, bss.Month{}, now())
		l := logger.With("job", job, "scope", a.Scope, "run_id", r.runID)
		n, err := fn(rctx, a, l)
		r.rows = uint64(max(n, 0))
		if err != nil {
			err = fmt.Errorf("%s scope %s: %w", job, a.Scope, err)
		}
		err = r.finish(ctx, runs, l, now(), err)
		if !Interrupted(ctx, err) {
			m.scopeResult(job, a.Scope, now(), err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l.Info("scope synced", "rows", n, "api_calls", r.calls.Load(), "duration", now().Sub(r.start))
	}
	return errors.Join(errs...)
}
