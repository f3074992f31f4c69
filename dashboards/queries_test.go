package dashboards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestMain starts the real engines (a private ClickHouse 18.16 server and the embedded chDB
// engine) through the storage package's harness; a missing engine fails the run.
func TestMain(m *testing.M) {
	if os.Getenv("CHDB_LIB_PATH") == "" {
		// The harness script installs the library here; spare developers the export.
		if home, err := os.UserHomeDir(); err == nil {
			lib := filepath.Join(home, ".cache", "syncd", "chdb-26.5.3", "package", "libchdb.so")
			if _, err := os.Stat(lib); err == nil {
				os.Setenv("CHDB_LIB_PATH", lib)
			}
		}
	}
	sinktest.Main(m)
}

// wantColumns lists, per dashboard uid and panel title, the columns the panel's query must
// return, in order. Every ClickHouse panel needs an entry.
var wantColumns = map[string]map[string][]string{
	"syncd-cost-overview": {
		"Month to date":                          {"month_to_date"},
		"Last month, same days":                  {"last_month_same_days"},
		"Last month":                             {"last_month"},
		"Forecast to month end":                  {"forecast", "basis"},
		"Daily cost by service":                  {"time", "service", "cost"},
		"Last 12 billing months":                 {"month", "cost"},
		"Top services this month":                {"service", "cost"},
		"Top regions this month":                 {"region", "cost"},
		"Top accounts this month":                {"account", "cost"},
		"Month to date vs last month by service": {"service", "month_to_date", "last_month_same_days", "last_month"},
		"Amortised month to date":                {"amortized_month_to_date"},
		"Billed vs amortised, last 12 months":    {"month", "billed", "amortized"},
		"Commitment utilisation: resource packages": {"scope", "customer_id", "order_instance_id", "item", "package", "unit", "quota", "used", "unused",
			"used_share", "term_elapsed", "expires"},
	},
	"syncd-cost-explorer": {
		"Cost in range":         {"cost"},
		"List price in range":   {"list_cost"},
		"Discounts in range":    {"discount"},
		"Resources":             {"resources"},
		"Daily cost by service": {"time", "service", "cost"},
		"Top resources": {"resource_id", "resource_name", "service", "resource_type", "region", "account",
			"enterprise_project", "billing_mode", "list_cost", "cost"},
		"By account":            {"account", "cost"},
		"By region":             {"region", "cost"},
		"By enterprise project": {"enterprise_project", "cost"},
		"By charge mode":        {"billing_mode", "cost"},
		"By tag value":          {"tag_value", "cost"},
		"Billed vs amortised by service, whole months": {"service", "billed", "amortized"},
		"Line items": {"bill_date", "record_id", "resource_id", "resource_name", "service", "region", "billing_mode", "bill_type_name",
			"usage", "usage_unit", "list_cost", "discount", "cost", "resource_tags"},
	},
	"syncd-balances-runway": {
		"Available balance":               {"available"},
		"Debt":                            {"debt"},
		"Daily burn (last 7 days)":        {"daily_burn", "basis"},
		"Runway (days)":                   {"runway_days", "basis"},
		"Balance history by account type": {"time", "account", "balance"},
		"Runway per account scope":        {"scope", "available", "daily_burn", "runway_days", "basis"},
		"Latest balances": {"scope", "customer_id", "account_id", "account_type", "amount", "credit_amount",
			"designated_amount", "debt_amount", "currency", "observed_at"},
		"Daily cost (burn)":       {"time", "basis", "cost"},
		"Member funds and runway": {"scope", "customer_id", "cash", "credit", "daily_burn", "runway_days"},
		"Unsettled transactions": {"scope", "customer_id", "account_name", "not_fully_settled", "not_yet_settled", "unsettled",
			"debt", "koogallery", "transactions", "oldest_month"},
	},
	"syncd-resource-packages": {
		"Package items":             {"items"},
		"Expiring within 30 days":   {"expiring"},
		"Below 10% remaining":       {"nearly_exhausted"},
		"Last observed":             {"last_observed"},
		"Remaining quota":           {"scope", "product_name", "usage_type", "order_instance_id", "free_resource_id", "package_status", "remaining_amount", "original_amount", "remaining_ratio", "measure_unit", "expire_time", "days_to_expiry"},
		"Remaining quota over time": {"time", "item", "remaining"},
		"Expiring soon (30 days)":   {"scope", "product_name", "usage_type", "remaining_amount", "measure_unit", "expire_time", "days_to_expiry"},
		"Exhausting soon (at the usage rate of the time range)": {"scope", "product_name", "usage_type", "order_instance_id",
			"free_resource_id", "last_remaining", "measure_unit", "used_per_day", "days_to_exhaustion"},
		"Burn-down (remaining quota per item, from deductions)": {"time", "item", "remaining"},
		"Usage from deductions (time range)": {"scope", "product_name", "usage_type_code", "free_resource_id", "deductions",
			"first_available", "used", "remaining", "measure_unit", "used_per_day", "last_deduction"},
	},
	"syncd-budgets": {
		"Budgets this month":                       {"budget", "dimension", "covers", "scope", "budget_amount", "month_to_date", "used_ratio"},
		"Daily cost per budget":                    {"time", "budget", "cost"},
		"Budget vs actual, last 12 billing months": {"month", "budget", "budget_amount", "actual", "used_ratio"},
	},
	"syncd-sync-health": {
		"Recent failed runs (ClickHouse sync_runs)": {"started_at", "job", "scope", "bill_cycle", "status", "rows", "api_calls", "reconciliation_drift", "error"},
		"Runs per job (ClickHouse sync_runs)":       {"job", "scope", "succeeded", "failed_or_skipped", "interrupted", "last_finished", "rows", "api_calls"},
	},
}

// mayBeZero lists single-value panels whose value is legitimately zero on the fixture (it holds
// no amortised months; testAmortizedTruth checks that panel exactly on the simulator's data).
var mayBeZero = map[string]bool{"Debt": true, "Amortised month to date": true}

// engineSinks opens a migrated sink with a fresh database on each engine and writes the fixture.
func engineSinks(t *testing.T) map[string]*sink.Sink {
	t.Helper()
	out := map[string]*sink.Sink{}
	for _, engine := range sinktest.Engines {
		s := sinktest.Open(t, engine)
		start := time.Now()
		populate(t, s, testTo)
		t.Logf("%s: fixture written in %s", engine, time.Since(start).Round(time.Millisecond))
		out[engine] = s
	}
	return out
}

// TestEngines writes the fixture once per engine and runs every engine check on it.
func TestEngines(t *testing.T) {
	sinks := engineSinks(t)
	t.Run("panels", func(t *testing.T) { testPanelQueries(t, sinks, nil) })
	t.Run("org_subtree", func(t *testing.T) { testOrgSubtreeFilter(t, sinks) })
	t.Run("month_buckets", func(t *testing.T) { testBillingMonthBuckets(t, sinks) })
	t.Run("focus", func(t *testing.T) { testFocus(t, sinks) })
	t.Run("snapshot_retry", func(t *testing.T) { testSnapshotRetry(t, sinks) })
	t.Run("no_expired_quota", func(t *testing.T) { testNoExpiredQuota(t, sinks) })
	t.Run("budget_costs", func(t *testing.T) { testBudgetCosts(t, sinks) })
	t.Run("forecast_job", func(t *testing.T) { testForecastJob(t, sinks) })
	t.Run("docs_sql", func(t *testing.T) { testDocsSQL(t, sinks) })
	t.Run("tags_by_key", func(t *testing.T) { testTagsByKey(t, sinks) })
	t.Run("code_names", func(t *testing.T) { testCodeNames(t, sinks) })
}

// testPanelQueries runs every ClickHouse query of every dashboard, expanded as Grafana
// would send it, on ClickHouse 18.16 and chDB 26, first with every variable at All (or its first
// value) and then with each multi-value variable narrowed to its first value. Each query must
// succeed, return the expected columns and at least one row, and return the same rows on both
// engines.
// Panels named in mayBeEmpty may return no rows (or a zero).
func testPanelQueries(t *testing.T, sinks map[string]*sink.Sink, mayBeEmpty map[string]bool) {
	ctx := context.Background()
	for _, d := range loadDashboards(t) {
		t.Run(d.UID, func(t *testing.T) {
			for _, scenario := range []string{"all", "first"} {
				results := map[string]map[string]*sink.Result{} // engine -> query -> result
				for _, engine := range sinktest.Engines {
					s := sinks[engine]
					vars := resolveVariables(t, ctx, s, d, scenario == "all")
					results[engine] = map[string]*sink.Result{}
					for _, q := range clickHouseQueries(d) {
						if q.panel == nil {
							continue // variable queries ran in resolveVariables
						}
						sql, err := Expand(Query{SQL: q.sql, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
						if err != nil {
							t.Fatalf("%s: expand: %v", q.where, err)
						}
						res, err := s.Query(ctx, sql)
						if err != nil {
							t.Errorf("%s %s [%s]: %v\n%s", engine, q.where, scenario, err, sql)
							continue
						}
						results[engine][q.where] = res
						if q.panel.Title == "Recent failed runs (ClickHouse sync_runs)" {
							// An interruption is not a failure: the fixture's interrupted run stays out.
							for _, row := range res.Rows {
								if slices.Contains(row, sink.RunInterrupted) {
									t.Errorf("%s %s: an interrupted run is listed as failed: %v", engine, q.where, row)
								}
							}
						}
						want, ok := wantColumns[d.UID][q.panel.Title]
						if !ok {
							t.Errorf("%s: no expected columns listed in wantColumns", q.where)
						} else if !slices.Equal(res.Columns, want) {
							t.Errorf("%s %s: columns %v, want %v", engine, q.where, res.Columns, want)
						}
						if mayBeEmpty[q.panel.Title] {
							// Data-dependent: only the columns and the engines' agreement are checked.
						} else if len(res.Rows) == 0 {
							t.Errorf("%s %s [%s]: no rows\n%s", engine, q.where, scenario, sql)
						} else if len(res.Rows) == 1 && len(res.Columns) == 1 && (res.Rows[0][0] == "0" || res.Rows[0][0] == "\\N") && !mayBeZero[q.panel.Title] {
							// An aggregate over nothing still returns one row: demand a real value.
							t.Errorf("%s %s [%s]: single value %s, want data\n%s", engine, q.where, scenario, res.Rows[0][0], sql)
						}
						if q.format == 0 && len(res.Columns) > 0 && res.Columns[0] != "time" {
							t.Errorf("%s: time series query must return time first", q.where)
						}
					}
				}
				server, embedded := results[sink.EngineServer], results[sink.EngineEmbedded]
				for where, a := range server {
					b, ok := embedded[where]
					if !ok {
						continue
					}
					// Error texts carry per-request IDs; every other value must match.
					if !slices.EqualFunc(comparableRows(a), comparableRows(b), slices.Equal) {
						t.Errorf("%s [%s]: engines disagree\nclickhouse 18.16: %.600v\nchdb:             %.600v", where, scenario, a.Rows, b.Rows)
					}
				}
			}
		})
	}
}

// comparableRows returns r's rows without the error column.
func comparableRows(r *sink.Result) [][]string {
	skip := r.Col("error")
	out := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		for j, v := range row {
			if j != skip {
				out[i] = append(out[i], v)
			}
		}
	}
	return out
}

// resolveVariables computes every variable's value for d as Grafana would: datasource variables
// are not needed by the SQL, textboxes keep their default, db is the test database, and query
// variables run their (expanded) query on s. With all set, variables that include All select it
// (single-value ones without All take their first option); otherwise every query variable takes
// its first option. Each query variable must return options.
func resolveVariables(t *testing.T, ctx context.Context, s *sink.Sink, d dashboard, all bool) map[string]Variable {
	t.Helper()
	vars := map[string]Variable{}
	for _, v := range d.Templating.List {
		switch v.Type {
		case "textbox", "constant":
			val := v.queryString()
			if v.Name == "db" {
				val = s.Database()
			}
			vars[v.Name] = Variable{Values: []string{val}}
		case "query":
			if v.Datasource == nil || v.Datasource.Type != clickHousePlugin {
				continue
			}
			sql, err := Expand(Query{SQL: v.queryString(), From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
			if err != nil {
				t.Fatalf("variable %s: expand: %v", v.Name, err)
			}
			res, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s: variable %s: %v\n%s", s.Engine(), v.Name, err, sql)
			}
			if len(res.Rows) == 0 {
				t.Fatalf("%s: variable %s has no options\n%s", s.Engine(), v.Name, sql)
			}
			// The first column is the value, a second one the display text.
			options := make([]string, len(res.Rows))
			for i, r := range res.Rows {
				options[i] = r[0]
			}
			val := Variable{Multi: v.Multi}
			if all && v.IncludeAll {
				val.All, val.AllValue, val.Values = true, v.AllValue, options
			} else {
				val.Values = options[:1]
			}
			vars[v.Name] = val
		}
	}
	return vars
}

// testOrgSubtreeFilter checks the org-unit filter narrows the explorer to the accounts anywhere
// below the unit.
func testOrgSubtreeFilter(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	explorer, sqlText := panelSQL(t, "syncd-cost-explorer", "By account")
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinks[engine]
			vars := resolveVariables(t, ctx, s, explorer, true)
			for _, tc := range []struct {
				unit string
				want []string
			}{
				{"*", []string{"acme-finance", "acme-master", "acme-platform", "globex"}},
				{"ACME", []string{"acme-finance", "acme-master", "acme-platform"}},
				{"ACME/Engineering", []string{"acme-platform"}},
				{"ACME/Engineering/Platform", []string{"acme-platform"}},
				{"ACME/Finance", []string{"acme-finance"}},
			} {
				vars["org_unit"] = Variable{Values: []string{tc.unit}, All: tc.unit == "*", AllValue: "*"}
				sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Variables: vars})
				if err != nil {
					t.Fatal(err)
				}
				res, err := s.Query(ctx, sql)
				if err != nil {
					t.Fatalf("%v\n%s", err, sql)
				}
				var got []string
				for i := range res.Rows {
					got = append(got, res.Value(i, "account"))
				}
				slices.Sort(got)
				if !slices.Equal(got, tc.want) {
					t.Errorf("org unit %q: accounts %v, want %v", tc.unit, got, tc.want)
				}
			}
		})
	}
}

// testBillingMonthBuckets checks the 12-month trend buckets by the UTC+8 billing month: a record
// billed on the first day of a month (bill_date 1st, i.e. 16:00 UTC the day before) lands in that
// month, and the month sums equal the stored per-month totals exactly.
func testBillingMonthBuckets(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	overview, trend := panelSQL(t, "syncd-cost-overview", "Last 12 billing months")
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinks[engine]
			vars := resolveVariables(t, ctx, s, overview, true)
			vars["currency"] = Variable{Values: []string{"CNY"}}
			sql, err := Expand(Query{SQL: trend, From: testFrom, To: testTo, Variables: vars})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Query(ctx, "SELECT substring(toString(bill_cycle), 1, 7) AS month, sum(amount) AS cost FROM "+s.Database()+
				".cost_records WHERE currency = 'CNY' AND bill_cycle >= toDate('2025-12-01') GROUP BY month ORDER BY month")
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != 12 || got.Rows[0][0] != "2025-12" || got.Rows[11][0] != "2026-11" {
				t.Errorf("months %v, want 2025-12 .. 2026-11", got.Rows)
			}
			if !slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
				t.Errorf("trend %v\nwant  %v", got.Rows, want.Rows)
			}
			if strings.Contains(sql, "toStartOfMonth(bill_date") {
				t.Error("trend re-derives months from bill_date instead of using bill_cycle")
			}
		})
	}
}

// panelSQL returns the dashboard with uid and the SQL of its panel titled title.
func panelSQL(t *testing.T, uid, title string) (dashboard, string) {
	t.Helper()
	for _, d := range loadDashboards(t) {
		if d.UID != uid {
			continue
		}
		for _, q := range clickHouseQueries(d) {
			if q.panel != nil && q.panel.Title == title {
				return d, q.sql
			}
		}
	}
	t.Fatalf("no panel %q in dashboard %s", title, uid)
	return dashboard{}, ""
}

// testSnapshotRetry checks exact snapshot values on panels over raw snapshot history and the
// latest views. The fixture writes the last balance and package observations twice (a retried
// insert), which must not double the values before ClickHouse merges the duplicates away.
func testSnapshotRetry(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	at := testTo.Format(time.DateTime)
	// The duplicates are there (merges are stopped): 3 balance accounts and 3 package items
	// of acme, each written twice.
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		for table, want := range map[string]string{"balances": "6", "resource_packages": "6", "member_funds": "10"} {
			res, err := s.Query(ctx, "SELECT count() AS n FROM "+s.Database()+"."+table+" WHERE scope = 'acme' AND observed_at = toDateTime('"+at+"', 'UTC')")
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Value(0, "n"); got != want {
				t.Fatalf("%s: %s rows of the retried observation = %s, want %s", engine, table, got, want)
			}
		}
	}
	for _, tc := range []struct {
		uid, title string
		match      map[string]string // column -> value selecting the row
		col, want  string
	}{
		// cash: 20,000.00 - 120 observations * 90.00.
		{"syncd-balances-runway", "Balance history by account type", map[string]string{"time": at, "account": "acme cash"}, "balance", "9200"},
		{"syncd-balances-runway", "Balance history by account type", map[string]string{"time": at, "account": "globex credit"}, "balance", "5000"},
		// cash 9,200 + credit 5,000 in each of the two CNY scopes.
		{"syncd-balances-runway", "Available balance", nil, "available", "28400"},
		// Member funds at the latest observation: cash 1,000.00 * (i+1) - 100.00, credit 300.00.
		{"syncd-balances-runway", "Member funds and runway", map[string]string{"customer_id": "cust-acme-plat"}, "cash", "900"},
		{"syncd-balances-runway", "Member funds and runway", map[string]string{"customer_id": "cust-acme-fin"}, "cash", "1900"},
		{"syncd-balances-runway", "Member funds and runway", map[string]string{"customer_id": "cust-acme-fin"}, "credit", "300"},
		// Unsettled transactions of account i: 12.34 * (i+1) not fully settled + 5.00 (KooGallery) not yet.
		{"syncd-balances-runway", "Unsettled transactions", map[string]string{"customer_id": "cust-acme-plat"}, "unsettled", "29.68"},
		{"syncd-balances-runway", "Unsettled transactions", map[string]string{"customer_id": "cust-acme-fin"}, "not_fully_settled", "37.02"},
		{"syncd-balances-runway", "Unsettled transactions", map[string]string{"customer_id": "cust-acme-fin"}, "koogallery", "5"},
		{"syncd-balances-runway", "Unsettled transactions", map[string]string{"customer_id": "cust-acme-fin"}, "transactions", "2"},
		// 1,024.00 - 30 days * 30.00 in each of the three scopes.
		{"syncd-resource-packages", "Remaining quota over time", map[string]string{"time": at, "item": "OBS storage package 1 TB / storage (GB)"}, "remaining", "372"},
		{"syncd-resource-packages", "Remaining quota over time", map[string]string{"time": at, "item": "CDN traffic package 500 GB / traffic (GB)"}, "remaining", "60"},
	} {
		d, sqlText := panelSQL(t, tc.uid, tc.title)
		for _, engine := range sinktest.Engines {
			s := sinks[engine]
			vars := resolveVariables(t, ctx, s, d, true)
			if _, ok := vars["currency"]; ok {
				vars["currency"] = Variable{Values: []string{"CNY"}}
			}
			sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", engine, tc.title, err, sql)
			}
			var got []string
		rows:
			for i := range res.Rows {
				for c, v := range tc.match {
					if res.Value(i, c) != v {
						continue rows
					}
				}
				got = append(got, res.Value(i, tc.col))
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("%s %s %v: %s = %v, want exactly [%s]", engine, tc.title, tc.match, tc.col, got, tc.want)
			}
		}
	}
}

// testNoExpiredQuota: the remaining-quota panels list only packages that can still be used; the
// fixture's expired package (status 3, quota left) never appears, on either engine.
func testNoExpiredQuota(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	for _, title := range []string{"Remaining quota", "Below 10% remaining"} {
		d, sqlText := panelSQL(t, "syncd-resource-packages", title)
		for _, engine := range sinktest.Engines {
			s := sinks[engine]
			sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Interval: time.Hour, Variables: resolveVariables(t, ctx, s, d, true)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s %s: %v", engine, title, err)
			}
			switch title {
			case "Remaining quota":
				n := 0
				for i := range res.Rows {
					n++
					if strings.HasSuffix(res.Value(i, "order_instance_id"), "-pkg-old") {
						t.Errorf("%s %s lists the expired package %s", engine, title, res.Value(i, "order_instance_id"))
					}
				}
				if n != 6 {
					t.Errorf("%s %s: %d rows, want the 6 usable items of the 3 scopes", engine, title, n)
				}
			case "Below 10% remaining":
				// The CDN item of each scope has 20/500 = 4% left; the expired item's 3% does
				// not count.
				if got := res.Value(0, "nearly_exhausted"); got != "3" {
					t.Errorf("%s %s = %s, want 3", engine, title, got)
				}
			}
		}
	}
}

// testTagsByKey: cost by the value of a tag key is one plain query over tag_keys/tag_values, on
// both engines, and agrees with the tag text: per value of "team", the cost of the records whose
// resource_tags hold "team=<value>"; the "By tag value" panel adds up to the cost in range.
func testTagsByKey(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	d, panel := panelSQL(t, "syncd-cost-explorer", "By tag value")
	_, total := panelSQL(t, "syncd-cost-explorer", "Cost in range")
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		db := s.Database()
		byKey, err := s.Query(ctx, "SELECT tag_values[indexOf(tag_keys, 'team')] AS team, toString(sum(amount)) AS cost FROM "+db+
			".cost_records WHERE has(tag_keys, 'team') GROUP BY team ORDER BY team")
		if err != nil {
			t.Fatal(err)
		}
		bySurgery, err := s.Query(ctx, "SELECT extract(resource_tags, 'team=([^;]*)') AS team, toString(sum(amount)) AS cost FROM "+db+
			".cost_records WHERE match(resource_tags, '(^|;)team=') GROUP BY team ORDER BY team")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(byKey.Rows) != fmt.Sprint(bySurgery.Rows) || len(byKey.Rows) != 3 {
			t.Errorf("%s: cost by team = %v, want %v (3 teams)", engine, byKey.Rows, bySurgery.Rows)
		}
		vars := resolveVariables(t, ctx, s, d, true)
		vars["currency"] = Variable{Values: []string{"CNY"}}
		vars["tag_key"] = Variable{Values: []string{"team"}}
		sum := decimal.Zero
		for _, q := range []string{panel, total} {
			sql, err := Expand(Query{SQL: q, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s: %v\n%s", engine, err, sql)
			}
			if q == panel {
				for i := range res.Rows {
					sum = sum.Add(decimal.RequireFromString(res.Value(i, "cost")))
				}
				if res.Value(len(res.Rows)-1, "tag_value") == "" {
					t.Errorf("%s: a tag value is empty: %v", engine, res.Rows)
				}
				continue
			}
			if want := decimal.RequireFromString(res.Value(0, "cost")); !sum.Equal(want) {
				t.Errorf("%s: By tag value adds up to %s, want the cost in range %s", engine, sum, want)
			}
		}
	}
}
