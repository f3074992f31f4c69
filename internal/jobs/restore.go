package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// GaugeStore reads back what the business gauges are made of, so that a
// restarted daemon exports them at once instead of after each job's next
// run (up to an hour, during which alerts on them would be quiet);
// *sink.Sink has it.
type GaugeStore interface {
	LatestBalances(ctx context.Context) ([]sink.BalanceSnapshot, error)
	LatestResourcePackages(ctx context.Context) ([]sink.ResourcePackageSnapshot, error)
	DailyCosts(ctx context.Context, from, to time.Time) ([]sink.DailyCost, error)
}

// Restore sets the balance gauges of every configured scope from its
// latest stored snapshot.
func (j *Balances) Restore(ctx context.Context, store GaugeStore) error {
	rows, err := store.LatestBalances(ctx)
	if err != nil {
		return err
	}
	by := make(map[string][]sink.BalanceSnapshot)
	for _, r := range rows {
		by[r.Scope] = append(by[r.Scope], r)
	}
	for _, a := range j.Accounts {
		if rs := by[a.Scope]; len(rs) > 0 {
			j.setGauges(a.Scope, rs, rs[0].DebtAmount, rs[0].Currency)
		}
	}
	return nil
}

// Restore sets the package gauges of every configured scope from its latest
// stored snapshot, with the same rules as a run (see setGauges).
func (j *Packages) Restore(ctx context.Context, store GaugeStore) error {
	rows, err := store.LatestResourcePackages(ctx)
	if err != nil {
		return err
	}
	by := make(map[string][]sink.ResourcePackageSnapshot)
	for _, r := range rows {
		by[r.Scope] = append(by[r.Scope], r)
	}
	now := clock(j.Now)()
	for _, a := range j.Accounts {
		if rs := by[a.Scope]; len(rs) > 0 {
			j.setGauges(a.Scope, rs, now)
		}
	}
	return nil
}

// Restore reads the stored days of the current month and of the burn
// window, and sets syncd_cost_month_to_date and syncd_cost_daily_burn from
// them as a bills run would. A month counts as known for a scope only when
// it holds rows there, so a month never synced is still read by the next
// run. Which accounts are covered by a master is read from where their
// costs are stored. A month that holds duplicated rows after an engine
// restart (see IntegrityStore) is not used: its figures would be wrong until
// the next bills run repairs it, so its gauges wait for that run.
func (b *Bills) Restore(ctx context.Context, store GaugeStore) ([]sink.MonthKey, error) {
	now := b.now()
	cur := bss.MonthOf(now)
	from := cur
	for _, d := range burnDays(now) {
		if m := (bss.Month{Year: d.Year(), Month: d.Month()}); m.Before(from) {
			from = m
		}
	}
	rows, err := store.DailyCosts(ctx, from.Date(), cur.Date())
	if err != nil {
		return nil, fmt.Errorf("restore cost gauges: %w", err)
	}
	dup := make(map[string]map[bss.Month]bool)
	var ks []sink.MonthKey
	if b.Integrity != nil {
		if ks, err = b.Integrity.MismatchedMonths(ctx); err != nil {
			return nil, fmt.Errorf("restore cost gauges: %w", err)
		}
		for _, k := range ks {
			if dup[k.Scope] == nil {
				dup[k.Scope] = make(map[bss.Month]bool)
			}
			dup[k.Scope][bss.Month{Year: k.Cycle.Year(), Month: k.Cycle.Month()}] = true
		}
	}
	configured := make(map[string]bool)
	for _, a := range b.Accounts {
		configured[a.Scope] = true
	}
	covered := make(map[string]string)
	monthToDate := make(map[string]sums)
	b.mu.Lock()
	if b.daily == nil {
		b.daily = make(map[string]map[dayKey]sums)
		b.dailyMonths = make(map[string]map[bss.Month]bool)
		b.closed = make(map[bss.Month]bool)
	}
	for _, r := range rows {
		if !configured[r.Scope] {
			continue
		}
		m := bss.Month{Year: r.BillDate.Year(), Month: r.BillDate.Month()}
		if dup[r.Scope][m] {
			continue
		}
		if b.dailyMonths[r.Scope] == nil {
			b.dailyMonths[r.Scope] = make(map[bss.Month]bool)
			b.daily[r.Scope] = make(map[dayKey]sums)
		}
		b.dailyMonths[r.Scope][m] = true
		k := dayKey{r.BillDate.Format(time.DateOnly), r.CustomerID}
		if b.daily[r.Scope][k] == nil {
			b.daily[r.Scope][k] = sums{}
		}
		b.daily[r.Scope][k].add(r.Currency, r.Amount)
		if m == cur {
			if monthToDate[r.Scope] == nil {
				monthToDate[r.Scope] = sums{}
			}
			monthToDate[r.Scope].add(r.Currency, r.Amount)
		}
		for _, a := range b.Accounts {
			if a.CustomerID == r.CustomerID && a.Scope != r.Scope {
				covered[a.Scope] = r.Scope
			}
		}
	}
	b.mu.Unlock()
	for scope, s := range monthToDate {
		for c, v := range s {
			b.Metrics.monthToDate.WithLabelValues(scope, c).Set(float(v))
		}
	}
	b.updateBurns(ctx, now, covered)
	return ks, nil
}
