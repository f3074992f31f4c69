package jobs

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
)

// beijing is the UTC+8 zone of billing months and bill dates.
var beijing = time.FixedZone("UTC+8", 8*60*60)

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
	// Burn, if set, gives syncd_cost_daily_burn the stored cost of the burn
	// window's days, amortised where the months' amortisation is stored
	// (see updateBurns); without it the burn is the billed cost.
	Burn BurnStore

	mu          sync.Mutex
	backfilled  bool                          // the first-start backfill was planned
	daily       map[string]map[dayKey]sums    // scope -> (bill date, customer) -> amount per currency
	dailyMonths map[string]map[bss.Month]bool // scope -> months whose days are in daily
	closed      map[bss.Month]bool            // closed months synced since start
	engineStart time.Time                     // engine start seen by the last integrity check
	feesOff     map[string]bool               // scopes whose site offers no transaction bills (logged once)
}

func (b *Bills) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
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
