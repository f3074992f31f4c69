package jobs

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
)

func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, beijing)
}

func months(ss ...string) []bss.Month {
	var ms []bss.Month
	for _, s := range ss {
		m, err := bss.ParseMonth(s)
		if err != nil {
			panic(err)
		}
		ms = append(ms, m)
	}
	return ms
}

func TestOpenMonths(t *testing.T) {
	tests := []struct {
		name     string
		now      time.Time
		finalDay int
		want     []bss.Month
	}{
		{"mid-month: only the current month", cst(2024, 5, 15, 12, 0), 3, months("2024-05")},
		{"1st: previous month still open", cst(2024, 5, 1, 0, 0), 3, months("2024-04", "2024-05")},
		{"3rd before 10:00 UTC+8: still open", cst(2024, 5, 3, 9, 59), 3, months("2024-04", "2024-05")},
		{"3rd at 10:00 UTC+8: final", cst(2024, 5, 3, 10, 0), 3, months("2024-05")},
		{"monthly settlement: 3rd noon still open", cst(2024, 5, 3, 12, 0), 4, months("2024-04", "2024-05")},
		{"monthly settlement: 4th at 10:00 final", cst(2024, 5, 4, 10, 0), 4, months("2024-05")},
		{"January: previous month is last December", cst(2024, 1, 2, 0, 0), 3, months("2023-12", "2024-01")},
		{"UTC evening of the last day is already next month", time.Date(2024, 4, 30, 16, 0, 0, 0, time.UTC), 3, months("2024-04", "2024-05")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OpenMonths(tt.now, tt.finalDay, 10); !slices.Equal(got, tt.want) {
				t.Errorf("OpenMonths(%s) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	now := cst(2024, 5, 15, 0, 0)
	w := Window{From: months("2023-11")[0], To: months("2024-02")[0]}
	if got, want := w.Months(), months("2023-11", "2023-12", "2024-01", "2024-02"); !slices.Equal(got, want) {
		t.Errorf("Months() = %v, want %v", got, want)
	}
	if got := (Window{}).Months(); got != nil {
		t.Errorf("zero window Months() = %v, want none", got)
	}
	tests := []struct {
		name    string
		w       Window
		wantErr string
	}{
		{"zero window", Window{}, ""},
		{"36 months back is fine", Window{From: months("2021-06")[0], To: months("2024-05")[0]}, ""},
		{"37 months back is too old", Window{From: months("2021-05")[0], To: months("2021-06")[0]}, "older than the 36 months"},
		{"future month", Window{From: months("2024-05")[0], To: months("2024-06")[0]}, "in the future"},
		{"reversed", Window{From: months("2024-03")[0], To: months("2024-01")[0]}, "is after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckWindow(tt.w, now)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckWindow() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckWindow() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestBurnDays(t *testing.T) {
	// 00:30 UTC+8 on 2024-05-03 is still 2024-05-02 in UTC; the complete
	// days are 04-26 .. 05-02 in UTC+8.
	days := burnDays(time.Date(2024, 5, 2, 16, 30, 0, 0, time.UTC))
	if got, want := days[0].Format(time.DateOnly), "2024-04-26"; got != want {
		t.Errorf("first day = %s, want %s", got, want)
	}
	if got, want := days[6].Format(time.DateOnly), "2024-05-02"; got != want {
		t.Errorf("last day = %s, want %s", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	schedules := map[string]string{"bills": "CRON_TZ=Asia/Shanghai 7 * * * *", "recheck": "@daily", "balances": "@every 10m",
		"packages": "@hourly", "org": "@daily", "lookups": "@daily", "verify": "@daily", "amortized": "@daily", "forecast": "@hourly", "funds": "@hourly"}
	good := Config{Schedule: schedules, BillsAttempts: 3, BillsFinalHour: 10, BillsRecheckMonths: 3, BillsParallelAccounts: 4, AmortizedMonths: 3,
		DeductionsMonths: 2, DeductionsRateDays: 7}
	if err := good.Validate(); err != nil {
		t.Fatalf("good config: %v", err)
	}
	bad := good
	bad.Schedule = maps.Clone(schedules)
	bad.Schedule["bills"] = "CRON_TZ=Mars/Olympus 7 * * * *"
	bad.Schedule["org"] = "every day"
	bad.BillsAttempts = 0
	bad.BillsParallelAccounts = 0
	bad.AmortizedMonths = 19
	bad.DeductionsRateDays = 91
	err := bad.Validate()
	for _, want := range []string{"SYNCD_SCHEDULE_BILLS", "SYNCD_SCHEDULE_ORG", "SYNCD_BILLS_ATTEMPTS", "SYNCD_BILLS_PARALLEL_ACCOUNTS: 0", "SYNCD_AMORTIZED_MONTHS: 19", "SYNCD_DEDUCTIONS_RATE_DAYS: 91"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

// TestCatalogueSchedules: every catalogued job reads its own schedule
// variable, SYNCD_SCHEDULE_<NAME>, and runs on its catalogue default
// (a valid cron spec) when the variable is unset.
func TestCatalogueSchedules(t *testing.T) {
	set := map[string]string{}
	for _, s := range Catalogue {
		set["SYNCD_SCHEDULE_"+strings.ToUpper(s.Name)] = "spec of " + s.Name
	}
	c := Config{Schedule: ReadSchedules(func(k string) (string, bool) { v, ok := set[k]; return v, ok })}
	defaults := Config{Schedule: ReadSchedules(func(string) (string, bool) { return "", false })}
	for _, s := range Catalogue {
		if got := c.Schedules()[s.Name]; got != "spec of "+s.Name {
			t.Errorf("job %s: schedule %q, want the value of SYNCD_SCHEDULE_%s", s.Name, got, strings.ToUpper(s.Name))
		}
		if got := defaults.Schedules()[s.Name]; got != s.Schedule {
			t.Errorf("job %s: schedule %q with its variable unset, want the default %q", s.Name, got, s.Schedule)
		}
		if _, _, err := ParseSchedule(s.Schedule, time.Now()); err != nil {
			t.Errorf("job %s: default schedule %q: %v", s.Name, s.Schedule, err)
		}
	}
	if len(c.Schedule) != len(Catalogue) {
		t.Errorf("%d schedules read, want one per catalogued job (%d)", len(c.Schedule), len(Catalogue))
	}
}
