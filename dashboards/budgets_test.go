package dashboards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// fixtureBudget is a budgets row as a user inserts it, with the condition on cost_records that
// selects the same costs, written independently of the budget_costs view.
type fixtureBudget struct {
	name, scope, dimension, tagKey, value, amount, currency string
	enabled                                                 int
	updatedAt                                               string
	where                                                   string
}

// fixtureBudgets covers every dimension, an edited budget (the later version wins), a disabled
// one and an invalid one (an unknown dimension: it covers nothing and the job names it).
var fixtureBudgets = []fixtureBudget{
	{"all-cny", "", "scope", "", "", "30000", "CNY", 1, "2026-01-01 00:00:00", "currency = 'CNY'"},
	{"acme", "acme", "scope", "", "", "9000", "CNY", 1, "2026-01-01 00:00:00", ""},
	{"acme", "acme", "scope", "", "", "12000", "CNY", 1, "2026-02-01 00:00:00", "scope = 'acme' AND currency = 'CNY'"},
	{"ecs", "", "service", "", "hws.service.type.ec2", "15000", "CNY", 1, "2026-01-01 00:00:00",
		"service_type_code = 'hws.service.type.ec2' AND currency = 'CNY'"},
	{"ep-platform", "acme", "enterprise_project", "", "ep-platform", "8000", "CNY", 1, "2026-01-01 00:00:00",
		"scope = 'acme' AND enterprise_project_id = 'ep-platform' AND currency = 'CNY'"},
	{"engineering", "acme", "org_unit", "", "org-eng", "8000", "CNY", 1, "2026-01-01 00:00:00",
		"customer_id = 'cust-acme-plat' AND currency = 'CNY'"},
	{"prod", "", "tag", "env", "prod", "20000", "CNY", 1, "2026-01-01 00:00:00",
		"match(resource_tags, '(^|;)env=prod(;|$)') AND currency = 'CNY'"},
	{"initech", "initech", "scope", "", "", "300", "USD", 1, "2026-01-01 00:00:00", "scope = 'initech' AND currency = 'USD'"},
	{"gone", "", "scope", "", "", "100", "CNY", 1, "2026-01-01 00:00:00", ""},
	{"gone", "", "scope", "", "", "100", "CNY", 0, "2026-03-01 00:00:00", ""},
	{"bad", "", "project", "", "x", "100", "CNY", 1, "2026-01-01 00:00:00", "0"},
}

// insertBudgets writes budgets rows as docs/budgets.md shows (INSERT … SELECT, which every engine
// and client takes).
func insertBudgets(t *testing.T, s *sink.Sink, bs []fixtureBudget) {
	t.Helper()
	for _, b := range bs {
		stmt := fmt.Sprintf("INSERT INTO %s.budgets (name, scope, dimension, tag_key, value, amount, currency, enabled, updated_at) "+
			"SELECT '%s', '%s', '%s', '%s', '%s', toDecimal128('%s', 8), '%s', %d, toDateTime('%s', 'UTC')",
			s.Database(), b.name, b.scope, b.dimension, b.tagKey, b.value, b.amount, b.currency, b.enabled, b.updatedAt)
		if err := s.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("insert budget %s: %v", b.name, err)
		}
	}
}

// testBudgetCosts checks budgets_latest and, per budget and month, that budget_costs adds up to
// exactly what an independent query over cost_records gives, on both engines.
func testBudgetCosts(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		db := s.Database()
		latest, err := s.Query(ctx, "SELECT name, toString(toUInt64(amount)) AS amount FROM "+db+".budgets_latest ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(latest.Rows), "[[acme 12000] [all-cny 30000] [bad 100] [ecs 15000] [engineering 8000] [ep-platform 8000] [initech 300] [prod 20000]]"; got != want {
			t.Errorf("%s: budgets_latest = %s, want %s", engine, got, want)
		}
		for _, b := range fixtureBudgets {
			if b.where == "" {
				continue
			}
			got, err := s.Query(ctx, fmt.Sprintf("SELECT toString(bill_cycle) AS m, toString(sum(amount)) AS a, toString(sum(one_off_amount)) AS o "+
				"FROM %s.budget_costs WHERE budget = '%s' GROUP BY bill_cycle ORDER BY bill_cycle", db, b.name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Query(ctx, fmt.Sprintf("SELECT toString(bill_cycle) AS m, toString(sum(amount)) AS a, "+
				"toString(sumIf(amount, charge_mode IN ('1', '10'))) AS o FROM %s.cost_records WHERE %s GROUP BY bill_cycle ORDER BY bill_cycle", db, b.where))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got.Rows) != fmt.Sprint(want.Rows) {
				t.Errorf("%s: budget %s per month = %v\nwant %v", engine, b.name, got.Rows, want.Rows)
			}
			if b.where != "0" && len(got.Rows) == 0 {
				t.Errorf("%s: budget %s covers nothing", engine, b.name)
			}
		}
	}
}

// gaugeValues gathers one gauge family as label-set → value.
func gaugeValues(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			out[strings.Join(ls, ",")] = m.GetGauge().GetValue()
		}
	}
	return out
}

// testForecastJob runs the forecast job on the fixture: the gauges carry every valid budget with
// its month to date exactly as budget_costs holds it, the job names the invalid budget, and the
// service usage gauges hold the last complete day.
func testForecastJob(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		m := jobs.NewMetrics()
		reg := prometheus.NewRegistry()
		reg.MustRegister(m.Collectors()...)
		f := &jobs.Forecast{Accounts: []jobs.Account{{Scope: "acme"}}, Store: s, Runs: s, Metrics: m,
			Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testTo }}
		err := f.Run(jobs.WithRunID(ctx, jobs.NewRunID()), jobs.Window{})
		if !errors.Is(err, jobs.ErrInvalidBudget) || !strings.Contains(err.Error(), `"bad": dimension "project" is not one of`) ||
			strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("%s: forecast job = %v, want the invalid budget named", engine, err)
		}
		mtd, err := s.Query(ctx, "SELECT budget, toString(sum(amount)) AS a FROM "+s.Database()+".budget_costs WHERE bill_cycle = '2026-11-01' GROUP BY budget ORDER BY budget")
		if err != nil {
			t.Fatal(err)
		}
		got := gaugeValues(t, reg, "syncd_budget_month_to_date")
		fc := gaugeValues(t, reg, "syncd_budget_forecast")
		amount := gaugeValues(t, reg, "syncd_budget_amount")
		if len(got) != 7 {
			t.Errorf("%s: syncd_budget_month_to_date has %d series, want 7 (the valid budgets): %v", engine, len(got), got)
		}
		for i := range mtd.Rows {
			b := mtd.Value(i, "budget")
			cur := "CNY"
			if b == "initech" {
				cur = "USD"
			}
			// The fixture stores no amortisation: every figure is on the billed basis.
			k := "basis=billed,budget=" + b + ",currency=" + cur
			want, _ := decimal.RequireFromString(mtd.Value(i, "a")).Float64()
			if b != "bad" && got[k] != want {
				t.Errorf("%s: month to date of %s = %v, want %v", engine, b, got[k], want)
			}
			// The fixture's costs are steady: by the 20th the forecast is about 30/20 of the month so far.
			if b != "bad" && (fc[k] < 1.3*want || fc[k] > 1.7*want) {
				t.Errorf("%s: forecast of %s = %v with %v so far on the 20th", engine, b, fc[k], want)
			}
		}
		if amount["budget=acme,currency=CNY"] != 12000 {
			t.Errorf("%s: syncd_budget_amount of acme = %v, want the latest version's 12000", engine, amount["budget=acme,currency=CNY"])
		}
		usage := gaugeValues(t, reg, "syncd_cost_service_daily_usage")
		want, err := s.Query(ctx, "SELECT toString(sumIf(amount, charge_mode NOT IN ('1', '10'))) AS a FROM "+s.Database()+
			".cost_records WHERE scope = 'globex' AND service_type_code = 'hws.service.type.cdn' AND bill_date = '2026-11-19'")
		if err != nil {
			t.Fatal(err)
		}
		w, _ := decimal.RequireFromString(want.Value(0, "a")).Float64()
		if k := "basis=billed,currency=CNY,scope=globex,service=hws.service.type.cdn,service_name=Content Delivery Network"; usage[k] != w || w == 0 {
			t.Errorf("%s: usage of CDN on 2026-11-19 = %v, want %v (%v)", engine, usage[k], w, usage)
		}
	}
}

// backtestSummary is the mean absolute percentage error of the forecasts made at the start of
// the given days of the month, over every budget and back-tested month.
type backtestSummary struct {
	days            []int
	method, linear  map[int]float64
	months, budgets int
}

func summarise(points []jobs.BacktestPoint, days []int) backtestSummary {
	s := backtestSummary{days: days, method: map[int]float64{}, linear: map[int]float64{}}
	n := map[int]int{}
	months, budgets := map[string]bool{}, map[string]bool{}
	for _, p := range points {
		if p.Actual.IsZero() {
			continue
		}
		months[p.Month.String()], budgets[p.Budget] = true, true
		for _, d := range append(days, 0) {
			if d != 0 && d != p.Day {
				continue
			}
			e, _ := p.Forecast.Sub(p.Actual).Abs().Div(p.Actual.Abs()).Float64()
			s.method[d] += e
			n[d]++
		}
	}
	for d := range s.method {
		s.method[d] /= float64(n[d])
	}
	s.months, s.budgets = len(months), len(budgets)
	return s
}

// testForecastBacktest back-tests the forecast method on the simulator's history (12 complete
// months) with the same budgets on both engines, logs its error per day of the month beside the
// linear method's, and checks that both engines give the same figures, that the error shrinks as
// the month goes on and that the method beats the linear one overall and on no day is worse by
// more than half a point. `go test ./dashboards -run TestEnginesSimulator -v` prints the table.
func testForecastBacktest(t *testing.T, sinks map[string]*sink.Sink, now time.Time) {
	ctx := context.Background()
	days := []int{1, 5, 10, 15, 20, 25}
	var first string
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		rows, err := s.BudgetCosts(ctx, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), now)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string][]sink.BudgetDay{}
		start := now
		for _, r := range rows {
			by[r.Budget] = append(by[r.Budget], r)
			if r.BillDate.Before(start) {
				start = r.BillDate
			}
		}
		var names []string
		for b := range by {
			names = append(names, b)
		}
		sort.Strings(names)
		var points, linear []jobs.BacktestPoint
		for _, b := range names {
			pts := jobs.Backtest(b, by[b], start, now)
			points = append(points, pts...)
			for _, p := range pts {
				d := time.Date(p.Month.Year, p.Month.Month, p.Day, 0, 0, 0, 0, time.UTC)
				if p.Day > 1 {
					linear = append(linear, jobs.BacktestPoint{Budget: b, Month: p.Month, Day: p.Day, Actual: p.Actual, Forecast: jobs.LinearForecast(by[b], d)})
				}
			}
		}
		m, l := summarise(points, days), summarise(linear, days)
		var report strings.Builder
		fmt.Fprintf(&report, "forecast back-test on the simulator: %d budgets × %d complete months, mean absolute error in %% of the month's actual\n",
			m.budgets, m.months)
		fmt.Fprintf(&report, "%-26s", "forecast made on day")
		for _, d := range days {
			fmt.Fprintf(&report, "%8d", d)
		}
		fmt.Fprintf(&report, "%8s\n%-26s", "all", "syncd (usage + one-off)")
		for _, d := range append(days, 0) {
			fmt.Fprintf(&report, "%7.1f%%", 100*m.method[d])
		}
		fmt.Fprintf(&report, "\n%-26s%8s", "linear (month so far)", "-")
		for _, d := range append(days[1:], 0) {
			fmt.Fprintf(&report, "%7.1f%%", 100*l.method[d])
		}
		t.Logf("%s: %s", engine, report.String())
		if first == "" {
			first = report.String()
		} else if report.String() != first {
			t.Errorf("the engines' back-tests differ:\n%s\n%s", first, report.String())
		}
		if m.months < 11 || m.budgets < 3 {
			t.Errorf("%s: back-test covers %d months and %d budgets, want the simulator's 12 complete months and every budget", engine, m.months, m.budgets)
		}
		if m.method[25] >= m.method[5] {
			t.Errorf("%s: error on day 25 (%.3f) is not below day 5 (%.3f)", engine, m.method[25], m.method[5])
		}
		// Late in the month both methods use about the same days; allow half a point of noise there.
		for _, d := range days[1:] {
			if m.method[d] > l.method[d]+0.005 {
				t.Errorf("%s: on day %d the method's error %.3f exceeds the linear method's %.3f", engine, d, m.method[d], l.method[d])
			}
		}
		if m.method[0] >= l.method[0] {
			t.Errorf("%s: the method's mean error %.3f is not below the linear method's %.3f", engine, m.method[0], l.method[0])
		}
	}
}

// simBudgets are budgets over the simulator's tenant: the whole scope, two services, an
// enterprise project and a tag.
var simBudgets = []fixtureBudget{
	{"sim-total", "sim", "scope", "", "", "100000", "CNY", 1, "2026-01-01 00:00:00", ""},
	{"sim-ecs", "", "service", "", "hws.service.type.ec2", "50000", "CNY", 1, "2026-01-01 00:00:00", ""},
	{"sim-obs", "", "service", "", "hws.service.type.obs", "5000", "CNY", 1, "2026-01-01 00:00:00", ""},
	{"sim-prod", "", "tag", "env", "prod", "50000", "CNY", 1, "2026-01-01 00:00:00", ""},
}
