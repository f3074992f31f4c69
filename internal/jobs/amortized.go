package jobs

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// AmortizedSource reads the monthly amortised-cost breakdown (Cost Center).
type AmortizedSource interface {
	AmortizedCosts(ctx context.Context, opts bss.AmortizedCostOptions) iter.Seq2[bss.AmortizedCost, error]
}

// AmortizedStore replaces one (scope, shared month) of amortised cost
// atomically and lists the stored amortised months that differ from their
// manifests; SinkAmortized adapts a *sink.Sink.
type AmortizedStore interface {
	BeginAmortizedMonth(ctx context.Context, scope string, month time.Time) (AmortizedWriter, error)
	MismatchedAmortizedMonths(ctx context.Context) ([]sink.MonthKey, error)
}

// AmortizedWriter stages one (scope, shared month) of amortised cost: it
// replaces the stored month at Commit, and nothing is stored after Abort.
type AmortizedWriter interface {
	Add(ctx context.Context, r sink.AmortizedCost) error
	SetRunID(id string)
	Commit(ctx context.Context, want int) error
	Abort(ctx context.Context) error
}

// Reasons the amortized job does not run for an account, the reason label
// of syncd_amortized_disabled.
const (
	AmortizedNoCostCenter = "cost_center_disabled" // CBC.18000014: Cost Center not enabled
	AmortizedUnsupported  = "site"                 // the international site has no such API
)

// Amortized syncs the monthly amortised cost (ListCustomerBillsMonthlyBreakDown)
// into amortized_costs, one atomic (scope, shared month) replacement at a
// time, with the member fan-out of the bills. Huawei refreshes the
// amortisation every 24 h with a 24–48 h lag and keeps 18 months: every run
// re-syncs the Months most recent shared months (the current one, which
// grows daily, and the closed ones whose last days and corrections arrive
// late), plus the months of a window and the stored months whose manifest
// check fails. An account without Cost Center (CBC.18000014), or on the
// international site, is not a failure: the job logs it once, exports
// syncd_amortized_disabled and asks again (one request) at every run, so
// enabling Cost Center needs no restart.
type Amortized struct {
	// Accounts are the scopes to sync; Store replaces their months and Runs
	// records one sync_runs row per scope and run. Names fills names and
	// units; Metrics and Logger are the job's instruments.
	Accounts []Account
	Store    AmortizedStore
	Runs     RunStore
	Names    *Names
	Metrics  *Metrics
	Logger   *slog.Logger
	// Members lists the member account IDs of a master's scope, for
	// MembersEach (normally (*Org).MemberIDs).
	Members func(ctx context.Context, scope string) ([]string, error)
	// Coverage, if set, finds the accounts whose own bills arrive through
	// another configured account's member fan-out; their amortised cost
	// does too, so they are skipped like their bills.
	Coverage *Coverage
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Months is how many recent shared months every run re-syncs, counting
	// the current one (default 3).
	Months int
	// Attempts bounds the re-reads of a month whose total_count drifts (default 3).
	Attempts int

	mu       sync.Mutex
	disabled map[string]string // scope -> reason, as last logged
}

func (j *Amortized) months() int {
	if j.Months <= 0 {
		return 3
	}
	return min(j.Months, bss.AmortizedHistoryMonths)
}

// OldestAmortizedMonth returns the oldest shared month the amortised-cost
// API still keeps at now: 18 months back, counting the current one.
func OldestAmortizedMonth(now time.Time) bss.Month {
	m := bss.MonthOf(now)
	for range bss.AmortizedHistoryMonths - 1 {
		m = m.Prev()
	}
	return m
}

// Run syncs, for every account, the recent shared months, the months of w
// that the API still keeps and the stored months that fail their manifest
// check. Months of w older than the API's 18 months are not synced and make
// Run return an error naming them (after the other months are synced).
func (j *Amortized) Run(ctx context.Context, w Window) error {
	now := clock(j.Now)
	if err := CheckWindow(w, now()); err != nil {
		return err
	}
	oldest := OldestAmortizedMonth(now())
	var recent []bss.Month
	m := bss.MonthOf(now())
	for range j.months() {
		recent = append(recent, m)
		m = m.Prev()
	}
	var tooOld []bss.Month
	for _, m := range w.Months() {
		if m.Before(oldest) {
			tooOld = append(tooOld, m)
		} else {
			recent = append(recent, m)
		}
	}
	repairs := j.repairs(ctx, oldest)
	var covered map[string]string
	if j.Coverage != nil {
		var err error
		if covered, err = j.Coverage.CoveredBy(ctx); err != nil {
			j.Logger.Warn("could not tell for every account whether its costs arrive through a master; the last decision is kept", "err", err)
		}
	}
	var accounts []Account
	for _, a := range j.Accounts {
		if covered[a.Scope] == "" {
			accounts = append(accounts, a)
		} else {
			j.Metrics.dropScope(JobAmortized, a.Scope)
		}
	}
	err := forEachScope(ctx, JobAmortized, accounts, j.Runs, j.Metrics, j.Logger, now, func(ctx context.Context, a Account, logger *slog.Logger) (int, error) {
		return j.syncScope(ctx, a, dedupMonths(append(append([]bss.Month(nil), recent...), repairs[a.Scope]...)), logger)
	})
	if len(tooOld) > 0 {
		err = errors.Join(err, fmt.Errorf("amortized: %s not synced: the amortised-cost API keeps only the last %d months (oldest is %s)",
			monthRange(tooOld), bss.AmortizedHistoryMonths, oldest))
	}
	return err
}

func monthRange(ms []bss.Month) string {
	ms = dedupMonths(ms)
	if len(ms) == 1 {
		return ms[0].String()
	}
	return ms[0].String() + ".." + ms[len(ms)-1].String()
}

// repairs returns, per scope, the stored amortised months within the API's
// history that differ from their manifests. A failed check is logged.
func (j *Amortized) repairs(ctx context.Context, oldest bss.Month) map[string][]bss.Month {
	keys, err := j.Store.MismatchedAmortizedMonths(ctx)
	if err != nil {
		j.Logger.Warn("amortised months integrity check failed; the next run retries", "err", err)
		return nil
	}
	out := make(map[string][]bss.Month)
	for _, k := range keys {
		m := bss.Month{Year: k.Cycle.Year(), Month: k.Cycle.Month()}
		if m.Before(oldest) {
			j.Logger.Warn("stored amortised month differs from its manifest but is older than the API keeps; left as is", "scope", k.Scope, "shared_month", m.String())
			continue
		}
		j.Logger.Warn("stored amortised month differs from its manifest; re-syncing it", "scope", k.Scope, "shared_month", m.String())
		out[k.Scope] = append(out[k.Scope], m)
	}
	return out
}

// syncScope syncs the months of one account, newest first: the first query
// tells whether the account has Cost Center at all.
func (j *Amortized) syncScope(ctx context.Context, a Account, months []bss.Month, logger *slog.Logger) (int, error) {
	src := a.Source
	method, members, err := memberQuery(ctx, a, j.Members)
	if err != nil {
		return 0, err
	}
	opts := bss.AmortizedCostOptions{Method: method, Members: members}
	var (
		rows int
		errs []error
	)
	for i := len(months) - 1; i >= 0; i-- {
		m := months[i]
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		n, mtd, err := j.syncMonth(ctx, src, a, opts, m)
		if reason := disabledReason(err); reason != "" {
			j.setDisabled(a.Scope, reason, logger, err)
			return rows, nil
		}
		j.setDisabled(a.Scope, "", logger, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("shared month %s: %w", m, err))
			continue
		}
		rows += n
		if m == bss.MonthOf(clock(j.Now)()) {
			j.Metrics.amortizedMTD.DeletePartialMatch(prometheus.Labels{"scope": a.Scope})
			for cur, v := range mtd {
				j.Metrics.amortizedMTD.WithLabelValues(a.Scope, cur).Set(float(v))
			}
		}
		logger.Info("amortised month synced", "shared_month", m.String(), "details", n)
	}
	return rows, errors.Join(errs...)
}

// disabledReason says why an error means "this account has no amortised
// cost to read" rather than a failure.
func disabledReason(err error) string {
	switch {
	case err == nil:
		return ""
	case bss.HasCode(err, bss.CodeCostCenterDisabled):
		return AmortizedNoCostCenter
	case errors.Is(err, errors.ErrUnsupported):
		return AmortizedUnsupported
	}
	return ""
}

// setDisabled records whether the job is disabled for scope (reason "" when
// not), logging only changes: one line when it becomes disabled, one when it
// works again.
func (j *Amortized) setDisabled(scope, reason string, logger *slog.Logger, cause error) {
	j.mu.Lock()
	if j.disabled == nil {
		j.disabled = make(map[string]string)
	}
	was, known := j.disabled[scope]
	j.disabled[scope] = reason
	j.mu.Unlock()
	j.Metrics.amortizedDisabled.DeletePartialMatch(prometheus.Labels{"scope": scope})
	for _, r := range []string{AmortizedNoCostCenter, AmortizedUnsupported} {
		v := 0.0
		if r == reason {
			v = 1
		}
		j.Metrics.amortizedDisabled.WithLabelValues(scope, r).Set(v)
	}
	switch {
	case reason == AmortizedNoCostCenter && was != reason:
		logger.Warn("Cost Center is not enabled for this account (CBC.18000014): amortised cost is not synced for it; enable Cost Center in the Billing Center and the next run picks it up",
			"err", cause)
	case reason == AmortizedUnsupported && was != reason:
		logger.Info("amortised cost is not offered on this site; the amortized job does nothing for this account", "reason", cause.Error())
	case reason == "" && known && was != "":
		logger.Info("amortised cost is readable again for this account")
	}
}

// Disabled returns the reason the job is disabled for scope, "" if it is
// not (or has not run for it yet).
func (j *Amortized) Disabled(scope string) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.disabled[scope]
}

// syncMonth reads one shared month into staging and commits it, re-reading
// it while total_count drifts. It returns the details written and the
// month's amortised amount per currency.
func (j *Amortized) syncMonth(ctx context.Context, src AmortizedSource, a Account, opts bss.AmortizedCostOptions, m bss.Month) (int, sums, error) {
	attempts := max(j.Attempts, 1)
	if j.Attempts == 0 {
		attempts = 3
	}
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		var (
			w   AmortizedWriter
			n   int
			mtd sums
		)
		w, n, mtd, err = j.stageMonth(ctx, src, a, opts, m)
		if err == nil {
			w.SetRunID(RunID(ctx))
			if err = w.Commit(ctx, n); err != nil {
				return 0, nil, fmt.Errorf("commit: %w", err)
			}
			return n, mtd, nil
		}
		var de *bss.DriftError
		if !errors.As(err, &de) || ctx.Err() != nil {
			break
		}
		if attempt < attempts {
			j.Logger.Warn("total_count drifted while reading the amortised month; re-reading it", "scope", a.Scope, "shared_month", m.String(), "attempt", attempt, "err", err)
		}
	}
	return 0, nil, err
}

func (j *Amortized) stageMonth(ctx context.Context, src AmortizedSource, a Account, opts bss.AmortizedCostOptions, m bss.Month) (_ AmortizedWriter, _ int, _ sums, err error) {
	w, err := j.Store.BeginAmortizedMonth(ctx, a.Scope, m.Date())
	if err != nil {
		return nil, 0, nil, fmt.Errorf("begin month: %w", err)
	}
	staged := false
	defer abortUnstaged(ctx, w, &staged, &err)
	n := 0
	mtd := sums{}
	opts.SharedMonth = m
	for d, err := range src.AmortizedCosts(ctx, opts) {
		if err != nil {
			return nil, 0, nil, fmt.Errorf("amortised costs (method=%s, %d members listed): %w", opts.Method, len(opts.Members), err)
		}
		if err := w.Add(ctx, AmortizedCostRow(a.Scope, d, j.Names)); err != nil {
			return nil, 0, nil, fmt.Errorf("add amortised cost: %w", err)
		}
		n++
		mtd.add(d.Currency, d.CurrentMonthAmount)
	}
	staged = true
	return w, n, mtd, nil
}

// memberQuery returns how a month of an account's bills or amortised cost
// is read: the bss client fans out to members (its one place for that rule,
// including skipping members that refuse access). MembersAll is one
// method=all query, which the client itself turns into a fan-out over every
// member when the service refuses it with CBC.18000048; MembersEach fans out
// over the org job's member list (members).
func memberQuery(ctx context.Context, a Account, members func(ctx context.Context, scope string) ([]string, error)) (bss.Method, []string, error) {
	switch a.Members {
	case MembersNone:
		return bss.MethodOneself, nil, nil
	case MembersEach:
		if members == nil {
			return "", nil, errors.New("member fan-out configured but no member list available")
		}
		ids, err := members(ctx, a.Scope)
		if err != nil {
			return "", nil, fmt.Errorf("list members: %w", err)
		}
		return bss.MethodOneself, ids, nil
	default:
		return bss.MethodAll, nil, nil
	}
}

// AmortizedCostRow maps one amortised-cost detail, read with the
// credentials of scope, to its amortized_costs row: both months are stored
// as their civil first days, units are resolved by name, and the cost tags
// and cost units become "key=value;…" text.
func AmortizedCostRow(scope string, d bss.AmortizedCost, names *Names) sink.AmortizedCost {
	return sink.AmortizedCost{
		Scope: scope, SharedMonth: d.SharedMonth.Date(), BillCycle: d.BillCycle.Date(), BillType: int32(d.BillType),
		CustomerID: d.CustomerID, RegionCode: d.RegionCode, RegionName: d.RegionName,
		ServiceTypeCode: d.ServiceTypeCode, ServiceTypeName: names.ServiceType(d.ServiceTypeCode, d.ServiceTypeName),
		ResourceTypeCode: d.ResourceTypeCode, ResourceTypeName: names.ResourceType(d.ResourceTypeCode, d.ResourceTypeName),
		ResourceID: d.ResourceID, ResourceName: d.ResourceName, ResourceTags: d.ResourceTag, ProductSpecDesc: d.ProductSpecDesc,
		EnterpriseProjectID: d.EnterpriseProjectID, EnterpriseProjectName: d.EnterpriseProjectName,
		ChargingMode: int32(d.ChargingMode), OrderID: d.OrderID, PeriodType: int32(d.PeriodType),
		EffectiveTime: d.EffectiveTime, ExpireTime: d.ExpireTime,
		UsageType: d.UsageType, Usage: d.Usage, UsageUnit: names.Unit(d.UsageMeasureID),
		FreeResourceUsage: d.FreeResourceUsage, FreeResourceUnit: names.Unit(d.FreeResourceMeasureID),
		RIUsage: d.RIUsage, RIUsageUnit: names.Unit(d.RIUsageMeasureID),
		ConsumeAmount: d.ConsumeAmount, PastMonthsAmortizedAmount: d.PastMonthsAmount,
		CurrentMonthAmortizedAmount: d.CurrentMonthAmount, FutureMonthsAmortizedAmount: d.FutureMonthsAmount,
		AmortizedCashAmount: d.AmortizedCashAmount, AmortizedCreditAmount: d.AmortizedCreditAmount,
		AmortizedCouponAmount: d.AmortizedCouponAmount, AmortizedFlexipurchaseCouponAmount: d.AmortizedFlexipurchaseCoupon,
		AmortizedStoredValueCardAmount: d.AmortizedStoredValueCardAmount, AmortizedBonusAmount: d.AmortizedBonusAmount,
		Currency:           d.Currency,
		SubServiceTypeCode: d.SubServiceTypeCode, SubResourceTypeCode: d.SubResourceTypeCode,
		SubResourceID: d.SubResourceID, SubResourceName: d.SubResourceName,
		CostTags: pairs(d.CostTagKeys, d.CostTagValues), CostUnits: pairs(d.CostUnitNames, d.CostUnitRuleVals),
	}
}

// pairs joins parallel keys and values as "k=v;k2=v2".
func pairs(keys, values []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(k)
		b.WriteByte('=')
		if i < len(values) {
			b.WriteString(values[i])
		}
	}
	return b.String()
}
