package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
)

// TestVerifyAmortizedMonths: the daemon's verify job audits the stored amortised months as well
// as the bill months. Rows deleted from an amortised month behind syncd's back count in
// syncd_month_integrity_mismatches; the job re-syncs the month through the amortized job, the
// gauge returns to 0 and the month holds the simulator's truth again.
func TestVerifyAmortizedMonths(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	b := r.bills
	am := &Amortized{Accounts: b.Accounts, Store: SinkAmortized{Sink: r.sink}, Runs: b.Runs, Names: b.Names, Metrics: r.metrics,
		Logger: b.Logger, Now: b.Now, Months: 1}
	if err := am.Run(WithRunID(ctx, NewRunID()), Window{}); err != nil {
		t.Fatalf("amortized job: %v", err)
	}
	month := bss.MonthOf(driftNow)
	truth := r.sim.AmortizedTruth("", month.String())
	where := "shared_month = toDate('" + month.String() + "-01')"
	stored := func() (string, decimal.Decimal) {
		row := r.query(t, "SELECT count(), toString(sum(current_month_amortized_amount)) FROM DB.amortized_costs WHERE "+where)[0]
		return row[0], decimal.RequireFromString(row[1])
	}
	if n, sum := stored(); n == "0" || !sum.Equal(truth.CurrentMonthAmount) {
		t.Fatalf("synced amortised month %s: %s rows, %s; want %s", month, n, sum, truth.CurrentMonthAmount)
	}
	before, _ := stored()
	if err := r.sink.Exec(ctx, "ALTER TABLE "+r.sink.Database()+".amortized_costs DELETE WHERE "+where+" AND cityHash64(resource_id) % 3 = 0"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if n, _ := stored(); n != before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delete mutation did not run")
		}
	}

	v := &Verify{Store: r.sink, Bills: b, Amortized: am, Metrics: r.metrics, Logger: b.Logger, Now: b.Now}
	_, mismatched, err := v.audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(mismatched) != 1 || mismatched[0].Scope != "acme" || bss.MonthOf(mismatched[0].Cycle) != month {
		t.Fatalf("audit after the delete: amortised mismatches %v, want acme %s", mismatched, month)
	}
	if g := r.gauge(t, "syncd_month_integrity_mismatches"); g != 1 {
		t.Errorf("syncd_month_integrity_mismatches %v after the delete, want 1", g)
	}
	if err := v.Run(WithRunID(ctx, NewRunID()), Window{}); err != nil {
		t.Fatalf("verify job: %v", err)
	}
	if g := r.gauge(t, "syncd_month_integrity_mismatches"); g != 0 {
		t.Errorf("syncd_month_integrity_mismatches %v after the repair, want 0", g)
	}
	if n, sum := stored(); n != before || !sum.Equal(truth.CurrentMonthAmount) {
		t.Errorf("after the repair the month holds %s rows, %s; want %s rows, %s", n, sum, before, truth.CurrentMonthAmount)
	}
}

// TestBurnBasis: syncd_cost_daily_burn is on the billed basis until the amortized job has stored
// the window's month, and on the amortised basis at the next bills run after it: the same days
// with the prepaid purchases (bill types 1, 2, 8) replaced by their amortised share of each day.
// Without a BurnStore the gauge stays billed.
func TestBurnBasis(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	b := r.bills
	b.Burn = r.sink
	month := bss.MonthOf(driftNow)
	w := Window{From: month, To: month}
	burn := func() map[string]float64 {
		t.Helper()
		out := map[string]float64{}
		for _, basis := range []string{BasisAmortized, BasisBilled, BasisMixed} {
			if g, err := r.metrics.dailyBurn.GetMetricWithLabelValues("acme", "CNY", basis); err == nil {
				if v := testutil.ToFloat64(g); v != 0 {
					out[basis] = v
				}
			}
		}
		r.metrics.dailyBurn.Reset()
		return out
	}
	if err := r.sync(ctx, b.Run, w); err != nil {
		t.Fatal(err)
	}
	days := "bill_date >= toDate('2024-05-08') AND bill_date <= toDate('2024-05-14')"
	billed := decimal.RequireFromString(r.query(t, "SELECT toString(sum(amount)) FROM DB.cost_records WHERE "+days)[0][0]).Div(decimal.NewFromInt(7))
	if got := burn(); len(got) != 1 || got[BasisBilled] != billed.InexactFloat64() {
		t.Fatalf("burn before the amortized job: %v, want billed %s", got, billed)
	}

	am := &Amortized{Accounts: b.Accounts, Store: SinkAmortized{Sink: r.sink}, Runs: b.Runs, Names: b.Names, Metrics: r.metrics,
		Logger: b.Logger, Now: b.Now, Months: 1}
	if err := am.Run(WithRunID(ctx, NewRunID()), Window{}); err != nil {
		t.Fatal(err)
	}
	if err := r.sync(ctx, b.Run, w); err != nil {
		t.Fatal(err)
	}
	// By hand: the window's records other than purchases, plus each purchase share T of May
	// spread over its 31 days (days 8..14 are indexes 7..13: trunc(T*14/31) - trunc(T*7/31)).
	nonPurchase := decimal.RequireFromString(r.query(t, "SELECT toString(sum(amount)) FROM DB.cost_records WHERE "+days+" AND bill_type NOT IN (1, 2, 8)")[0][0])
	shares := decimal.Zero
	for _, row := range r.query(t, "SELECT toString(current_month_amortized_amount) FROM DB.amortized_costs WHERE bill_type IN (1, 2, 8)") {
		T := decimal.RequireFromString(row[0])
		upTo := func(k int64) decimal.Decimal {
			return T.Mul(decimal.NewFromInt(k)).Div(decimal.NewFromInt(31)).Truncate(8)
		}
		shares = shares.Add(upTo(14).Sub(upTo(7)))
	}
	amortized := nonPurchase.Add(shares).Div(decimal.NewFromInt(7))
	if shares.IsZero() || amortized.Equal(billed) {
		t.Fatalf("the month has no amortised purchases in the window (shares %s); the test tells nothing", shares)
	}
	if got := burn(); len(got) != 1 || got[BasisAmortized] != amortized.InexactFloat64() {
		t.Errorf("burn after the amortized job: %v, want amortized %s (billed was %s)", got, amortized, billed)
	}

	b.Burn = nil
	if err := r.sync(ctx, b.Run, w); err != nil {
		t.Fatal(err)
	}
	if got := burn(); len(got) != 1 || got[BasisBilled] != billed.InexactFloat64() {
		t.Errorf("burn without a BurnStore: %v, want billed %s", got, billed)
	}
}
