package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// ForecastStore reads what the forecast job computes from: the budgets users
// keep in ClickHouse and the stored costs; *sink.Sink has it.
type ForecastStore interface {
	Budgets(ctx context.Context) ([]sink.Budget, error)
	BudgetCosts(ctx context.Context, from, to time.Time) ([]sink.BudgetDay, error)
	ServiceDailyCosts(ctx context.Context, from, to time.Time) ([]sink.ServiceDay, error)
}

// The forecast method's windows (docs/budgets.md, "The forecast"), and the
// anomaly rule's baseline (docs/alerts.md, SyncdServiceSpendAnomaly).
const (
	// UsageRateDays is the shortest window of the usage rate: the mean daily
	// usage (everything but one-off purchases) of the complete days of the
	// month so far, or of the last 7 complete days while the month has fewer.
	UsageRateDays = 7
	// OneOffRateDays is the window of the one-off rate: purchases, renewals
	// and their refunds happen on few days, so they are averaged over the
	// last 90 complete days.
	OneOffRateDays = 90
	// BaselineDays is the window of a service's daily usage baseline: the
	// median of the 14 complete days before the day compared.
	BaselineDays = 14
)

// Budget dimensions, the values of budgets.dimension.
var budgetDimensions = []string{"scope", "service", "enterprise_project", "org_unit", "tag"}

// Forecast is the job that turns the stored costs into the budget gauges
// (budget, month to date, month-end forecast, per budget) and the daily
// usage gauges per service that the anomaly alert compares. It reads only
// ClickHouse, so it runs after the bills job; it is also run at start-up,
// which restores its gauges. It records its run under the first configured
// scope, as the look-ups job does.
type Forecast struct {
	Accounts []Account
	Store    ForecastStore
	Runs     RunStore
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time

	mu       sync.Mutex
	budgets  map[[2]string]bool // exported (budget, currency) label sets
	figures  map[[3]string]bool // exported (budget, currency, basis)
	services map[[5]string]bool // exported (scope, service, service_name, currency, basis)
}

// ErrInvalidBudget is returned (wrapped, naming the budgets) when budgets
// rows cannot be used; the valid budgets are still exported.
var ErrInvalidBudget = errors.New("invalid budget")

// Run computes every gauge from the stored costs.
func (f *Forecast) Run(ctx context.Context, _ Window) error {
	accounts := f.Accounts
	if len(accounts) > 1 {
		accounts = accounts[:1]
	}
	return forEachScope(ctx, JobForecast, accounts, f.Runs, f.Metrics, f.Logger, clock(f.Now), func(ctx context.Context, _ Account, logger *slog.Logger) (int, error) {
		now := clock(f.Now)()
		n, berr := f.budgetGauges(ctx, now, logger)
		m, serr := f.serviceGauges(ctx, now)
		return n + m, errors.Join(berr, serr)
	})
}

// civilToday returns the UTC+8 date of now, at midnight UTC.
func civilToday(now time.Time) time.Time {
	l := now.In(beijing)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// CheckBudget reports what makes a budget unusable, naming the column.
func CheckBudget(b sink.Budget) error {
	var errs []error
	switch {
	case !slices.Contains(budgetDimensions, b.Dimension):
		errs = append(errs, fmt.Errorf("dimension %q is not one of %s", b.Dimension, strings.Join(budgetDimensions, ", ")))
	case b.Dimension != "scope" && b.Value == "":
		errs = append(errs, fmt.Errorf("value is empty (a %s budget needs the %s it covers)", b.Dimension, b.Dimension))
	case b.Dimension == "tag" && b.TagKey == "":
		errs = append(errs, errors.New("tag_key is empty (a tag budget covers the resources whose tag tag_key has the value value)"))
	}
	if !b.Amount.IsPositive() {
		errs = append(errs, fmt.Errorf("amount %s is not positive", b.Amount))
	}
	if b.Currency != "CNY" && b.Currency != "USD" {
		errs = append(errs, fmt.Errorf("currency %q is not CNY or USD", b.Currency))
	}
	return errors.Join(errs...)
}

func (f *Forecast) budgetGauges(ctx context.Context, now time.Time, logger *slog.Logger) (int, error) {
	budgets, err := f.Store.Budgets(ctx)
	if err != nil {
		return 0, err
	}
	today := civilToday(now)
	from := today.AddDate(0, 0, -OneOffRateDays)
	if ms := bss.MonthOf(now).Date(); ms.Before(from) {
		from = ms
	}
	days, err := f.Store.BudgetCosts(ctx, from, today)
	if err != nil {
		return 0, err
	}
	by := make(map[string][]sink.BudgetDay)
	start := today
	for _, d := range days {
		by[d.Budget] = append(by[d.Budget], d)
		if d.BillDate.Before(start) {
			start = d.BillDate
		}
	}
	var bad []error
	seen := make(map[[2]string]bool)
	seenFig := make(map[[3]string]bool)
	for _, b := range budgets {
		if err := CheckBudget(b); err != nil {
			logger.Warn("budget ignored", "budget", b.Name, "err", err)
			bad = append(bad, fmt.Errorf("%w %q: %w", ErrInvalidBudget, b.Name, err))
			continue
		}
		actual, forecast := MonthEnd(by[b.Name], today, start, true)
		k := [2]string{b.Name, b.Currency}
		seen[k] = true
		basis := MonthBasis(by[b.Name], today)
		seenFig[[3]string{b.Name, b.Currency, basis}] = true
		f.Metrics.budgetAmount.WithLabelValues(b.Name, b.Currency).Set(float(b.Amount))
		f.Metrics.budgetActual.WithLabelValues(b.Name, b.Currency, basis).Set(float(actual))
		f.Metrics.budgetForecast.WithLabelValues(b.Name, b.Currency, basis).Set(float(forecast))
	}
	f.mu.Lock()
	for k := range f.budgets {
		if !seen[k] {
			f.Metrics.budgetAmount.DeleteLabelValues(k[0], k[1])
		}
	}
	for k := range f.figures {
		if !seenFig[k] {
			f.Metrics.budgetActual.DeleteLabelValues(k[:]...)
			f.Metrics.budgetForecast.DeleteLabelValues(k[:]...)
		}
	}
	f.budgets, f.figures = seen, seenFig
	f.mu.Unlock()
	return len(seen), errors.Join(bad...)
}

// MonthBasis is the basis of a budget's figures for the billing month that
// holds today: that of the month's days so far (the month to date, which the
// forecast extends), or of every day read when the month has none yet.
// Amortised when every one of them is on the amortised basis, billed when
// none is, mixed otherwise.
func MonthBasis(days []sink.BudgetDay, today time.Time) string {
	cycle := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	month, all := map[string]bool{}, map[string]bool{}
	for _, d := range days {
		all[d.Basis] = true
		if d.BillCycle.Equal(cycle) && !d.BillDate.After(today) {
			month[d.Basis] = true
		}
	}
	if len(month) > 0 {
		return burnBasis(month)
	}
	return burnBasis(all)
}

// MonthEnd forecasts the month-end amount of the billing month that holds
// today (a UTC+8 date at midnight UTC) from a budget's daily costs, and
// returns it with the month's actual amount so far. start is the first date
// whose costs are stored (earlier days are unknown, not zero). With
// withToday, the costs of today so far count (the daemon); without, today
// is the first unknown day (the back-test, which forecasts at the start of
// a day).
//
// The method (docs/budgets.md): a typical day costs the usage rate (the
// mean daily cost, one-off purchases excepted, of the complete days of the
// month so far, at least the last UsageRateDays) plus the one-off rate (the mean daily one-off purchases of
// the last OneOffRateDays complete days); the forecast is the actual amount
// so far, plus a typical day for every day left after today, plus what
// today still lacks of a typical day.
func MonthEnd(days []sink.BudgetDay, today, start time.Time, withToday bool) (actual, forecast decimal.Decimal) {
	cycle := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	var usage, oneOff, todaySoFar decimal.Decimal
	usageFrom, oneOffFrom := today.AddDate(0, 0, -max(UsageRateDays, today.Day()-1)), today.AddDate(0, 0, -OneOffRateDays)
	for _, d := range days {
		past := d.BillDate.Before(today)
		if d.BillCycle.Equal(cycle) && (past || withToday && d.BillDate.Equal(today)) {
			actual = actual.Add(d.Amount)
		}
		switch {
		case d.BillDate.Equal(today) && withToday:
			todaySoFar = todaySoFar.Add(d.Amount)
		case !past:
		default:
			if !d.BillDate.Before(usageFrom) {
				usage = usage.Add(d.Amount.Sub(d.OneOff))
			}
			if !d.BillDate.Before(oneOffFrom) {
				oneOff = oneOff.Add(d.OneOff)
			}
		}
	}
	typical := rate(usage, usageFrom, today, start).Add(rate(oneOff, oneOffFrom, today, start))
	left := int64(time.Date(today.Year(), today.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day() - today.Day())
	forecast = actual.Add(typical.Mul(decimal.NewFromInt(left)))
	if rest := typical.Sub(todaySoFar); rest.IsPositive() {
		forecast = forecast.Add(rest)
	}
	return actual, forecast.Round(8)
}

// rate is sum per day over the complete days from..today-1 that are known
// (from start on); zero when none is.
func rate(sum decimal.Decimal, from, today, start time.Time) decimal.Decimal {
	if from.Before(start) {
		from = start
	}
	n := int64(today.Sub(from).Hours() / 24)
	if n <= 0 {
		return decimal.Zero
	}
	return sum.DivRound(decimal.NewFromInt(n), 8)
}

// BacktestPoint is one forecast of a past month made at the start of one of
// its days, with the month's actual amount.
type BacktestPoint struct {
	Budget           string
	Month            bss.Month
	Day              int
	Forecast, Actual decimal.Decimal
}

// Backtest forecasts every complete month of a budget's stored history
// (before the month of now) at the start of each of its days, as MonthEnd
// would have on that day with the costs known then; start is the first
// stored date (of any budget). Months that begin less than UsageRateDays
// after it are left out: their first forecasts have no history at all.
func Backtest(budget string, days []sink.BudgetDay, start, now time.Time) []BacktestPoint {
	totals := make(map[time.Time]decimal.Decimal)
	for _, d := range days {
		totals[d.BillCycle] = totals[d.BillCycle].Add(d.Amount)
	}
	cur := bss.MonthOf(now).Date()
	var cycles []time.Time
	for c := range totals {
		if c.Before(cur) && !c.Before(start.AddDate(0, 0, UsageRateDays)) {
			cycles = append(cycles, c)
		}
	}
	sort.Slice(cycles, func(i, j int) bool { return cycles[i].Before(cycles[j]) })
	var out []BacktestPoint
	for _, c := range cycles {
		for day := c; day.Month() == c.Month(); day = day.AddDate(0, 0, 1) {
			_, fc := MonthEnd(days, day, start, false)
			out = append(out, BacktestPoint{Budget: budget, Month: bss.Month{Year: c.Year(), Month: c.Month()}, Day: day.Day(),
				Forecast: fc, Actual: totals[c]})
		}
	}
	return out
}

// LinearForecast is the naive method the back-test compares with (and the
// cost overview's "Forecast to month end" panel uses): the month so far,
// per elapsed day, times the days of the month, at the start of day.
func LinearForecast(days []sink.BudgetDay, day time.Time) decimal.Decimal {
	if day.Day() == 1 {
		return decimal.Zero
	}
	cycle := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	var sum decimal.Decimal
	for _, d := range days {
		if d.BillCycle.Equal(cycle) && d.BillDate.Before(day) {
			sum = sum.Add(d.Amount)
		}
	}
	n := int64(time.Date(day.Year(), day.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day())
	return sum.Mul(decimal.NewFromInt(n)).DivRound(decimal.NewFromInt(int64(day.Day()-1)), 8)
}

// serviceGauges sets, per (scope, service, currency), the usage of the last
// complete day and its baseline, for SyncdServiceSpendAnomaly, with the
// basis of the days read (amortised where the months' amortisation is
// stored, so a purchase is a steady daily share, not a spike).
func (f *Forecast) serviceGauges(ctx context.Context, now time.Time) (int, error) {
	today := civilToday(now)
	rows, err := f.Store.ServiceDailyCosts(ctx, today.AddDate(0, 0, -BaselineDays-1), today.AddDate(0, 0, -1))
	if err != nil {
		return 0, err
	}
	type key struct{ scope, service, currency string }
	series := make(map[key]map[time.Time]decimal.Decimal)
	names := make(map[key]string)
	bases := make(map[key]map[string]bool)
	start := today
	for _, r := range rows {
		k := key{r.Scope, r.ServiceTypeCode, r.Currency}
		if series[k] == nil {
			series[k] = make(map[time.Time]decimal.Decimal)
		}
		series[k][r.BillDate] = series[k][r.BillDate].Add(r.Amount.Sub(r.OneOff))
		if bases[k] == nil {
			bases[k] = make(map[string]bool)
		}
		bases[k][r.Basis] = true
		if names[k] == "" {
			names[k] = r.ServiceTypeName
		}
		if r.BillDate.Before(start) {
			start = r.BillDate
		}
	}
	seen := make(map[[5]string]bool)
	for k, s := range series {
		last, base := ServiceUsage(s, today, start)
		if last.IsZero() && base.IsZero() {
			continue
		}
		name := names[k]
		if name == "" {
			name = k.service
		}
		l := [5]string{k.scope, k.service, boundedLabel(name), k.currency, burnBasis(bases[k])}
		seen[l] = true
		f.Metrics.serviceUsage.WithLabelValues(l[:]...).Set(float(last))
		f.Metrics.serviceBaseline.WithLabelValues(l[:]...).Set(float(base))
	}
	f.mu.Lock()
	for l := range f.services {
		if !seen[l] {
			f.Metrics.serviceUsage.DeleteLabelValues(l[:]...)
			f.Metrics.serviceBaseline.DeleteLabelValues(l[:]...)
		}
	}
	f.services = seen
	f.mu.Unlock()
	return len(seen), nil
}

// ServiceUsage returns a service's usage (one-off purchases excepted) on
// the last complete day before today, and its baseline: the median usage of
// the BaselineDays days before that, a day without costs counting as zero
// (days before start, the first stored date, are unknown and left out).
// The median ignores a few odd days, and leaving purchases out keeps a
// yearly renewal from reading as an anomaly.
func ServiceUsage(usage map[time.Time]decimal.Decimal, today, start time.Time) (last, baseline decimal.Decimal) {
	day := today.AddDate(0, 0, -1)
	last = usage[day]
	var vals []decimal.Decimal
	for i := 1; i <= BaselineDays; i++ {
		d := day.AddDate(0, 0, -i)
		if d.Before(start) {
			break
		}
		vals = append(vals, usage[d])
	}
	if len(vals) == 0 {
		return last, decimal.Zero
	}
	slices.SortFunc(vals, func(a, b decimal.Decimal) int { return a.Cmp(b) })
	n := len(vals)
	if n%2 == 1 {
		return last, vals[n/2]
	}
	return last, vals[n/2-1].Add(vals[n/2]).Div(decimal.NewFromInt(2))
}
