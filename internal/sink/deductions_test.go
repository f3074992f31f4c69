package sink_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestDeductionMonths replaces deduction months on every engine and reads
// them back without FINAL: amounts exact, a re-run that loses a row
// upstream stores the new month only (no duplicate, no leftover), other
// months and scopes untouched, a duplicated natural key or a row of
// another month refused with the stored month intact, and an empty month
// dropped.
func TestDeductionMonths(t *testing.T) {
	d := decimal.RequireFromString
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// Day i of a month: deducted at 01:00 UTC, 100 − i·0.12345678 left.
	month := func(m time.Time, item string, days int) []sink.PackageDeduction {
		var out []sink.PackageDeduction
		avail := d("100")
		for i := range days {
			used := d("0.12345678")
			out = append(out, sink.PackageDeduction{DeductTime: m.AddDate(0, 0, i).Add(time.Hour), FreeResourceID: item,
				ResourceID: "vm-1", ProductName: "pkg", AvailableAmount: avail, RemainingAmount: avail.Sub(used), UsedAmount: used,
				MeasureID: 10, MeasureUnit: "GB", ExpireTime: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)})
			avail = avail.Sub(used)
		}
		return out
	}
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := t.Context()
			stored := func() map[string]string { // "scope month item" → "rows used min-remaining"
				res := query(t, s, "SELECT scope, toString(deduct_month) AS m, free_resource_id AS item, count() AS n, "+
					"toString(sum(used_amount)) AS used, toString(min(remaining_amount)) AS rem FROM DB.package_deductions "+
					"GROUP BY scope, deduct_month, free_resource_id ORDER BY scope, m, item")
				out := map[string]string{}
				for i := range res.Rows {
					out[res.Value(i, "scope")+" "+res.Value(i, "m")+" "+res.Value(i, "item")] =
						fmt.Sprintf("%s %s %s", res.Value(i, "n"), d(res.Value(i, "used")), d(res.Value(i, "rem")))
				}
				return out
			}
			check := func(step string, want map[string]string) {
				t.Helper()
				got := stored()
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: stored %v, want %v", step, got, want)
				}
			}
			for _, c := range []struct {
				scope string
				m     time.Time
				rows  []sink.PackageDeduction
			}{{"acme", nov, month(nov, "i1", 30)}, {"acme", dec, append(month(dec, "i1", 7), month(dec, "i2", 3)...)},
				{"beta", dec, month(dec, "i1", 2)}} {
				if err := s.ReplaceDeductionMonth(ctx, c.scope, c.m, "r1", c.rows); err != nil {
					t.Fatal(err)
				}
			}
			want := map[string]string{
				"acme 2026-11-01 i1": "30 3.7037034 96.2962966", "acme 2026-12-01 i1": "7 0.86419746 99.13580254",
				"acme 2026-12-01 i2": "3 0.37037034 99.62962966", "beta 2026-12-01 i1": "2 0.24691356 99.75308644"}
			check("first sync", want)

			// The same month again, one day more of i1 and i2 gone upstream.
			if err := s.ReplaceDeductionMonth(ctx, "acme", dec, "r1", month(dec, "i1", 8)); err != nil {
				t.Fatal(err)
			}
			delete(want, "acme 2026-12-01 i2")
			want["acme 2026-12-01 i1"] = "8 0.98765424 99.01234576"
			check("re-run", want)

			dup := month(dec, "i1", 9)
			dup[8] = dup[3]
			var ve *sink.ValidationError
			if err := s.ReplaceDeductionMonth(ctx, "acme", dec, "r1", dup); !errors.As(err, &ve) || len(ve.Duplicates) != 1 {
				t.Errorf("duplicated deduction: err = %v, want a validation error naming one duplicate key", err)
			}
			other := month(dec, "i1", 9)
			other[8].DeductMonth = nov
			if err := s.ReplaceDeductionMonth(ctx, "acme", dec, "r1", other); err == nil {
				t.Error("a row of November was accepted in December")
			}
			noItem := month(dec, "i1", 9)
			noItem[0].FreeResourceID = ""
			if err := s.ReplaceDeductionMonth(ctx, "acme", dec, "r1", noItem); err == nil {
				t.Error("a deduction without free_resource_id was accepted")
			}
			check("refused re-runs", want)

			if err := s.ReplaceDeductionMonth(ctx, "beta", dec, "r1", nil); err != nil {
				t.Fatal(err)
			}
			delete(want, "beta 2026-12-01 i1")
			check("empty month", want)

			res := query(t, s, "SELECT toString(deduct_time) AS t, toString(available_amount) AS a, toString(remaining_amount) AS r, measure_unit "+
				"FROM DB.package_deductions WHERE scope = 'acme' AND deduct_month = toDate('2026-12-01') ORDER BY deduct_time DESC LIMIT 1")
			if got := [4]string{res.Value(0, "t"), d(res.Value(0, "a")).String(), d(res.Value(0, "r")).String(), res.Value(0, "measure_unit")}; got !=
				[4]string{"2026-12-08 01:00:00", "99.13580254", "99.01234576", "GB"} {
				t.Errorf("last December deduction = %v", got)
			}
			// The manifest of the last commit of acme's December (the refused re-runs recorded none).
			man := query(t, s, "SELECT argMax(deductions, seq) AS n, toString(argMax(used_amount, seq)) AS used, argMax(run_id, seq) AS run "+
				"FROM DB.package_deduction_manifests WHERE scope = 'acme' AND deduct_month = toDate('2026-12-01')")
			if got := [3]string{man.Value(0, "n"), d(man.Value(0, "used")).String(), man.Value(0, "run")}; got != [3]string{"8", "0.98765424", "r1"} {
				t.Errorf("December manifest = %v, want 8 deductions using 0.98765424 by r1", got)
			}
			// Usage from 2026-11-30 01:00 UTC (inclusive) to 2026-12-03 01:00 (exclusive):
			// November's last day and December's first two of acme's i1.
			usage, err := s.PackageUsage(ctx, time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(usage); got != "[{acme i1 0.37037034 3}]" {
				t.Errorf("usage = %s, want i1 of acme: 3 deductions, 0.37037034", got)
			}
			if n := query(t, s, "SELECT count() FROM system.tables WHERE database = '"+s.Database()+"' AND name LIKE 'staging_%'").Rows[0][0]; n != "0" {
				t.Errorf("%s staging tables left", n)
			}
		})
	}
}
