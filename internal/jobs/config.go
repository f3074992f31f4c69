package jobs

import (
	"errors"
	"fmt"
	"time"
)

// Config is the jobs' configuration. cmd/syncd composes it with the prefix
// SYNCD_, so JobTimeout is read from SYNCD_JOB_TIMEOUT; the schedules are
// the catalogue's, each read from its own variable (ReadSchedules).
type Config struct {
	// Schedule holds the schedules set through their variables
	// (ScheduleVar), by job name; a job without one runs on its catalogue
	// default (Schedules). cmd/syncd fills it with ReadSchedules.
	Schedule map[string]string
	// JobTimeout bounds one run of any job; 0 means the job's interval.
	JobTimeout time.Duration `env:"JOB_TIMEOUT, default=0"`
	// BillsAttempts bounds the re-reads of a month whose total_count drifts.
	BillsAttempts int `env:"BILLS_ATTEMPTS, default=3"`
	// BillsFinalHour is the hour (UTC+8) at which the previous month becomes final.
	BillsFinalHour int `env:"BILLS_FINAL_HOUR, default=10"`
	// BillsRecheckMonths is how many closed months the recheck job re-syncs.
	BillsRecheckMonths int `env:"BILLS_RECHECK_MONTHS, default=3"`
	// BillsBackfillMonths makes the first bills run of the process also sync every month of the last N (counting the current one, at most 36) that holds no stored bills for an account: a first start (e.g. the compose stack's run --now) fills that history, later starts only fill gaps. 0 syncs only the open months.
	BillsBackfillMonths int `env:"BILLS_BACKFILL_MONTHS, default=0"`
	// BillsParallelAccounts is how many accounts the bills and recheck jobs
	// sync at the same time (each account has its own API quotas).
	BillsParallelAccounts int `env:"BILLS_PARALLEL_ACCOUNTS, default=4"`
	// AmortizedMonths is how many recent shared months (counting the current one, at most 18) every amortized run re-syncs: the current month grows daily, and a closed month's last days and corrections reach Cost Center 24-48 h late.
	AmortizedMonths int `env:"AMORTIZED_MONTHS, default=3"`
	// DeductionsMonths is how many recent UTC+8 months of package deductions (counting the current one, at most 36) every deductions run replaces: a day's deductions can arrive the next day.
	DeductionsMonths int `env:"DEDUCTIONS_MONTHS, default=2"`
	// DeductionsRateDays is the trailing number of days (1 to 90) over which a package item's usage rate is measured from its deductions, for the gauges and alerts that project when it runs out.
	DeductionsRateDays int `env:"DEDUCTIONS_RATE_DAYS, default=7"`
}

// Schedules returns the cron spec of every job by name: its variable's
// value if set, else its catalogue default.
func (c Config) Schedules() map[string]string {
	out := make(map[string]string, len(Catalogue))
	for _, s := range Catalogue {
		out[s.Name] = s.Schedule
		if v, ok := c.Schedule[s.Name]; ok {
			out[s.Name] = v
		}
	}
	return out
}

// ScheduleVar is the variable that sets a job's schedule:
// SYNCD_SCHEDULE_<upper(job)>.
func ScheduleVar(job string) string { return "SYNCD_SCHEDULE_" + upper(job) }

// ReadSchedules reads, through lookup, the schedule variable of every
// catalogued job and returns those that are set, by job (Config.Schedule).
func ReadSchedules(lookup func(string) (string, bool)) map[string]string {
	out := make(map[string]string)
	for _, s := range Catalogue {
		if v, ok := lookup(ScheduleVar(s.Name)); ok {
			out[s.Name] = v
		}
	}
	return out
}

// Validate checks what the tags cannot: every schedule parses (with its
// CRON_TZ zone) and the numbers are in range. Messages name the variable
// (with the SYNCD_ prefix cmd/syncd composes).
func (c Config) Validate() error {
	var errs []error
	for _, job := range AllJobs {
		spec := c.Schedules()[job]
		if _, _, err := ParseSchedule(spec, time.Now()); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a cron schedule (want e.g. \"CRON_TZ=Asia/Shanghai 7 * * * *\" or \"@every 10m\"): %w",
				ScheduleVar(job), spec, err))
		}
	}
	if c.JobTimeout < 0 {
		errs = append(errs, fmt.Errorf("SYNCD_JOB_TIMEOUT: %s is negative (want a duration such as 30m, or 0 for the job's interval)", c.JobTimeout))
	}
	if c.BillsAttempts < 1 || c.BillsAttempts > 10 {
		errs = append(errs, fmt.Errorf("SYNCD_BILLS_ATTEMPTS: %d is out of range (want 1 to 10)", c.BillsAttempts))
	}
	if c.BillsFinalHour < 0 || c.BillsFinalHour > 23 {
		errs = append(errs, fmt.Errorf("SYNCD_BILLS_FINAL_HOUR: %d is out of range (want 0 to 23)", c.BillsFinalHour))
	}
	if c.BillsRecheckMonths < 0 || c.BillsRecheckMonths > HistoryMonths {
		errs = append(errs, fmt.Errorf("SYNCD_BILLS_RECHECK_MONTHS: %d is out of range (want 0 to %d)", c.BillsRecheckMonths, HistoryMonths))
	}
	if c.BillsBackfillMonths < 0 || c.BillsBackfillMonths > HistoryMonths {
		errs = append(errs, fmt.Errorf("SYNCD_BILLS_BACKFILL_MONTHS: %d is out of range (want 0 to %d)", c.BillsBackfillMonths, HistoryMonths))
	}
	if c.BillsParallelAccounts < 1 || c.BillsParallelAccounts > 64 {
		errs = append(errs, fmt.Errorf("SYNCD_BILLS_PARALLEL_ACCOUNTS: %d is out of range (want 1 to 64)", c.BillsParallelAccounts))
	}
	if c.AmortizedMonths < 1 || c.AmortizedMonths > 18 {
		errs = append(errs, fmt.Errorf("SYNCD_AMORTIZED_MONTHS: %d is out of range (want 1 to 18, the months the amortised-cost API keeps)", c.AmortizedMonths))
	}
	if c.DeductionsMonths < 1 || c.DeductionsMonths > HistoryMonths {
		errs = append(errs, fmt.Errorf("SYNCD_DEDUCTIONS_MONTHS: %d is out of range (want 1 to %d)", c.DeductionsMonths, HistoryMonths))
	}
	if c.DeductionsRateDays < 1 || c.DeductionsRateDays > 90 {
		errs = append(errs, fmt.Errorf("SYNCD_DEDUCTIONS_RATE_DAYS: %d is out of range (want 1 to 90 days)", c.DeductionsRateDays))
	}
	return errors.Join(errs...)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
