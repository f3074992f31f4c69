package jobs

import (
	"context"
	"testing"
	"time"

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
