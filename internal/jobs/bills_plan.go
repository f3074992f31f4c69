package jobs

import (
	"context"
	"slices"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
)

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
