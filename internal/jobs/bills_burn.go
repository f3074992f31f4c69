package jobs

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

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

// BurnStore reads the cost of days as daily burn counts it: amortised where
// the month's amortisation is stored, billed elsewhere (the daily_costs
// view); *sink.Sink has it.
type BurnStore interface {
	BurnCosts(ctx context.Context, from, to time.Time) ([]sink.DailyCost, error)
}

// Cost bases, the basis label of syncd_cost_daily_burn and of the budget
// and service usage gauges (the forecast job).
const (
	BasisAmortized = "amortized"
	BasisBilled    = "billed"
	BasisMixed     = "mixed"
)

// burnBasis names the basis of a figure made of days of the bases seen
// (a day of budget_costs can itself be mixed).
func burnBasis(seen map[string]bool) string {
	switch {
	case seen[BasisMixed] || seen[BasisAmortized] && seen[BasisBilled]:
		return BasisMixed
	case seen[BasisAmortized]:
		return BasisAmortized
	}
	return BasisBilled
}

// updateBurns sets syncd_cost_daily_burn for every account whose burn
// window is known: the mean daily cost over the last 7 complete days of
// what is paid from the account's balance (see Payer). A member that pays
// for itself (configured as an account of its own, or declared in
// SelfPaying) never counts in its master's burn; a configured member whose
// bills arrive through its master (covered) gets the burn of its own costs,
// read from the master's scope. With Burn set the days' costs are read from
// the store on the amortised basis where it is stored (so a yearly renewal
// counts as its share of each day it pays for, not as its price on the day
// it was bought); without it, or when that read fails, they are the billed
// days the job holds, and the basis label says which.
func (b *Bills) updateBurns(ctx context.Context, now time.Time, covered map[string]string) {
	days := burnDays(now)
	var stored map[string][]sink.DailyCost // source scope -> days of the window
	if b.Burn != nil {
		rows, err := b.Burn.BurnCosts(ctx, days[0], days[len(days)-1])
		if err != nil {
			b.Logger.Warn("could not read the amortised daily costs; daily burn uses the billed days until the next run", "err", err)
		} else {
			stored = make(map[string][]sink.DailyCost)
			for _, r := range rows {
				stored[r.Scope] = append(stored[r.Scope], r)
			}
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	window := make(map[string]bool)
	for _, d := range days {
		window[d.Format(time.DateOnly)] = true
	}
	for _, p := range b.Accounts {
		source := p.Scope
		if by := covered[p.Scope]; by != "" {
			source = by
		}
		complete := true
		for _, d := range days {
			if !b.dailyMonths[source][bss.Month{Year: d.Year(), Month: d.Month()}] {
				complete = false
			}
		}
		if !complete {
			continue
		}
		total := sums{}
		seen := make(map[string]bool)
		if stored != nil {
			for _, r := range stored[source] {
				if Payer(b.Accounts, source, r.CustomerID) == p.Scope {
					total.add(r.Currency, r.Amount)
					seen[r.Basis] = true
				}
			}
		} else {
			for k, s := range b.daily[source] {
				if !window[k.date] || Payer(b.Accounts, source, k.customer) != p.Scope {
					continue
				}
				for cur, v := range s {
					total.add(cur, v)
				}
			}
		}
		basis := burnBasis(seen)
		b.Metrics.dailyBurn.DeletePartialMatch(prometheus.Labels{"scope": p.Scope})
		for cur, v := range total {
			b.Metrics.dailyBurn.WithLabelValues(p.Scope, cur, basis).Set(float(v.Div(decimal.NewFromInt(7))))
		}
	}
}
