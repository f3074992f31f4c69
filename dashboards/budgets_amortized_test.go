package dashboards

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// simBudgetTables is, per simulator budget, the condition that selects its costs in cost_records
// and in amortized_costs, written independently of the budget_costs and daily_costs views.
var simBudgetTables = map[string][2]string{
	"sim-total": {"scope = 'sim'", "scope = 'sim'"},
	"sim-ecs":   {"service_type_code = 'hws.service.type.ec2'", "service_type_code = 'hws.service.type.ec2'"},
	"sim-obs":   {"service_type_code = 'hws.service.type.obs'", "service_type_code = 'hws.service.type.obs'"},
	"sim-prod":  {"match(resource_tags, '(^|;)env=prod(;|$)')", "match(cost_tags, '(^|;)env=prod(;|$)')"},
}

// testBudgetsAmortized checks, on data synced from the simulator (every month's amortisation
// stored), that budget_costs is on the amortised basis: per budget and month, its amount is every
// matching cost_records line except prepaid purchases (bill types 1, 2, 8) plus the matching
// purchases' amortised share of the month, and its one-off part the remaining yearly/monthly and
// RI lines (changes, refunds). Then it runs the forecast job: the budget gauges say basis
// amortized with the month to date of budget_costs, and the ECS usage gauge of the last complete
// day equals a hand computation (records + each purchase's share of that day, trunc(T(i+1)/n) -
// trunc(Ti/n)).
func testBudgetsAmortized(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		db := s.Database()
		for _, b := range simBudgets {
			w := simBudgetTables[b.name]
			got, err := s.Query(ctx, fmt.Sprintf("SELECT toString(bill_cycle) AS m, toString(sum(amount)) AS a, toString(sum(one_off_amount)) AS o, "+
				"toString(arraySort(groupUniqArray(basis))) AS bases FROM %s.budget_costs WHERE budget = '%s' GROUP BY bill_cycle ORDER BY bill_cycle", db, b.name))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := s.Query(ctx, fmt.Sprintf("SELECT toString(bill_cycle) AS m, toString(sum(amount)) AS a, "+
				"toString(sumIf(amount, charge_mode IN ('1', '10'))) AS o FROM %s.cost_records WHERE %s AND currency = 'CNY' "+
				"AND bill_type NOT IN (1, 2, 8) GROUP BY bill_cycle ORDER BY bill_cycle", db, w[0]))
			if err != nil {
				t.Fatal(err)
			}
			am, err := s.Query(ctx, fmt.Sprintf("SELECT toString(shared_month) AS m, toString(sum(current_month_amortized_amount)) AS a "+
				"FROM %s.amortized_costs WHERE %s AND currency = 'CNY' AND bill_type IN (1, 2, 8) GROUP BY shared_month ORDER BY shared_month", db, w[1]))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][2]decimal.Decimal{}
			for i := range rec.Rows {
				want[rec.Value(i, "m")] = [2]decimal.Decimal{dec(t, rec.Value(i, "a")), dec(t, rec.Value(i, "o"))}
			}
			for i := range am.Rows {
				v := want[am.Value(i, "m")]
				want[am.Value(i, "m")] = [2]decimal.Decimal{v[0].Add(dec(t, am.Value(i, "a"))), v[1]}
			}
			if len(got.Rows) < 12 || len(got.Rows) != len(want) {
				t.Errorf("%s: budget %s covers %d months, want %d (at least 12)", engine, b.name, len(got.Rows), len(want))
			}
			for i := range got.Rows {
				m := got.Value(i, "m")
				if a, o := dec(t, got.Value(i, "a")), dec(t, got.Value(i, "o")); !a.Equal(want[m][0]) || !o.Equal(want[m][1]) {
					t.Errorf("%s: budget %s month %s = %s (one-off %s), want %s (one-off %s)", engine, b.name, m, a, o, want[m][0], want[m][1])
				}
				if bases := got.Value(i, "bases"); bases != "['amortized']" {
					t.Errorf("%s: budget %s month %s has bases %s, want only amortized", engine, b.name, m, bases)
				}
			}
		}

		m := jobs.NewMetrics()
		reg := prometheus.NewRegistry()
		reg.MustRegister(m.Collectors()...)
		f := &jobs.Forecast{Accounts: []jobs.Account{{Scope: "sim"}}, Store: s, Runs: s, Metrics: m,
			Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testTo }}
		if err := f.Run(jobs.WithRunID(ctx, jobs.NewRunID()), jobs.Window{}); err != nil {
			t.Fatalf("%s: forecast job: %v", engine, err)
		}
		today := civilDay(testTo)
		mtd, err := s.Query(ctx, fmt.Sprintf("SELECT budget, toString(sum(amount)) AS a FROM %s.budget_costs WHERE bill_cycle = '%s' AND bill_date <= '%s' GROUP BY budget ORDER BY budget",
			db, bss.MonthOf(testTo).Date().Format(time.DateOnly), today.Format(time.DateOnly)))
		if err != nil {
			t.Fatal(err)
		}
		gotMTD, gotFC := gaugeValues(t, reg, "syncd_budget_month_to_date"), gaugeValues(t, reg, "syncd_budget_forecast")
		if len(mtd.Rows) != len(simBudgets) || len(gotMTD) != len(simBudgets) || len(gotFC) != len(simBudgets) {
			t.Errorf("%s: %d budgets in budget_costs this month, gauges %v and %v, want %d each", engine, len(mtd.Rows), gotMTD, gotFC, len(simBudgets))
		}
		for i := range mtd.Rows {
			k := "basis=amortized,budget=" + mtd.Value(i, "budget") + ",currency=CNY"
			if want := dec(t, mtd.Value(i, "a")).InexactFloat64(); gotMTD[k] != want || gotFC[k] <= want {
				t.Errorf("%s: %s: month to date %v (want %v), forecast %v", engine, k, gotMTD[k], want, gotFC[k])
			}
			t.Logf("%s: %s at %s: month to date %v, forecast %v", engine, k, testTo.Format(time.RFC3339), gotMTD[k], gotFC[k])
		}

		// The ECS usage of the last complete day, by hand.
		day := today.AddDate(0, 0, -1)
		cycle := bss.MonthOf(testTo).Date()
		rec, err := s.Query(ctx, fmt.Sprintf("SELECT toString(sum(amount)) AS a FROM %s.cost_records WHERE scope = 'sim' AND currency = 'CNY' "+
			"AND service_type_code = 'hws.service.type.ec2' AND bill_date = '%s' AND bill_type NOT IN (1, 2, 8) AND charge_mode NOT IN ('1', '10')",
			db, day.Format(time.DateOnly)))
		if err != nil {
			t.Fatal(err)
		}
		want := dec(t, rec.Value(0, "a"))
		am, err := s.Query(ctx, fmt.Sprintf("SELECT toString(current_month_amortized_amount) AS a FROM %s.amortized_costs WHERE scope = 'sim' "+
			"AND currency = 'CNY' AND service_type_code = 'hws.service.type.ec2' AND shared_month = '%s' AND bill_type IN (1, 2, 8)",
			db, cycle.Format(time.DateOnly)))
		if err != nil {
			t.Fatal(err)
		}
		n := decimal.NewFromInt(int64(cycle.AddDate(0, 1, -1).Day()))
		i := int64(day.Day() - 1)
		for r := range am.Rows {
			T := dec(t, am.Value(r, "a"))
			want = want.Add(T.Mul(decimal.NewFromInt(i + 1)).Div(n).Truncate(8).Sub(T.Mul(decimal.NewFromInt(i)).Div(n).Truncate(8)))
		}
		if len(am.Rows) == 0 {
			t.Errorf("%s: no ECS purchase amortised in %s: the check would not see the amortised share", engine, cycle.Format(time.DateOnly))
		}
		usage := gaugeValues(t, reg, "syncd_cost_service_daily_usage")
		var found bool
		for k, v := range usage {
			if !strings.HasPrefix(k, "basis=amortized,currency=CNY,scope=sim,service=hws.service.type.ec2,") {
				continue
			}
			found = true
			if v != want.InexactFloat64() {
				t.Errorf("%s: ECS usage on %s = %v, want %s", engine, day.Format(time.DateOnly), v, want)
			}
		}
		if !found {
			t.Errorf("%s: no amortised ECS usage gauge of scope sim: %v", engine, usage)
		}
		for k := range usage {
			if !strings.HasPrefix(k, "basis=amortized,") {
				t.Errorf("%s: usage gauge %s is not on the amortised basis", engine, k)
			}
		}
	}
}
