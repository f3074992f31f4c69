package sink_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func amortRows(seed uint64, scope string, month time.Time, n int) []sink.AmortizedCost {
	r := rand.New(rand.NewPCG(seed, 15))
	out := make([]sink.AmortizedCost, n)
	for i := range out {
		cur := decimal.New(r.Int64N(1_000_000), -2)
		past := decimal.New(r.Int64N(1_000_000), -2)
		fut := decimal.New(r.Int64N(1_000_000), -2)
		out[i] = sink.AmortizedCost{Scope: scope, SharedMonth: month, BillCycle: month.AddDate(0, -r.IntN(12), 0), BillType: 1,
			CustomerID: "cust-" + scope, ResourceID: fmt.Sprintf("res-%04d", i), ServiceTypeCode: "hws.service.type.ec2",
			ChargingMode: 1, OrderID: fmt.Sprintf("CS%08d", i), ConsumeAmount: cur.Add(past).Add(fut), PastMonthsAmortizedAmount: past,
			CurrentMonthAmortizedAmount: cur, FutureMonthsAmortizedAmount: fut, AmortizedCashAmount: cur, Currency: "CNY",
			CostTags: "env=prod;team=platform"}
	}
	return out
}

func writeAmortized(ctx context.Context, s *sink.Sink, scope string, month time.Time, rows []sink.AmortizedCost) error {
	w, err := s.BeginAmortizedMonth(ctx, scope, month)
	if err != nil {
		return err
	}
	defer func() { _ = w.Abort(ctx) }()
	for _, r := range rows {
		if err := w.Add(ctx, r); err != nil {
			return err
		}
	}
	return w.Commit(ctx, len(rows))
}

// TestAmortizedMonth replaces amortised months on both engines: exact sums,
// a month replaced whole (rows that vanished are gone), a duplicate key
// refused with the stored month kept, the manifest audit catching a
// change behind syncd's back, and an emptied month.
func TestAmortizedMonth(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := context.Background()
			db := s.Database()
			sum := func(scope string, month time.Time) (string, string) {
				t.Helper()
				res, err := s.Query(ctx, fmt.Sprintf("SELECT toString(count()) AS n, toString(sum(current_month_amortized_amount)) AS c FROM %s.amortized_costs "+
					"WHERE scope = '%s' AND shared_month = '%s'", db, scope, month.Format(time.DateOnly)))
				if err != nil {
					t.Fatal(err)
				}
				return res.Value(0, "n"), res.Value(0, "c")
			}
			want := func(rows []sink.AmortizedCost) (string, string) {
				c := decimal.Zero
				for _, r := range rows {
					c = c.Add(r.CurrentMonthAmortizedAmount)
				}
				return fmt.Sprint(len(rows)), c.StringFixed(8)
			}
			a := amortRows(1, "acme", march, 300)
			if err := writeAmortized(ctx, s, "acme", march, a); err != nil {
				t.Fatal(err)
			}
			if err := writeAmortized(ctx, s, "acme", april, amortRows(2, "acme", april, 50)); err != nil {
				t.Fatal(err)
			}
			n, c := sum("acme", march)
			if wn, wc := want(a); n != wn || decimal.RequireFromString(c).StringFixed(8) != wc {
				t.Fatalf("march: %s rows summing %s, want %s summing %s", n, c, wn, wc)
			}
			res, err := s.Query(ctx, "SELECT toString(cost_tag_values[indexOf(cost_tag_keys, 'team')]) AS team FROM "+db+".amortized_costs LIMIT 1")
			if err != nil || res.Value(0, "team") != "platform" {
				t.Fatalf("cost tags by key: %v %v", res, err)
			}
			// Replaced whole: fewer rows now.
			a2 := amortRows(3, "acme", march, 120)
			if err := writeAmortized(ctx, s, "acme", march, a2); err != nil {
				t.Fatal(err)
			}
			if n, c := sum("acme", march); fmt.Sprint(len(a2)) != n || !decimal.RequireFromString(c).Equal(decimal.RequireFromString(func() string { _, w := want(a2); return w }())) {
				t.Fatalf("after replacing march: %s rows summing %s", n, c)
			}
			// A duplicated natural key is refused; the stored month stays.
			dup := append(amortRows(4, "acme", march, 10), amortRows(4, "acme", march, 1)...)
			var ve *sink.ValidationError
			if err := writeAmortized(ctx, s, "acme", march, dup); !errors.As(err, &ve) || len(ve.Duplicates) == 0 {
				t.Fatalf("duplicate key: got %v, want a ValidationError naming it", err)
			}
			if n, _ := sum("acme", march); n != fmt.Sprint(len(a2)) {
				t.Fatalf("after the refused month: %s rows, want the stored %d", n, len(a2))
			}
			// A row in the wrong month is refused at Add.
			w, err := s.BeginAmortizedMonth(ctx, "acme", march)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Add(ctx, amortRows(5, "acme", april, 1)[0]); err == nil {
				t.Fatal("a row of april in march's writer was accepted")
			}
			_ = w.Abort(ctx)
			checks, err := s.VerifyAmortized(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 || checks[0].Status != sink.MonthOK || checks[1].Status != sink.MonthOK || checks[0].Stored.Rows != uint64(len(a2)) {
				t.Fatalf("VerifyAmortized = %+v, want two ok months", checks)
			}
			if err := s.Exec(ctx, "INSERT INTO "+db+".amortized_costs SELECT * FROM "+db+".amortized_costs WHERE shared_month = '2024-04-01' LIMIT 2"); err != nil {
				t.Fatal(err)
			}
			got, err := s.MismatchedAmortizedMonths(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if wantKeys := []sink.MonthKey{{Scope: "acme", Cycle: april}}; !slices.Equal(got, wantKeys) {
				t.Fatalf("after duplicating rows: %v, want %v", got, wantKeys)
			}
			// Re-committing repairs; an emptied month is committed too.
			if err := writeAmortized(ctx, s, "acme", april, nil); err != nil {
				t.Fatal(err)
			}
			if n, _ := sum("acme", april); n != "0" {
				t.Fatalf("emptied april holds %s rows", n)
			}
			if got, err := s.MismatchedAmortizedMonths(ctx); err != nil || len(got) != 0 {
				t.Fatalf("after re-committing: %v %v", got, err)
			}
		})
	}
}

// TestAmortizedMonthStreamed writes a shared month larger than a block on
// both engines: its details go into one streamed INSERT (the staged month
// is one part, not one per BatchRows block), an abort in the
// middle of the stream drops staging without waiting and keeps the stored
// month, and the committed month holds exactly the rows and money added.
func TestAmortizedMonthStreamed(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := context.Background()
			db := s.Database()
			stored := func() (string, string, string) {
				t.Helper()
				res, err := s.Query(ctx, "SELECT toString(count()) AS n, toString(sum(current_month_amortized_amount)) AS c, "+
					"toString(uniqExact(resource_id)) AS u FROM "+db+".amortized_costs WHERE scope = 'acme' AND shared_month = '2024-03-01'")
				if err != nil {
					t.Fatal(err)
				}
				return res.Value(0, "n"), decimal.RequireFromString(res.Value(0, "c")).StringFixed(8), res.Value(0, "u")
			}
			// 25,003 details: 13 streamed blocks of one INSERT (three
			// inserts if they went in BatchRows blocks of 10,000).
			rows := amortRows(21, "acme", march, 25_003)
			if err := writeAmortized(ctx, s, "acme", march, rows); err != nil {
				t.Fatal(err)
			}
			total := decimal.Zero
			for _, r := range rows {
				total = total.Add(r.CurrentMonthAmortizedAmount)
			}
			if n, c, u := stored(); n != "25003" || c != total.StringFixed(8) || u != "25003" {
				t.Fatalf("stored %s rows (%s distinct resources) summing %s, want 25003 summing %s", n, u, c, total.StringFixed(8))
			}
			res, err := s.Query(ctx, "SELECT toString(count()) AS n FROM system.parts WHERE active AND database = '"+db+
				"' AND table = 'amortized_costs'")
			if err != nil {
				t.Fatal(err)
			}
			if n := res.Value(0, "n"); n != "1" {
				t.Errorf("the month is stored in %s parts, want 1 (one streamed INSERT)", n)
			}

			// Abort in the middle of the stream: staging goes, the stored
			// month stays.
			w, err := s.BeginAmortizedMonth(ctx, "acme", march)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range amortRows(22, "acme", march, 15_000) {
				if err := w.Add(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			if err := w.Add(ctx, rows[0]); !errors.Is(err, sink.ErrWriterDone) {
				t.Errorf("add after abort: %v, want ErrWriterDone", err)
			}
			if st := stagingTables(t, s); len(st) != 0 {
				t.Errorf("staging tables left: %v", st)
			}
			if n, c, _ := stored(); n != "25003" || c != total.StringFixed(8) {
				t.Fatalf("after the abort: %s rows summing %s, want the stored 25003 summing %s", n, c, total.StringFixed(8))
			}
		})
	}
}
