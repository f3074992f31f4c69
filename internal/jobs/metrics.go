package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// Job results, the bounded values of the result label of syncd_job_runs_total.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	ResultPanic   = "panic"
	ResultSkipped = "skipped"
	// ResultInterrupted is a run stopped by SIGINT/SIGTERM or shutdown: not
	// a failure (no failure alert, no consecutive-failure count).
	ResultInterrupted = "interrupted"
)

// Interrupted reports whether err ended a run because its context was
// cancelled (SIGINT/SIGTERM, the daemon's shutdown) rather than because the
// run failed. A deadline (the job timeout) is a failure, not an interruption.
func Interrupted(ctx context.Context, err error) bool {
	return err != nil && errors.Is(ctx.Err(), context.Canceled)
}

// Job names, the bounded values of the syncd_job label and the keys of schedules. (The label is
// not called job: Prometheus attaches its own job target label, and a clash would rename ours to
// exported_job unless every scrape config set honor_labels.)
const (
	JobBills   = "bills"
	JobRecheck = "recheck"
	JobBalance = "balances"
	JobPackage = "packages"
	JobOrg     = "org"
	JobLookups = "lookups"
	JobVerify  = "verify"
	// JobAmortized syncs the amortised monthly cost (Cost Center).
	JobAmortized = "amortized"
	// JobForecast computes the budget forecasts and the daily usage per
	// service from the stored costs (no BSS calls).
	JobForecast = "forecast"
	// JobFunds snapshots an enterprise master's allocatable funds and what
	// it can take back from each member (China site).
	JobFunds = "funds"
	// JobDeductions syncs the package deduction history and sets the
	// package usage-rate gauges.
	JobDeductions = "deductions"
)

// balanceTypes maps the BSS account_type code to the account_type label.
var balanceTypes = map[int]string{1: "cash", 2: "credit", 5: "bonus", 7: "deposit"}

// Metrics holds the job and business collectors (syncd_rows_written_total
// belongs to the sink, which knows when rows become visible). Register them with
// Collectors on a private registry.
type Metrics struct {
	runs             *prometheus.CounterVec
	duration         *prometheus.HistogramVec
	lastSuccess      *prometheus.GaugeVec
	lastFailure      *prometheus.GaugeVec
	consecutiveFails *prometheus.GaugeVec
	interval         *prometheus.GaugeVec
	billMonths       *prometheus.GaugeVec
	drift            *prometheus.GaugeVec
	feeDrift         *prometheus.GaugeVec
	unsettled        *prometheus.GaugeVec
	unstable         *prometheus.GaugeVec
	balance          *prometheus.GaugeVec
	debt             *prometheus.GaugeVec
	monthToDate      *prometheus.GaugeVec
	dailyBurn        *prometheus.GaugeVec
	pkgRemaining     *prometheus.GaugeVec
	pkgOriginal      *prometheus.GaugeVec
	pkgExpiry        *prometheus.GaugeVec
	// pkgDailyUsage, pkgExhaustion and pkgUnusedAtExpiry are a package
	// item's usage rate from its deductions and where it leads (the
	// deductions job; see ItemUsageRate).
	pkgDailyUsage     *prometheus.GaugeVec
	pkgExhaustion     *prometheus.GaugeVec
	pkgUnusedAtExpiry *prometheus.GaugeVec
	covered           *prometheus.GaugeVec
	// integrityMismatches counts the stored months that differ from their
	// commit manifests, per scope (the verify job).
	integrityMismatches *prometheus.GaugeVec
	// amortizedDisabled is 1 for an account the amortized job cannot read
	// (no Cost Center, or a site without the API), by reason.
	amortizedDisabled *prometheus.GaugeVec
	amortizedMTD      *prometheus.GaugeVec
	// Budgets (the forecast job), per budget and currency.
	budgetAmount, budgetActual, budgetForecast *prometheus.GaugeVec
	// Daily usage per service and its baseline (the forecast job).
	serviceUsage, serviceBaseline *prometheus.GaugeVec
	// Member funds (the funds job): available amounts, each member's daily
	// burn and runway, and accounts the job cannot read.
	fundsAvailable, memberBurn, memberRunway, fundsUnavailable *prometheus.GaugeVec
}

// NewMetrics creates the job and business collectors. Label combinations
// that are known up front (every job and result, every table) are
// pre-created so that rate() and absent() work from the first scrape; the
// per-scope ones are created by Init.
func NewMetrics() *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_job_runs_total",
			Help: "Job runs by job and result (success, failure, panic, skipped).",
		}, []string{"syncd_job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncd_job_duration_seconds",
			Help:    "Duration of job runs in seconds.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600},
		}, []string{"syncd_job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_job_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of a job for a scope.",
		}, []string{"syncd_job", "scope"}),
		lastFailure: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_job_last_failure_timestamp_seconds",
			Help: "Unix time of the last failed run of a job for a scope.",
		}, []string{"syncd_job", "scope"}),
		consecutiveFails: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_job_consecutive_failures",
			Help: "Failed runs of a job for a scope since its last success.",
		}, []string{"syncd_job", "scope"}),
		interval: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_job_interval_seconds",
			Help: "Configured interval between runs of a job, from its cron schedule.",
		}, []string{"syncd_job"}),
		billMonths: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_bill_months",
			Help: "Billing months synced per state: open (provisional, re-synced every run) or closed (final).",
		}, []string{"state"}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_reconciliation_drift",
			Help: "Absolute difference between the itemised records' amount and the monthly summary's consume amount for the current month.",
		}, []string{"scope", "currency"}),
		feeDrift: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_transaction_fee_drift",
			Help: "Absolute difference between the transaction bills' consume amount and the itemised records' amount for the current month (China site only).",
		}, []string{"scope", "currency"}),
		unsettled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_unsettled_amount",
			Help: "Consume amount of the current month's transaction bills not (fully) settled yet (status 2 or 3; China site only).",
		}, []string{"scope", "currency"}),
		unstable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_bills_unstable_months",
			Help: "Months whose total_count kept drifting in the last bills run, so the stored month was kept.",
		}, []string{"scope"}),
		balance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_balance_amount",
			Help: "Account balance by scope, account type and currency.",
		}, []string{"scope", "account_type", "currency"}),
		debt: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_balance_debt_amount",
			Help: "Total arrears by scope and currency.",
		}, []string{"scope", "currency"}),
		monthToDate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_cost_month_to_date",
			Help: "Amount due of the current billing month (UTC+8) so far, from itemised records.",
		}, []string{"scope", "currency"}),
		dailyBurn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_cost_daily_burn",
			Help: "Average cost per day over the last 7 complete days (UTC+8) drawn on the scope's balance; basis amortized when every day of the window is on the amortised basis (prepaid purchases spread over the days they pay for, docs/dashboards.md), billed when none is, mixed otherwise.",
		}, []string{"scope", "currency", "basis"}),
		pkgRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_remaining",
			Help: "Remaining quota of a resource package item, in unit; 0 for a used-up item until it expires or an item of the same product and usage type is in effect.",
		}, []string{"scope", "package", "item", "product", "usage_type", "unit"}),
		pkgOriginal: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_original",
			Help: "Original quota of a resource package item, in unit.",
		}, []string{"scope", "package", "item", "product", "usage_type", "unit"}),
		pkgExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_expiry_timestamp_seconds",
			Help: "Unix time at which a resource package item expires.",
		}, []string{"scope", "package", "item", "product", "usage_type"}),
		pkgDailyUsage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_daily_usage",
			Help: "Quota a resource package item used per day over the trailing SYNCD_DEDUCTIONS_RATE_DAYS (or since it took effect), from its deductions, in unit.",
		}, []string{"scope", "package", "item", "product", "usage_type", "unit"}),
		pkgExhaustion: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_exhaustion_timestamp_seconds",
			Help: "Unix time at which a resource package item's remaining quota runs out at its daily usage; absent when nothing is used.",
		}, []string{"scope", "package", "item", "product", "usage_type"}),
		pkgUnusedAtExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_resource_package_unused_at_expiry_ratio",
			Help: "Share of a resource package item's original quota projected to be left unused when it expires, at its daily usage (0 to 1).",
		}, []string{"scope", "package", "item", "product", "usage_type"}),
		covered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_bills_covered_accounts",
			Help: "1 for a configured account whose own bills arrive through the member fan-out of another configured account (covered_by), so they are stored there only and not synced under its own scope; its balances and packages still are.",
		}, []string{"scope", "covered_by"}),
		integrityMismatches: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_month_integrity_mismatches",
			Help: "Stored bill months and amortised months that differ from the manifest recorded when they were committed (rows, exact sums, natural keys), after the last verify run's repair.",
		}, []string{"scope"}),
		amortizedDisabled: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_amortized_disabled",
			Help: "1 when the amortized job does not sync an account, by reason: cost_center_disabled (CBC.18000014, Cost Center not enabled) or site (the international site has no amortised-cost API); 0 otherwise.",
		}, []string{"scope", "reason"}),
		amortizedMTD: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_cost_amortized_month_to_date",
			Help: "Amortised cost of the current billing month (UTC+8) so far, from Cost Center's monthly breakdown (sum of current_month_amortized_amount; lags the bills by 24-48 h).",
		}, []string{"scope", "currency"}),
		budgetAmount: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_budget_amount",
			Help: "Monthly amount of a budget (billing months in UTC+8), from the budgets table.",
		}, []string{"budget", "currency"}),
		budgetActual: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_budget_month_to_date",
			Help: "Amount due of the current billing month so far that a budget covers.",
		}, []string{"budget", "currency"}),
		budgetForecast: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_budget_forecast",
			Help: "Forecast amount due at the end of the current billing month that a budget covers (docs/budgets.md).",
		}, []string{"budget", "currency"}),
		serviceUsage: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_cost_service_daily_usage",
			Help: "Amount due of a service on the last complete day (UTC+8), one-off purchases (yearly/monthly, reserved instances) excepted.",
		}, []string{"scope", "service", "service_name", "currency"}),
		serviceBaseline: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_cost_service_daily_usage_baseline",
			Help: "Median of a service's daily usage (as syncd_cost_service_daily_usage) over the 14 days before the last complete day.",
		}, []string{"scope", "service", "service_name", "currency"}),
		fundsAvailable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_member_funds_available",
			Help: "Funds an enterprise master can still allocate (role master) or take back from a member (role member), summed over the ledgers of a balance type (debit: cash, credit: credit ledgers).",
		}, []string{"scope", "customer_id", "role", "balance_type", "currency"}),
		memberBurn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_member_daily_burn",
			Help: "Average amount due per day of a member account over the last 7 complete days (UTC+8), from the stored itemised records.",
		}, []string{"scope", "customer_id", "currency"}),
		memberRunway: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_member_funds_runway_seconds",
			Help: "How long a member's retrievable cash lasts at its daily burn (only for members that spent in the last 7 days).",
		}, []string{"scope", "customer_id", "currency"}),
		fundsUnavailable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "syncd_member_funds_unavailable",
			Help: "1 for a configured account whose member funds cannot be read, by reason (not_master: not an enterprise master or no permission; unsupported: not offered on its site).",
		}, []string{"scope", "reason"}),
	}
	for _, j := range AllJobs {
		for _, r := range []string{ResultSuccess, ResultFailure, ResultPanic, ResultSkipped, ResultInterrupted} {
			m.runs.WithLabelValues(j, r)
		}
		m.duration.WithLabelValues(j)
	}
	m.billMonths.WithLabelValues("open")
	m.billMonths.WithLabelValues("closed")
	return m
}

// Collectors returns every collector, for registration.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		m.runs, m.duration, m.lastSuccess, m.lastFailure, m.consecutiveFails, m.interval,
		m.billMonths, m.drift, m.feeDrift, m.unsettled, m.unstable, m.balance, m.debt, m.monthToDate,
		m.dailyBurn, m.pkgRemaining, m.pkgOriginal, m.pkgExpiry, m.pkgDailyUsage, m.pkgExhaustion, m.pkgUnusedAtExpiry, m.covered, m.integrityMismatches,
		m.amortizedDisabled, m.amortizedMTD,
		m.budgetAmount, m.budgetActual, m.budgetForecast, m.serviceUsage, m.serviceBaseline,
		m.fundsAvailable, m.memberBurn, m.memberRunway, m.fundsUnavailable,
	}
}

// Init pre-creates the per-scope series of the given jobs and scopes.
func (m *Metrics) Init(jobs, scopes []string) {
	for _, s := range scopes {
		for _, j := range jobs {
			m.lastSuccess.WithLabelValues(j, s)
			m.lastFailure.WithLabelValues(j, s)
			m.consecutiveFails.WithLabelValues(j, s)
		}
		m.unstable.WithLabelValues(s)
	}
}

// InitCurrency pre-creates the reconciliation drift of a scope in the
// currency of its site. (Balances and costs are created by their first
// observation: a pre-created zero balance would read as an empty account.)
func (m *Metrics) InitCurrency(scope, currency string) {
	m.drift.WithLabelValues(scope, currency)
}

// SetInterval records the configured interval of a job.
func (m *Metrics) SetInterval(job string, d time.Duration) {
	m.interval.WithLabelValues(job).Set(d.Seconds())
}

// ObserveRun counts one run of a job with its result and duration.
func (m *Metrics) ObserveRun(job, result string, d time.Duration) {
	m.runs.WithLabelValues(job, result).Inc()
	if result == ResultSuccess || result == ResultFailure {
		m.duration.WithLabelValues(job).Observe(d.Seconds())
	}
}

// scopeResult records the outcome of a job for one scope.
func (m *Metrics) scopeResult(job, scope string, at time.Time, err error) {
	if err == nil {
		m.lastSuccess.WithLabelValues(job, scope).Set(unixSeconds(at))
		m.consecutiveFails.WithLabelValues(job, scope).Set(0)
		return
	}
	m.lastFailure.WithLabelValues(job, scope).Set(unixSeconds(at))
	m.consecutiveFails.WithLabelValues(job, scope).Inc()
}

// dropScope removes the per-scope run series of a job that does not run for
// scope (bills of a covered account), so that no staleness alert waits for it.
func (m *Metrics) dropScope(job, scope string) {
	m.lastSuccess.DeleteLabelValues(job, scope)
	m.lastFailure.DeleteLabelValues(job, scope)
	m.consecutiveFails.DeleteLabelValues(job, scope)
}

// SetLastSuccess seeds the last-success gauge, e.g. from sync_runs at start-up.
func (m *Metrics) SetLastSuccess(job, scope string, at time.Time) {
	m.lastSuccess.WithLabelValues(job, scope).Set(unixSeconds(at))
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// float converts an exact amount to a float64 at the very edge, for a gauge.
func float(d decimal.Decimal) float64 {
	f, _ := d.Float64()
	return f
}
