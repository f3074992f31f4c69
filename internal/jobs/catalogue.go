package jobs

import "slices"

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
// `syncd sync --job`, the configuration (SYNCD_SCHEDULE_<NAME>), start-up
// catch-up, /readyz and the metric series are all derived from Catalogue, so
// adding a job is one entry here plus its Run (cmd/syncd refuses to start
// when a catalogued job has no Run).
type Spec struct {
	// Name is the value of the syncd_job label, of --job and of
	// sync_runs.job.
	Name string
	// Schedule returns the job's cron spec, read from
	// SYNCD_SCHEDULE_<upper(Name)>.
	Schedule func(Config) string
	// Scopes selects the scopes the job covers.
	Scopes ScopeRule
	// InSync: a one-shot `syncd sync` without --job runs it.
	InSync bool
	// Months: the job reads bill months, so a window (--from/--to) applies
	// to it.
	Months bool
}

// Catalogue lists every job in the order a one-shot sync runs them: look-ups
// and the org tree first, because bills use them for names and for member
// fan-out; the forecasts last, from what the others stored.
var Catalogue = []Spec{
	{Name: JobLookups, Schedule: func(c Config) string { return c.ScheduleLookups }, Scopes: FirstAccount, InSync: true},
	{Name: JobOrg, Schedule: func(c Config) string { return c.ScheduleOrg }, InSync: true},
	{Name: JobBills, Schedule: func(c Config) string { return c.ScheduleBills }, InSync: true, Months: true},
	{Name: JobRecheck, Schedule: func(c Config) string { return c.ScheduleRecheck }, Months: true},
	{Name: JobBalance, Schedule: func(c Config) string { return c.ScheduleBalances }, InSync: true},
	{Name: JobPackage, Schedule: func(c Config) string { return c.SchedulePackages }, InSync: true},
	{Name: JobFunds, Schedule: func(c Config) string { return c.ScheduleFunds }, InSync: true},
	{Name: JobAmortized, Schedule: func(c Config) string { return c.ScheduleAmortized }, InSync: true, Months: true},
	{Name: JobVerify, Schedule: func(c Config) string { return c.ScheduleVerify }},
	{Name: JobForecast, Schedule: func(c Config) string { return c.ScheduleForecast }, Scopes: FirstAccount},
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
