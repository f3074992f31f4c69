package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// DeductionSource reads the package deduction history (reference §9.3,
// China and international sites alike: every account reads its own
// packages' deductions, with no member fan-out).
type DeductionSource interface {
	PackageDeductions(ctx context.Context, opts bss.DeductionOptions) ([]bss.PackageDeduction, error)
}

// DeductionStore replaces a (scope, UTC+8 month) of package deductions
// atomically and reads back what the usage-rate gauges are made of.
type DeductionStore interface {
	ReplaceDeductionMonth(ctx context.Context, scope string, month time.Time, runID string, rows []sink.PackageDeduction) error
	PackageUsage(ctx context.Context, from, to time.Time) ([]sink.PackageItemUsage, error)
	LatestResourcePackages(ctx context.Context) ([]sink.ResourcePackageSnapshot, error)
}

// Deductions syncs the package deduction history: each run replaces, per
// account, the recent UTC+8 months of deductions (or the months of a
// --from/--to window) whole, then sets the usage-rate gauges of every
// package item in effect from what is stored.
type Deductions struct {
	// Accounts are the scopes to sync. Store writes and reads the
	// deductions, Runs the sync_runs records; Names gives unit names;
	// Metrics, Logger and Now (default time.Now) are the job's instruments
	// and clock.
	Accounts []Account
	Store    DeductionStore
	Runs     RunStore
	Names    *Names
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
	// Months is how many months, counting the current one, a run without a
	// window re-reads (deductions of a day can arrive the next day).
	Months int
	// RateDays is the trailing span the usage rate is measured over.
	RateDays int
}

// deductionsJob builds the job from the shared dependencies (Catalogue).
func deductionsJob(e Env) *Deductions {
	return &Deductions{Accounts: e.Accounts, Store: e.Sink, Runs: e.Runs, Names: e.Names, Metrics: e.Metrics, Logger: e.Logger, Now: e.Now,
		Months: e.Config.DeductionsMonths, RateDays: e.Config.DeductionsRateDays}
}

// Run replaces the months of every scope, then sets the gauges; a scope
// that failed keeps its stored months and its gauges are computed from them.
func (j *Deductions) Run(ctx context.Context, w Window) error {
	now := clock(j.Now)
	months := w.Months()
	if len(months) == 0 {
		m := bss.MonthOf(now())
		for range max(j.Months, 1) {
			months = append([]bss.Month{m}, months...)
			m = m.Prev()
		}
	}
	err := forEachScope(ctx, JobDeductions, j.Accounts, j.Runs, j.Metrics, j.Logger, now, func(ctx context.Context, a Account, _ *slog.Logger) (int, error) {
		n := 0
		for _, m := range months {
			to := m.Next().Start().Add(-time.Second)
			if t := now(); t.Before(to) {
				to = t
			}
			recs, err := a.Source.PackageDeductions(ctx, bss.DeductionOptions{From: m.Start(), To: to})
			if err != nil {
				return n, fmt.Errorf("month %s: %w", m, err)
			}
			rows, err := DeductionRows(a.CustomerID, m, recs, j.Names)
			if err != nil {
				return n, fmt.Errorf("month %s: %w", m, err)
			}
			if err := j.Store.ReplaceDeductionMonth(ctx, a.Scope, m.Date(), RunID(ctx), rows); err != nil {
				return n, fmt.Errorf("month %s: %w", m, err)
			}
			n += len(rows)
		}
		return n, nil
	})
	if ctx.Err() != nil {
		return err // interrupted: the next run sets the gauges
	}
	if gerr := j.SetGauges(ctx); gerr != nil {
		j.Logger.Warn("package usage gauges not updated", slog.Any("err", gerr))
	}
	return err
}

// DeductionRows maps the deductions of month m read for the account
// customerID to package_deductions rows. A deduction of another UTC+8
// month (the query asked for m's days only) is an error naming it.
func DeductionRows(customerID string, m bss.Month, recs []bss.PackageDeduction, names *Names) ([]sink.PackageDeduction, error) {
	rows := make([]sink.PackageDeduction, 0, len(recs))
	for _, r := range recs {
		if got := bss.MonthOf(r.DeductTime); got != m {
			return nil, fmt.Errorf("deduction of item %s at %s is of month %s, not of the month queried", r.FreeResourceID,
				r.DeductTime.UTC().Format(time.RFC3339), got)
		}
		rows = append(rows, sink.PackageDeduction{DeductMonth: m.Date(), DeductTime: r.DeductTime.UTC(), CustomerID: customerID,
			FreeResourceID: r.FreeResourceID, ResourceID: r.ResourceID, ResourceTypeCode: r.ResourceTypeCode,
			ResourceTypeName: names.ResourceType(r.ResourceTypeCode, r.ResourceTypeName), ResourceTag: r.ResourceTag,
			ProductID: r.ProductID, ProductName: r.ProductName, UsageTypeCode: r.UsageTypeCode,
			AvailableAmount: r.Available, RemainingAmount: r.Remaining, UsedAmount: r.Used,
			MeasureID: int32(r.MeasureID), MeasureUnit: names.Unit(r.MeasureID),
			EffectiveTime: r.EffectiveTime.UTC(), ExpireTime: r.ExpireTime.UTC()})
	}
	return rows, nil
}

// Restore sets the usage-rate gauges from what is stored, so that a
// restarted daemon exports them before the next (daily) run.
func (j *Deductions) Restore(ctx context.Context) error { return j.SetGauges(ctx) }

// SetGauges sets, for every package item in effect of a configured scope
// (its latest resources_packages snapshot), the usage-rate gauges (see
// ItemUsageRate) from the deductions stored over the last RateDays.
func (j *Deductions) SetGauges(ctx context.Context) error {
	now := clock(j.Now)()
	span := time.Duration(max(j.RateDays, 1)) * 24 * time.Hour
	pkgs, err := j.Store.LatestResourcePackages(ctx)
	if err != nil {
		return err
	}
	usage, err := j.Store.PackageUsage(ctx, now.Add(-span), now)
	if err != nil {
		return err
	}
	used := make(map[[2]string]decimal.Decimal, len(usage))
	for _, u := range usage {
		used[[2]string{u.Scope, u.FreeResourceID}] = u.Used
	}
	for _, a := range j.Accounts {
		l := prometheus.Labels{"scope": a.Scope}
		j.Metrics.pkgDailyUsage.DeletePartialMatch(l)
		j.Metrics.pkgExhaustion.DeletePartialMatch(l)
		j.Metrics.pkgUnusedAtExpiry.DeletePartialMatch(l)
	}
	configured := make(map[string]bool, len(j.Accounts))
	for _, a := range j.Accounts {
		configured[a.Scope] = true
	}
	for _, p := range pkgs {
		if !configured[p.Scope] {
			continue
		}
		r, ok := ItemUsageRate(p, used[[2]string{p.Scope, p.FreeResourceID}], now, span)
		if !ok {
			continue
		}
		product, usageType := boundedLabel(p.ProductName), boundedLabel(p.UsageType)
		j.Metrics.pkgDailyUsage.WithLabelValues(p.Scope, p.OrderInstanceID, p.FreeResourceID, product, usageType, p.MeasureUnit).Set(r.Daily)
		if !r.Exhaustion.IsZero() {
			j.Metrics.pkgExhaustion.WithLabelValues(p.Scope, p.OrderInstanceID, p.FreeResourceID, product, usageType).Set(unixSeconds(r.Exhaustion))
		}
		j.Metrics.pkgUnusedAtExpiry.WithLabelValues(p.Scope, p.OrderInstanceID, p.FreeResourceID, product, usageType).Set(r.UnusedAtExpiry)
	}
	return nil
}

// UsageRate is a package item's usage rate and where it leads.
type UsageRate struct {
	// Daily is the quota used per day, in the item's unit.
	Daily float64
	// Exhaustion is when the remaining quota runs out at that rate; zero
	// when nothing is used.
	Exhaustion time.Time
	// UnusedAtExpiry is the share of the original quota projected to be
	// left when the item expires: max(0, remaining − Daily × days to
	// expiry) / original.
	UnusedAtExpiry float64
}

// ItemUsageRate measures the usage rate of a package item p (its latest
// snapshot) from used, the quota its deductions used over the span before
// now: over the span, or since the item took effect when that is later.
// ok is false for an item not in effect (status other than 0 or 1), one
// without an expiry time or original quota, or one in effect for less than
// a day (too short to measure a rate).
func ItemUsageRate(p sink.ResourcePackageSnapshot, used decimal.Decimal, now time.Time, span time.Duration) (UsageRate, bool) {
	if (p.Status != 0 && p.Status != 1) || p.ExpireTime.IsZero() || !p.ExpireTime.After(now) || !p.OriginalAmount.IsPositive() {
		return UsageRate{}, false
	}
	since := now.Add(-span)
	if p.EffectiveTime.After(since) {
		since = p.EffectiveTime
	}
	days := decimal.NewFromInt(int64(now.Sub(since) / time.Second)).Div(decimal.NewFromInt(86400))
	if days.LessThan(decimal.NewFromInt(1)) {
		return UsageRate{}, false
	}
	daily := used.Div(days)
	var r UsageRate
	r.Daily = float(daily)
	if daily.IsPositive() {
		// At most a century ahead, so that a trickle cannot overflow a
		// time.Duration; the item expires long before.
		secs := decimal.Min(p.RemainingAmount.Div(daily).Mul(decimal.NewFromInt(86400)), decimal.NewFromInt(100*365*86400))
		r.Exhaustion = now.Add(time.Duration(secs.IntPart()) * time.Second)
	}
	toExpiry := decimal.NewFromInt(int64(p.ExpireTime.Sub(now) / time.Second)).Div(decimal.NewFromInt(86400))
	left := decimal.Max(decimal.Zero, p.RemainingAmount.Sub(daily.Mul(toExpiry)))
	r.UnusedAtExpiry = float(left.Div(p.OriginalAmount))
	return r, true
}
