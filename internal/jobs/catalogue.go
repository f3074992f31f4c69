package jobs

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
)

// ScopeRule says which configured accounts a job's runs are about: the
// scopes of its sync_runs rows and of its per-scope metric series, and what
// start-up catch-up waits for.
type ScopeRule uint8

// Scope rules.
const (
	// EveryAccount: one scope per configured account.
	EveryAccount ScopeRule = iota
	// FirstAccount: the job works for the whole process (look-ups, the
	// forecasts computed from ClickHouse): its one scope is the first
	// configured account.
	FirstAccount
)

// Spec describes one job: everything about it but its Run. The scheduler,
// `syncd sync --job`, the configuration (SYNCD_SCHEDULE_<NAME>, its
// default and its line in README's table), start-up catch-up, /readyz and
// the metric series are all derived from Catalogue, so adding a job is one
// entry here plus its Run: New builds it, or cmd/syncd wires it (and refuses
// to start when a catalogued job has no Run).
type Spec struct {
	// Name is the value of the syncd_job label, of --job and of
	// sync_runs.job.
	Name string
	// Schedule is the job's default cron spec; SYNCD_SCHEDULE_<upper(Name)>
	// (ScheduleVar) overrides it.
	Schedule string
	// About says what the job does: the description of its schedule
	// variable in README's configuration table.
	About string
	// Scopes selects the scopes the job covers.
	Scopes ScopeRule
	// InSync: a one-shot `syncd sync` without --job runs it.
	InSync bool
	// Months: the job reads bill months, so a window (--from/--to) applies
	// to it.
	Months bool
	// New builds the job's Run from the dependencies every job shares; nil
	// for the jobs cmd/syncd wires itself (bills and those whose gauges it
	// restores at start-up).
	New func(Env) RunFunc
	// Restore, when set, builds what sets the job's gauges from what
	// ClickHouse holds, which cmd/syncd calls at start-up so that the gauges
	// (and the alerts on them) are there before the job's next run.
	Restore func(Env) func(context.Context) error
}

// Env is what Spec.New builds a job from: the dependencies cmd/syncd opens
// once for every job.
type Env struct {
	Accounts []Account
	// Sink is the ClickHouse store; a job takes from it the store interface
	// it declares.
	Sink *sink.Sink
	Runs RunStore
	// Names holds the dictionaries the lookups job reads.
	Names   *Names
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Members lists the member account IDs of a master's scope
	// ((*Org).MemberIDs, which the org job keeps).
	Members func(ctx context.Context, scope string) ([]string, error)
	Config  Config
}

// Source is everything the catalogued jobs read from one account;
// *bss.Client has it all. A job declares the small interface it reads
// beside its Run and adds it here.
type Source interface {
	// Currency is the currency of the account's site (CNY or USD).
	Currency() string
	BillSource
	BalanceSource
	PackageSource
	OrgSource
	LookupSource
	AmortizedSource
	FundsSource
	DeductionSource
}

// Catalogue lists every job in the order a one-shot sync runs them: look-ups
// and the org tree first, because bills use them for names and for member
// fan-out; the forecasts last, from what the others stored.
var Catalogue = []Spec{
	{Name: JobLookups, Schedule: "CRON_TZ=Asia/Shanghai 47 2 * * *", Scopes: FirstAccount, InSync: true,
		About: "Refreshes service/resource type names and measure units.",
		New: func(e Env) RunFunc {
			return (&Lookups{Accounts: e.Accounts, Names: e.Names, Runs: e.Runs, Metrics: e.Metrics, Logger: e.Logger, Now: e.Now}).Run
		}},
	{Name: JobOrg, Schedule: "CRON_TZ=Asia/Shanghai 27 3 * * *", InSync: true,
		About: "Replaces the enterprise org tree and member accounts."},
	{Name: JobBills, Schedule: "CRON_TZ=Asia/Shanghai 7 * * * *", InSync: true, Months: true,
		About: "Re-syncs the open months (current, and previous until final): itemised records, monthly summaries and, on the China site, transaction bills."},
	{Name: JobRecheck, Schedule: "CRON_TZ=Asia/Shanghai 37 4 * * *", Months: true,
		About: "Re-syncs recently closed months (corrections, refunds)."},
	{Name: JobBalance, Schedule: "CRON_TZ=Asia/Shanghai */10 * * * *", InSync: true,
		About: "Snapshots account balances."},
	{Name: JobPackage, Schedule: "CRON_TZ=Asia/Shanghai 17 * * * *", InSync: true,
		About: "Snapshots resource packages and their usage."},
	{Name: JobDeductions, Schedule: "CRON_TZ=Asia/Shanghai 47 7 * * *", InSync: true, Months: true,
		About:   "Replaces the recent UTC+8 months of package deductions (SYNCD_DEDUCTIONS_MONTHS; a --from/--to window on syncd sync) and sets the package usage-rate gauges.",
		New:     func(e Env) RunFunc { return deductionsJob(e).Run },
		Restore: func(e Env) func(context.Context) error { return deductionsJob(e).Restore }},
	{Name: JobFunds, Schedule: "CRON_TZ=Asia/Shanghai 5,35 * * * *", InSync: true,
		About: "Snapshots an enterprise master's allocatable funds and each member's retrievable funds (China site).",
		New: func(e Env) RunFunc {
			return (&Funds{Accounts: e.Accounts, Store: e.Sink, Runs: e.Runs, Metrics: e.Metrics, Logger: e.Logger, Now: e.Now, Members: e.Members}).Run
		}},
	{Name: JobAmortized, Schedule: "CRON_TZ=Asia/Shanghai 17 6,18 * * *", InSync: true, Months: true,
		About: "Re-syncs the recent shared months of the amortised cost (Cost Center refreshes it every 24 h, 24-48 h behind the bills)."},
	{Name: JobVerify, Schedule: "CRON_TZ=Asia/Shanghai 57 5 * * *",
		About: "Audits every stored bill month against the manifest recorded when it was committed and re-syncs the months that differ (it also runs at start-up when its last success is older than a day)."},
	{Name: JobForecast, Schedule: "CRON_TZ=Asia/Shanghai 27 * * * *", Scopes: FirstAccount,
		About: "Computes the budget forecasts and the daily usage per service from the stored costs, after the bills job."},
}

// AllJobs lists every job name, in Catalogue order.
var AllJobs = func() []string {
	out := make([]string, len(Catalogue))
	for i, s := range Catalogue {
		out[i] = s.Name
	}
	return out
}()

// Lookup returns the catalogue entry of a job.
func Lookup(name string) (Spec, bool) {
	i := slices.IndexFunc(Catalogue, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	return Catalogue[i], true
}

// SyncJobs lists the jobs a one-shot sync without --job runs.
func SyncJobs() []string {
	var out []string
	for _, s := range Catalogue {
		if s.InSync {
			out = append(out, s.Name)
		}
	}
	return out
}

// ScopesOf lists the scopes a job covers among the configured ones.
func (s Spec) ScopesOf(scopes []string) []string {
	if s.Scopes == FirstAccount && len(scopes) > 1 {
		return scopes[:1:1]
	}
	return slices.Clone(scopes)
}
