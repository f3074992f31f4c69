package dashboards

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// testCodeNames: the code tables of migration 077 name every code the fixture holds, on both
// engines, and the *_name columns of the tables and the _latest views agree with code_names.
func testCodeNames(t *testing.T, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	checks := []struct{ kind, table, code, name string }{
		{"charge_mode", "cost_records", "charge_mode", "charge_mode_name"},
		{"bill_type", "cost_records", "toString(bill_type)", "bill_type_name"},
		{"summary_bill_type", "bill_summaries", "toString(bill_type)", "bill_type_name"},
		{"charge_mode", "bill_summaries", "toString(charging_mode)", "charging_mode_name"},
		// Snapshots have no name columns (see 077): code_names must still name every code.
		{"account_type", "balances", "toString(account_type)", "''"},
		{"package_status", "resource_packages", "toString(status)", "''"},
		{"member_status", "accounts", "toString(status)", "status_name"},
	}
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		db := s.Database()
		for _, c := range checks {
			q := fmt.Sprintf("SELECT DISTINCT %s AS code, %s AS name FROM %s.%s ORDER BY code", c.code, c.name, db, c.table)
			got, err := s.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", engine, err)
			}
			if len(got.Rows) == 0 {
				t.Errorf("%s: %s holds no rows; the check proves nothing", engine, c.table)
			}
			for _, r := range got.Rows {
				want, err := s.Query(ctx, fmt.Sprintf("SELECT name FROM %s.code_names WHERE kind = '%s' AND code = '%s'", db, c.kind, r[0]))
				if err != nil {
					t.Fatal(err)
				}
				if len(want.Rows) != 1 || want.Rows[0][0] == r[0] || (c.name != "''" && want.Rows[0][0] != r[1]) {
					t.Errorf("%s: %s.%s for code %s = %q, code_names says %v", engine, c.table, c.name, r[0], r[1], want.Rows)
				}
			}
		}
	}
	// The dashboards show names: charge modes and package states are never bare codes.
	for _, pc := range []struct{ uid, title, col string }{
		{"syncd-cost-explorer", "By charge mode", "billing_mode"},
		{"syncd-cost-explorer", "Line items", "bill_type_name"},
		{"syncd-resource-packages", "Remaining quota", "package_status"},
	} {
		d, sqlText := panelSQL(t, pc.uid, pc.title)
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
				t.Fatalf("%s %s: %v", engine, pc.title, err)
			}
			for i := range res.Rows {
				if v := res.Value(i, pc.col); v == "" || strings.Trim(v, "0123456789") == "" {
					t.Errorf("%s %s: %s = %q, want a name", engine, pc.title, pc.col, v)
					break
				}
			}
		}
	}
}
