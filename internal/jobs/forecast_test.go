package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// days builds a budget's daily costs from "YYYY-MM-DD amount one-off" lines.
func budgetDays(lines ...string) []sink.BudgetDay {
	var out []sink.BudgetDay
	for _, l := range lines {
		f := strings.Fields(l)
		d := date(f[0])
		out = append(out, sink.BudgetDay{Budget: "b", BillCycle: time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC), BillDate: d,
			Currency: "CNY", Amount: decimal.RequireFromString(f[1]), OneOff: decimal.RequireFromString(f[2])})
	}
	return out
}

func TestMonthEnd(t *testing.T) {
	// 10/day of usage for the whole of May and June 1-9; one purchase of 300 on May 20.
	var lines []string
	for d := date("2024-05-01"); d.Before(date("2024-06-10")); d = d.AddDate(0, 0, 1) {
		oneOff := "0"
		amount := "10"
		if d.Equal(date("2024-05-20")) {
			oneOff, amount = "300", "310"
		}
		lines = append(lines, d.Format(time.DateOnly)+" "+amount+" "+oneOff)
	}
	days := budgetDays(lines...)
	start := date("2024-05-01")
	for _, tc := range []struct {
		name             string
		today            string
		withToday        bool
		extra            []sink.BudgetDay
		actual, forecast string
	}{
		// 40 days known before June 10: one-off rate 300/40 = 7.5 a day; usage 10 a day.
		// June 10 at its start: actual 90 (9 days), 21 days left incl. today at 17.5.
		{name: "start of day", today: "2024-06-10", actual: "90", forecast: "457.5"},
		// During June 10 with 4 of it so far: the day still lacks 13.5 of a typical 17.5.
		{name: "during the day", today: "2024-06-10", withToday: true, extra: budgetDays("2024-06-10 4 0"),
			actual: "94", forecast: "457.5"},
		// A purchase today above the typical day: nothing more is added for today.
		{name: "purchase today", today: "2024-06-10", withToday: true, extra: budgetDays("2024-06-10 100 90"),
			actual: "190", forecast: "540"},
		// First day of stored history: no rate yet, the forecast is what is known.
		{name: "no history", today: "2024-05-01", actual: "0", forecast: "0"},
		// Two days of history: rates over those two days only (unknown days are not zero).
		{name: "short history", today: "2024-05-03", actual: "20", forecast: "310"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, f := MonthEnd(append(append([]sink.BudgetDay(nil), days...), tc.extra...), date(tc.today), start, tc.withToday)
			if !a.Equal(decimal.RequireFromString(tc.actual)) || !f.Equal(decimal.RequireFromString(tc.forecast)) {
				t.Errorf("MonthEnd = %s, %s; want %s, %s", a, f, tc.actual, tc.forecast)
			}
		})
	}
}

func TestBacktestExactOnSteadyCosts(t *testing.T) {
	// Steady usage of 10 a day: the method is exact from the 2nd month on (every day of it),
	// while the linear method is undefined on day 1.
	var lines []string
	for d := date("2024-03-01"); d.Before(date("2024-06-01")); d = d.AddDate(0, 0, 1) {
		lines = append(lines, d.Format(time.DateOnly)+" 10 0")
	}
	pts := Backtest("b", budgetDays(lines...), date("2024-03-01"), date("2024-06-15"))
	if len(pts) != 30+31 { // April and May; March is the first month
		t.Fatalf("got %d points, want 61", len(pts))
	}
	for _, p := range pts {
		if !p.Forecast.Equal(p.Actual) {
			t.Errorf("%s day %d: forecast %s, actual %s", p.Month, p.Day, p.Forecast, p.Actual)
		}
	}
}

func TestServiceUsage(t *testing.T) {
	u := map[time.Time]decimal.Decimal{}
	for i := 2; i <= 15; i++ {
		u[date("2024-06-20").AddDate(0, 0, -i)] = decimal.NewFromInt(int64(10 + i%3))
	}
	u[date("2024-06-10")] = decimal.NewFromInt(500) // one odd day does not move the median
	u[date("2024-06-19")] = decimal.NewFromInt(60)
	last, base := ServiceUsage(u, date("2024-06-20"), date("2024-01-01"))
	if !last.Equal(decimal.NewFromInt(60)) || !base.Equal(decimal.NewFromInt(11)) {
		t.Errorf("ServiceUsage = %s, %s; want 60, 11", last, base)
	}
	// Days without costs count as zero, unknown days before start do not count.
	last, base = ServiceUsage(map[time.Time]decimal.Decimal{date("2024-06-18"): decimal.NewFromInt(8)}, date("2024-06-20"), date("2024-06-17"))
	if !last.IsZero() || !base.Equal(decimal.NewFromInt(4)) {
		t.Errorf("ServiceUsage = %s, %s; want 0, 4", last, base)
	}
}

func TestCheckBudget(t *testing.T) {
	ok := sink.Budget{Name: "b", Dimension: "service", Value: "hws.service.type.ec2", Amount: decimal.NewFromInt(100), Currency: "CNY"}
	for _, tc := range []struct {
		name string
		edit func(*sink.Budget)
		want string
	}{
		{"ok", func(*sink.Budget) {}, ""},
		{"scope needs no value", func(b *sink.Budget) { b.Dimension, b.Value = "scope", "" }, ""},
		{"dimension", func(b *sink.Budget) { b.Dimension = "project" }, `dimension "project" is not one of scope, service, enterprise_project, org_unit, tag`},
		{"value", func(b *sink.Budget) { b.Value = "" }, "value is empty (a service budget needs the service it covers)"},
		{"tag key", func(b *sink.Budget) { b.Dimension = "tag" }, "tag_key is empty"},
		{"amount", func(b *sink.Budget) { b.Amount = decimal.Zero }, "amount 0 is not positive"},
		{"currency", func(b *sink.Budget) { b.Currency = "EUR" }, `currency "EUR" is not CNY or USD`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ok
			tc.edit(&b)
			err := CheckBudget(b)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckBudget = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckBudget = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestMonthBasis: the budget figures take the basis of the month's days so far (the month the
// forecast extends), not of the earlier days the rates read; with no day of the month yet, that
// of every day read.
func TestMonthBasis(t *testing.T) {
	withBasis := func(basis string, lines ...string) []sink.BudgetDay {
		ds := budgetDays(lines...)
		for i := range ds {
			ds[i].Basis = basis
		}
		return ds
	}
	may := withBasis(BasisBilled, "2024-05-30 10 0", "2024-05-31 10 0")
	june := withBasis(BasisAmortized, "2024-06-01 10 0", "2024-06-02 10 0")
	for _, c := range []struct {
		name  string
		days  []sink.BudgetDay
		today string
		want  string
	}{
		{"amortised month, billed rates", append(append([]sink.BudgetDay{}, may...), june...), "2024-06-02", BasisAmortized},
		{"billed month", may, "2024-05-31", BasisBilled},
		{"no day of the month yet", may, "2024-06-01", BasisBilled},
		{"both bases in the month", append(append([]sink.BudgetDay{}, june...), withBasis(BasisBilled, "2024-06-02 1 0")...), "2024-06-02", BasisMixed},
		{"a mixed day", withBasis(BasisMixed, "2024-06-01 1 0"), "2024-06-02", BasisMixed},
		{"a later day does not count", append(append([]sink.BudgetDay{}, june...), withBasis(BasisBilled, "2024-06-03 1 0")...), "2024-06-02", BasisAmortized},
		{"nothing stored", nil, "2024-06-02", BasisBilled},
	} {
		if got := MonthBasis(c.days, date(c.today)); got != c.want {
			t.Errorf("%s: MonthBasis = %s, want %s", c.name, got, c.want)
		}
	}
}
