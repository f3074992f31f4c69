package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs/jobstest"
)

// TestBillsTransactionBills runs the bills job (as the program wires it,
// on a real sink) over a closed and an open month: fee_records holds
// exactly the simulator's transactions (counts, consume, unsettled and
// KooGallery amounts), the sync_runs row of each month reconciles them
// against the itemised records (fee_amount = itemised_amount, fee_drift
// 0), and the gauges give the open month's unsettled amount. A re-run
// replaces the months (no duplicates). On the international site the
// months are synced without transaction bills.
func TestBillsTransactionBills(t *testing.T) {
	r := newMonthRigWith(t, bsssim.Scale{Members: -1, Months: 2, RecordsPerMonth: 600}, bss.SiteChina)
	ctx := context.Background()
	cur := bss.MonthOf(driftNow)
	w := Window{From: cur.Prev(), To: cur}
	for range 2 {
		if err := r.sync(ctx, r.bills.Run, w); err != nil {
			t.Fatal(err)
		}
	}
	openUnsettled := decimal.Zero
	for _, cycle := range r.sim.Months() {
		truth := r.sim.Transactions("", cycle)
		consume, unsettled, koo, nKoo := decimal.Zero, decimal.Zero, decimal.Zero, 0
		for _, x := range truth {
			consume = consume.Add(x.ConsumeAmount)
			if x.Status != 1 {
				unsettled = unsettled.Add(x.ConsumeAmount)
			}
			if x.ProviderType == 2 {
				koo, nKoo = koo.Add(x.ConsumeAmount), nKoo+1
			}
		}
		if unsettled.IsZero() || nKoo == 0 {
			t.Fatalf("%s: the simulator month has no unsettled (%s) or KooGallery (%d) transactions", cycle, unsettled, nKoo)
		}
		if cycle == cur.String() {
			openUnsettled = unsettled
		}
		row := r.query(t, fmt.Sprintf(`SELECT count(), toString(sum(consume_amount)), toString(sumIf(consume_amount, status IN (2, 3))),
			toString(sumIf(consume_amount, provider_type = 2)), countIf(provider_type = 2), uniqExact(trade_id)
			FROM DB.fee_records WHERE scope = 'acme' AND bill_cycle = toDate('%s-01')`, cycle))[0]
		want := []string{fmt.Sprint(len(truth)), consume.String(), unsettled.String(), koo.String(), fmt.Sprint(nKoo), fmt.Sprint(len(truth))}
		for i := range want {
			if i >= 1 && i <= 3 {
				if !decimal.RequireFromString(row[i]).Equal(decimal.RequireFromString(want[i])) {
					t.Errorf("%s: fee_records column %d = %s, want %s", cycle, i, row[i], want[i])
				}
			} else if row[i] != want[i] {
				t.Errorf("%s: fee_records column %d = %s, want %s", cycle, i, row[i], want[i])
			}
		}
		// The same trades as the itemised records, and the run's reconciliation.
		if n := r.query(t, fmt.Sprintf(`SELECT count() FROM DB.fee_records WHERE bill_cycle = toDate('%[1]s-01')
			AND trade_id NOT IN (SELECT trade_id FROM DB.cost_records WHERE bill_cycle = toDate('%[1]s-01'))`, cycle))[0][0]; n != "0" {
			t.Errorf("%s: %s transactions with a trade_id no itemised record has", cycle, n)
		}
		runs := r.query(t, fmt.Sprintf(`SELECT toString(fee_amount), toString(fee_drift), toString(itemised_amount) FROM DB.sync_runs
			WHERE job = 'bills' AND bill_cycle = toDate('%s-01') AND status = 'success' ORDER BY finished_at DESC LIMIT 1`, cycle))
		if len(runs) != 1 || !decimal.RequireFromString(runs[0][0]).Equal(consume) || !decimal.RequireFromString(runs[0][1]).IsZero() ||
			!decimal.RequireFromString(runs[0][2]).Equal(r.sim.Truth("", cycle).Amount) {
			t.Errorf("%s: sync_runs fee_amount, fee_drift, itemised_amount = %v, want %s, 0, the itemised amount", cycle, runs, consume)
		}
	}
	if got := r.gauge(t, "syncd_unsettled_amount"); fmt.Sprintf("%.2f", got) != openUnsettled.StringFixed(2) {
		t.Errorf("syncd_unsettled_amount = %.2f, want %s", got, openUnsettled.StringFixed(2))
	}
	if got := r.gauge(t, "syncd_transaction_fee_drift"); got != 0 {
		t.Errorf("syncd_transaction_fee_drift = %v, want 0", got)
	}

	t.Run("international site", func(t *testing.T) {
		r := newMonthRigWith(t, bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 200}, bss.SiteInternational)
		if err := r.sync(ctx, r.bills.Run, Window{From: cur, To: cur}); err != nil {
			t.Fatal(err)
		}
		if n := r.query(t, `SELECT count() FROM DB.cost_records`)[0][0]; n == "0" {
			t.Error("no itemised records synced")
		}
		if n := r.query(t, `SELECT count() FROM DB.fee_records`)[0][0]; n != "0" {
			t.Errorf("%s transaction bills stored on the international site", n)
		}
		if n := r.sim.RequestCount(bsssim.OpFeeRecords); n != 0 {
			t.Errorf("%d fee-records requests sent on the international site", n)
		}
	})
}

// TestStageFeesKeepsRepeatedTransactions: two transactions the API sends
// with the same natural key are both stored (key_seq 0 and 1), not refused
// as a duplicate nor merged, and the month's sums count both.
func TestStageFeesKeepsRepeatedTransactions(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	m := bss.MonthOf(driftNow)
	tx := bss.TransactionBill{BillCycle: m, CustomerID: "c1", TradeID: "T1", BillType: 5, Status: 3, ProviderType: 1,
		ServiceTypeCode: "hws.service.type.ec2", ChargingMode: 3, ConsumeTime: driftNow,
		ConsumeAmount: decimal.RequireFromString("1.25"), DebtAmount: decimal.RequireFromString("1.25"), Currency: "CNY"}
	other := tx
	other.TradeID = "T2"
	a := Account{Scope: "acme", Source: &fakeSource{transactions: []bss.TransactionBill{tx, other, tx}}}
	st, w, err := r.bills.stageFees(ctx, ctx, a, m, bss.MethodOneself, nil, "method=oneself")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, st.rows); err != nil {
		t.Fatal(err)
	}
	got := r.query(t, `SELECT trade_id, toString(key_seq) FROM DB.fee_records ORDER BY trade_id, key_seq`)
	if want := "[[T1 0] [T1 1] [T2 0]]"; fmt.Sprint(got) != want {
		t.Errorf("stored %v, want %s", got, want)
	}
	if !st.consume.total().Equal(decimal.RequireFromString("3.75")) || !st.unsettled.total().Equal(decimal.RequireFromString("3.75")) {
		t.Errorf("sums: consume %s, unsettled %s; want 3.75 each", st.consume.total(), st.unsettled.total())
	}
}

// TestMonthReadFailureKeepsStoredMonth: a month's itemised records and its
// transaction bills are read side by side. Whichever read fails, the
// attempt fails naming it, both staging areas are dropped and the stored
// month (records, sums and transactions) is kept as it was.
func TestMonthReadFailureKeepsStoredMonth(t *testing.T) {
	for op, what := range map[string]string{bsssim.OpFeeRecords: "transaction bills", bsssim.OpResourceRecords: "resource records",
		bsssim.OpMonthlySum: "monthly sums"} {
		t.Run(op, func(t *testing.T) {
			r := newMonthRigWith(t, bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 3000}, bss.SiteChina)
			ctx := context.Background()
			cur := bss.MonthOf(driftNow)
			w := Window{From: cur, To: cur}
			if err := r.sync(ctx, r.bills.Run, w); err != nil {
				t.Fatal(err)
			}
			stored := func() string {
				return r.fingerprint(t) + fmt.Sprint(r.query(t,
					`SELECT count(), toString(sum(consume_amount)), toString(groupBitXor(cityHash64(trade_id, toString(consume_amount)))) FROM DB.fee_records`))
			}
			before := stored()
			if n := r.query(t, `SELECT count() FROM DB.fee_records`)[0][0]; n == "0" {
				t.Fatal("no transaction bills stored by the first sync")
			}
			// A client that does not retry, so the fault ends the attempt.
			c, err := bss.NewClient(bss.Config{Endpoint: jobstest.Serve(t, r.sim), Site: bss.SiteChina, MaxRetries: -1},
				bss.Credentials{AK: bss.Secret(bsssim.DemoAK), SK: bss.Secret(bsssim.DemoSK), DomainID: bsssim.DemoDomainID}, bss.WithClock(rigNow))
			if err != nil {
				t.Fatal(err)
			}
			r.bills.Accounts[0].Source = c
			// The monthly sums fail late, once the transaction bills are
			// staged: their staging area must be dropped too.
			r.sim.SetFaults(bsssim.Faults{ServerError: 1, Operations: []string{op}, Latency: 300 * time.Millisecond})
			err = r.sync(ctx, r.bills.Run, w)
			if err == nil || !strings.Contains(err.Error(), what) {
				t.Fatalf("sync with every %s request failing: %v, want an error naming the %s", op, err, what)
			}
			if after := stored(); after != before {
				t.Errorf("stored month changed by a failed attempt:\n%s\nwant\n%s", after, before)
			}
			left := r.query(t, fmt.Sprintf(`SELECT name FROM system.tables WHERE database = '%s' AND name LIKE 'staging%%'`, r.cfg.Database))
			if len(left) != 0 {
				t.Errorf("staging tables left behind: %v", left)
			}
		})
	}
}
