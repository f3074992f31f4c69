package dashboards

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// panelRows expands the panel titled title of dashboard uid as Grafana would (every variable at
// All, currency CNY) and runs it on s.
func panelRows(t *testing.T, s *sink.Sink, uid, title string) *sink.Result {
	t.Helper()
	ctx := context.Background()
	d, sqlText := panelSQL(t, uid, title)
	vars := resolveVariables(t, ctx, s, d, true)
	vars["currency"] = Variable{Values: []string{"CNY"}}
	sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v\n%s", title, err, sql)
	}
	return res
}

func dec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("not a decimal: %q", s)
	}
	return d
}

// testAmortizedTruth checks the billed-vs-amortised panels against the simulator's truth, to the
// cent, on both engines: billed = the sum of the month's itemised records (Truth), amortised = the
// sum of current_month_amortized_amount of the shared month (AmortizedTruth).
func testAmortizedTruth(t *testing.T, srv *bsssim.Server, sinks map[string]*sink.Sink) {
	cur := bss.MonthOf(testTo)
	var months []bss.Month
	for m, i := cur, 0; i < 12; m, i = m.Prev(), i+1 {
		months = append([]bss.Month{m}, months...)
	}
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		res := panelRows(t, s, "syncd-cost-overview", "Billed vs amortised, last 12 months")
		if len(res.Rows) != len(months) {
			t.Fatalf("%s: %d months, want %d", engine, len(res.Rows), len(months))
		}
		var billed, amortized decimal.Decimal
		for i, m := range months {
			if got := res.Value(i, "month"); got != m.String() {
				t.Fatalf("%s: row %d is month %s, want %s", engine, i, got, m)
			}
			bt, at := srv.Truth("", m.String()).Amount, srv.AmortizedTruth("", m.String()).CurrentMonthAmount
			if got := dec(t, res.Value(i, "billed")); !got.Equal(bt) {
				t.Errorf("%s %s: billed %s, want %s (sum of the records)", engine, m, got, bt)
			}
			if got := dec(t, res.Value(i, "amortized")); !got.Equal(at) {
				t.Errorf("%s %s: amortised %s, want %s (AmortizedTruth)", engine, m, got, at)
			}
			billed, amortized = billed.Add(bt), amortized.Add(at)
			t.Logf("%s %s: billed %s amortised %s", engine, m, bt, at)
		}
		// A purchase is spread, not lost: over the months whose purchases all lie inside the
		// window, the two bases differ only by what later months still amortise.
		if billed.IsZero() || amortized.IsZero() {
			t.Errorf("%s: billed %s, amortised %s over 12 months: no data", engine, billed, amortized)
		}

		mtd := panelRows(t, s, "syncd-cost-overview", "Amortised month to date")
		if got, want := dec(t, mtd.Rows[0][0]), srv.AmortizedTruth("", cur.String()).CurrentMonthAmount; !got.Equal(want) {
			t.Errorf("%s: amortised month to date %s, want %s", engine, got, want)
		}

		// The explorer's per-service panel over the whole months of the time range, summed by hand.
		var wantBilled, wantAmortized decimal.Decimal
		for m := bss.MonthOf(testFrom); !cur.Before(m); m = m.Next() {
			wantBilled = wantBilled.Add(srv.Truth("", m.String()).Amount)
			wantAmortized = wantAmortized.Add(srv.AmortizedTruth("", m.String()).CurrentMonthAmount)
		}
		ex := panelRows(t, s, "syncd-cost-explorer", "Billed vs amortised by service, whole months")
		var gotBilled, gotAmortized decimal.Decimal
		for i := range ex.Rows {
			gotBilled = gotBilled.Add(dec(t, ex.Value(i, "billed")))
			gotAmortized = gotAmortized.Add(dec(t, ex.Value(i, "amortized")))
		}
		if !gotBilled.Equal(wantBilled) || !gotAmortized.Equal(wantAmortized) {
			t.Errorf("%s: explorer by service sums to billed %s amortised %s, want %s and %s", engine, gotBilled, gotAmortized, wantBilled, wantAmortized)
		}
	}
}

// burnTruth is the daily burn, month-to-date and forecast worked out by hand from what the
// simulator serves (its records and its amortised breakdown, read through the real client), by
// the rule of the daily_costs view: on an amortised day, every record except prepaid purchases
// (bill types 1, 2, 8), plus each purchase's amortised share of the month spread evenly over its
// days (day i of n: trunc(T*(i+1)/n) - trunc(T*i/n)).
type burnTruth struct {
	billedBurn, amortizedBurn         decimal.Decimal // 7-day sums
	billedMonth, amortizedMonth       decimal.Decimal // this month, days 1..lastDay
	lastDay, daysInMonth, windowStart int             // windowStart: day of month of the first burn day
}

func isPurchase(billType int) bool { return billType == 1 || billType == 2 || billType == 8 }

func computeBurnTruth(t *testing.T, srv *bsssim.Server, clock *simClock) burnTruth {
	t.Helper()
	ctx := context.Background()
	client, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/"},
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID},
		bss.WithClock(clock.now), bss.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	local := testTo.In(utc8)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -7)
	if first.Month() != today.Month() {
		t.Fatalf("test time %s: the burn window crosses a month; this hand computation covers one month", testTo)
	}
	cur := bss.MonthOf(testTo)
	bt := burnTruth{daysInMonth: cur.Date().AddDate(0, 1, -1).Day(), windowStart: first.Day()}
	for r, err := range client.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cur, IncludeZero: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Currency != "CNY" {
			continue
		}
		d, err := time.Parse(time.DateOnly, r.BillDate)
		if err != nil {
			t.Fatal(err)
		}
		bt.lastDay = max(bt.lastDay, d.Day())
		bt.billedMonth = bt.billedMonth.Add(r.Amount)
		if !isPurchase(r.BillType) {
			bt.amortizedMonth = bt.amortizedMonth.Add(r.Amount)
		}
		if !d.Before(first) && d.Before(today) {
			bt.billedBurn = bt.billedBurn.Add(r.Amount)
			if !isPurchase(r.BillType) {
				bt.amortizedBurn = bt.amortizedBurn.Add(r.Amount)
			}
		}
	}
	n := int64(bt.daysInMonth)
	upTo := func(total decimal.Decimal, days int) decimal.Decimal { // trunc(T*days/n)
		return total.Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(n)).Truncate(8)
	}
	for a, err := range client.AmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: cur}) {
		if err != nil {
			t.Fatal(err)
		}
		if a.Currency != "CNY" || !isPurchase(a.BillType) {
			continue
		}
		T := a.CurrentMonthAmount
		// Days windowStart..windowStart+6 (1-based) are indexes windowStart-1..windowStart+5.
		bt.amortizedBurn = bt.amortizedBurn.Add(upTo(T, bt.windowStart+6).Sub(upTo(T, bt.windowStart-1)))
		bt.amortizedMonth = bt.amortizedMonth.Add(upTo(T, bt.lastDay))
	}
	return bt
}

// testAmortizedBurn checks daily burn, runway and the month-end forecast, which use the
// amortised basis where the month's amortisation is stored, against burnTruth exactly, on both
// engines, and logs the billed-basis figures for comparison.
func testAmortizedBurn(t *testing.T, srv *bsssim.Server, clock *simClock, sinks map[string]*sink.Sink, metrics map[string]*jobs.Metrics) {
	bt := computeBurnTruth(t, srv, clock)
	seven := decimal.NewFromInt(7)
	// ClickHouse divides decimals truncating at the scale (8).
	wantBurn := bt.amortizedBurn.Div(seven).Truncate(8)
	billedBurn := bt.billedBurn.Div(seven).Truncate(8)
	forecast := func(month decimal.Decimal) decimal.Decimal {
		return month.Div(decimal.NewFromInt(int64(bt.lastDay))).Truncate(8).Mul(decimal.NewFromInt(int64(bt.daysInMonth)))
	}
	wantForecast := forecast(bt.amortizedMonth)
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		burn := panelRows(t, s, "syncd-balances-runway", "Daily burn (last 7 days)")
		if got := dec(t, burn.Value(0, "daily_burn")); !got.Equal(wantBurn) {
			t.Errorf("%s: daily burn %s, want %s (amortised by hand; billed would be %s)", engine, got, wantBurn, billedBurn)
		}
		if b := burn.Value(0, "basis"); b != "amortized" {
			t.Errorf("%s: daily burn basis %q, want amortized", engine, b)
		}
		// The bills job's gauge reads the same days (BurnStore) and says which basis it used.
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics[engine].Collectors()...)
		gauges := gaugeValues(t, reg, "syncd_cost_daily_burn")
		if g, ok := gauges["basis=amortized,currency=CNY,scope=sim"]; !ok || g != bt.amortizedBurn.Div(seven).InexactFloat64() {
			t.Errorf("%s: syncd_cost_daily_burn %v, want {basis=amortized,currency=CNY,scope=sim} %s", engine, gauges, bt.amortizedBurn.Div(seven))
		}
		avail := dec(t, panelRows(t, s, "syncd-balances-runway", "Available balance").Rows[0][0])
		runway := panelRows(t, s, "syncd-balances-runway", "Runway (days)")
		got, err := strconv.ParseFloat(runway.Value(0, "runway_days"), 64)
		if err != nil {
			t.Fatal(err)
		}
		if want := avail.InexactFloat64() / wantBurn.InexactFloat64(); math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: runway %v days, want %v (available %s / burn %s)", engine, got, want, avail, wantBurn)
		}
		scopes := panelRows(t, s, "syncd-balances-runway", "Runway per account scope")
		if i := slices.IndexFunc(scopes.Rows, func(r []string) bool { return r[scopes.Col("scope")] == "sim" }); i < 0 {
			t.Errorf("%s: no runway row for scope sim", engine)
		} else if got := dec(t, scopes.Value(i, "daily_burn")); !got.Equal(wantBurn) || scopes.Value(i, "basis") != "amortized" {
			t.Errorf("%s: runway per scope: burn %s basis %s, want %s amortized", engine, got, scopes.Value(i, "basis"), wantBurn)
		}
		fc := panelRows(t, s, "syncd-cost-overview", "Forecast to month end")
		if got := dec(t, fc.Value(0, "forecast")); !got.Equal(wantForecast) || fc.Value(0, "basis") != "amortized" {
			t.Errorf("%s: forecast %s basis %s, want %s amortized (billed basis: %s)", engine, got, fc.Value(0, "basis"), wantForecast, forecast(bt.billedMonth))
		}
		t.Logf("%s: %s at %s: billed month %s (days 1-%d) amortised-basis month %s; daily burn billed %s amortised %s; "+
			"runway billed %.3f amortised %.3f days (available %s); forecast billed %s amortised %s",
			engine, bss.MonthOf(testTo), testTo.Format(time.RFC3339), bt.billedMonth, bt.lastDay, bt.amortizedMonth, billedBurn, wantBurn,
			avail.InexactFloat64()/billedBurn.InexactFloat64(), got, avail, forecast(bt.billedMonth), wantForecast)
	}
}

// testForecastBacktestBases back-tests the forecast method (jobs.Backtest) for the whole-tenant
// budget on both cost bases: amortised (budget_costs, as the forecast job reads it, where every
// month of the simulator's history has its amortisation stored) and billed (cost_records, as
// budget_costs read it before schema 088), each against its own basis's month totals. It logs both
// tables (the figures of docs/budgets.md) and checks that the engines agree. On the amortised basis
// a month's purchases are spread over all of its days from the stored (final) amortisation, also
// over the days before they were bought, so that table is an upper bound of what the method would
// have achieved live.
func testForecastBacktestBases(t *testing.T, sinks map[string]*sink.Sink, now time.Time) {
	ctx := context.Background()
	days := []int{1, 5, 10, 15, 20, 25}
	var first string
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		rows, err := s.BudgetCosts(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), now)
		if err != nil {
			t.Fatal(err)
		}
		var amortized []sink.BudgetDay
		for _, r := range rows {
			if r.Budget != "sim-total" || !r.BillDate.Before(civilDay(now)) {
				continue // the back-test and the billed rows stop at today
			}
			if r.Basis != jobs.BasisAmortized {
				t.Fatalf("%s: budget_costs day %s has basis %s; every synced month should be amortised", engine, r.BillDate.Format(time.DateOnly), r.Basis)
			}
			amortized = append(amortized, r)
		}
		res, err := s.Query(ctx, "SELECT toString(bill_cycle) AS cycle, toString(bill_date) AS day, toString(sum(amount)) AS total, "+
			"toString(sumIf(amount, charge_mode IN ('1', '10'))) AS one_off FROM "+s.Database()+".cost_records WHERE scope = 'sim' AND currency = 'CNY' "+
			"GROUP BY bill_cycle, bill_date ORDER BY bill_date, cycle")
		if err != nil {
			t.Fatal(err)
		}
		var billed []sink.BudgetDay
		for i := range res.Rows {
			c, _ := time.Parse(time.DateOnly, res.Value(i, "cycle"))
			d, _ := time.Parse(time.DateOnly, res.Value(i, "day"))
			billed = append(billed, sink.BudgetDay{Budget: "sim-total", BillCycle: c, BillDate: d, Currency: "CNY",
				Amount: dec(t, res.Value(i, "total")), OneOff: dec(t, res.Value(i, "one_off")), Basis: jobs.BasisBilled})
		}
		var report strings.Builder
		fmt.Fprintf(&report, "forecast back-test of the whole-tenant budget (sim-total), mean absolute error in %% of the month's actual on each basis\n%-34s", "forecast made on day")
		for _, d := range days {
			fmt.Fprintf(&report, "%8d", d)
		}
		fmt.Fprintf(&report, "%8s  months\n", "all")
		for _, basis := range []struct {
			name string
			rows []sink.BudgetDay
		}{{"billed", billed}, {"amortised", amortized}} {
			start := now
			for _, r := range basis.rows {
				if r.BillDate.Before(start) {
					start = r.BillDate
				}
			}
			points := jobs.Backtest("sim-total", basis.rows, start, now)
			var linear []jobs.BacktestPoint
			for _, p := range points {
				if p.Day > 1 {
					d := time.Date(p.Month.Year, p.Month.Month, p.Day, 0, 0, 0, 0, time.UTC)
					linear = append(linear, jobs.BacktestPoint{Budget: p.Budget, Month: p.Month, Day: p.Day, Actual: p.Actual, Forecast: jobs.LinearForecast(basis.rows, d)})
				}
			}
			m, l := summarise(points, days), summarise(linear, days)
			fmt.Fprintf(&report, "%-34s", basis.name+": syncd method")
			for _, d := range append(days, 0) {
				fmt.Fprintf(&report, "%7.1f%%", 100*m.method[d])
			}
			fmt.Fprintf(&report, "  %d\n%-34s%8s", m.months, basis.name+": linear (month so far)", "-")
			for _, d := range append(days[1:], 0) {
				fmt.Fprintf(&report, "%7.1f%%", 100*l.method[d])
			}
			fmt.Fprintf(&report, "  %d\n", l.months)
			if m.months < 11 {
				t.Errorf("%s %s: %d months back-tested, want 11", engine, basis.name, m.months)
			}
		}
		t.Logf("%s: %s", engine, report.String())
		if first == "" {
			first = report.String()
		} else if report.String() != first {
			t.Errorf("the engines' back-tests differ:\n%s\n%s", first, report.String())
		}
	}
}

// civilDay is the UTC+8 date of t at midnight UTC.
func civilDay(t time.Time) time.Time {
	l := t.In(utc8)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}
