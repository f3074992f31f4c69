package jobs

import (
	"context"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
)

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
