package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// backfill is what a bills run given a window (`syncd sync --from A --to B`)
// knows of earlier runs of the same window: per scope, the id of the
// backfill it belongs to and the months it skips. resumePlan is the one place
// the skip is decided; README.md (Operations, "Backfill") gives the rule.
type backfill struct {
	window string
	ids    map[string]string
	skip   map[string][]bss.Month
}

// tag returns the window and backfill id to record for scope; "" when the
// run is no backfill.
func (bf *backfill) tag(scope string) (string, string) {
	if bf == nil {
		return "", ""
	}
	return bf.window, bf.ids[scope]
}

// todo returns the months of ms that scope must read.
func (bf *backfill) todo(scope string, ms []bss.Month) []bss.Month {
	if bf == nil {
		return ms
	}
	return slices.DeleteFunc(slices.Clone(ms), func(m bss.Month) bool { return slices.Contains(bf.skip[scope], m) })
}

// resume decides the backfill of a windowed bills run; nil for a run without
// a window. A failed look-up of earlier runs is logged and the whole window
// is read (a new backfill).
func (b *Bills) resume(ctx context.Context, w Window, now time.Time) *backfill {
	if w.IsZero() {
		return nil
	}
	bf := &backfill{window: w.String(), ids: map[string]string{}, skip: map[string][]bss.Month{}}
	var commits map[string][]sink.BackfillCommit
	if b.Backfills != nil && !w.Force {
		var err error
		if commits, err = b.Backfills.BackfillCommits(ctx, bf.window); err != nil {
			b.Logger.Warn("could not read earlier runs of this backfill; every month of the window is read", "window", bf.window, "err", err)
			commits = nil
		}
	}
	for _, a := range b.Accounts {
		id, skip := resumePlan(commits[a.Scope], w, now, finalDay(a), b.finalHour())
		if id == "" {
			id = RunID(ctx)
		}
		bf.ids[a.Scope], bf.skip[a.Scope] = id, skip
		if len(skip) > 0 {
			b.Logger.Info("resuming an incomplete backfill: skipping the months it committed (--force re-reads them)",
				"scope", a.Scope, "window", bf.window, "backfill_id", id, "skipped_months", len(skip),
				"months_to_read", len(w.Months())-len(skip))
		}
	}
	return bf
}

// resumePlan returns the backfill to resume for one scope and the months it
// skips, from the months earlier runs of window w committed; "" and nil
// start a new backfill. See backfill for the rule.
func resumePlan(commits []sink.BackfillCommit, w Window, now time.Time, finalDay, finalHour int) (string, []bss.Month) {
	if len(commits) == 0 {
		return "", nil
	}
	latest := commits[0]
	for _, c := range commits[1:] {
		if c.FinishedAt.After(latest.FinishedAt) {
			latest = c
		}
	}
	final := map[bss.Month]bool{}
	for _, c := range commits {
		m := bss.Month{Year: c.Month.Year(), Month: c.Month.Month()}
		if c.ID == latest.ID && !c.FinishedAt.Before(finalAt(m, finalDay, finalHour)) {
			final[m] = true
		}
	}
	var skip []bss.Month
	for _, m := range ClosedMonths(w, now, finalDay, finalHour) {
		if final[m] {
			skip = append(skip, m)
		}
	}
	if len(skip) == len(ClosedMonths(w, now, finalDay, finalHour)) {
		return "", nil // complete: the same command is a new, full backfill
	}
	return latest.ID, skip
}

// finalAt is when month m becomes final: finalDay of the next month at
// finalHour UTC+8 (0 means the defaults, 3 and 10), as OpenMonths decides.
func finalAt(m bss.Month, finalDay, finalHour int) time.Time {
	if finalDay == 0 {
		finalDay = 3
	}
	if finalHour == 0 {
		finalHour = 10
	}
	n := m.Next()
	return time.Date(n.Year, n.Month, finalDay, finalHour, 0, 0, 0, beijing)
}
