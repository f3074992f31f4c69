package sink_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func feeRows(seed uint64, month time.Time, n int) []sink.FeeRecord {
	r := rand.New(rand.NewPCG(seed, 16))
	out := make([]sink.FeeRecord, n)
	for i := range out {
		debt := decimal.Zero
		status := int32(1)
		if i%7 == 0 {
			debt, status = decimal.New(r.Int64N(10_000), -2), int32(2+i%2)
		}
		cash := decimal.New(r.Int64N(1_000_000), -8) // exact to 8 decimals
		consume := cash.Add(debt)
		out[i] = sink.FeeRecord{BillCycle: month, CustomerID: fmt.Sprintf("cust-%d", i%3), ProviderType: int32(1 + i%5/4),
			ServiceTypeCode: "hws.service.type.ec2", ChargingMode: 3, ConsumeTime: month.Add(time.Duration(i) * time.Minute),
			TradeID: fmt.Sprintf("BL%010d", i), BillType: 5, Status: status, OfficialAmount: consume.Add(decimal.New(5, -1)),
			OfficialDiscountAmount: decimal.New(5, -1), ConsumeAmount: consume, CashAmount: cash, DebtAmount: debt, Currency: "CNY"}
	}
	return out
}

func writeFees(ctx context.Context, s *sink.Sink, scope string, month time.Time, rows []sink.FeeRecord) error {
	w, err := s.BeginFeeMonth(ctx, scope, month)
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

// TestFeeMonth replaces transaction months on every engine: exact sums
// (the unsettled ones too), a month replaced whole, a duplicated natural
// key refused with the stored month kept while the same key with its
// key_seq is two transactions, and the manifest audit.
func TestFeeMonth(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := context.Background()
			db := s.Database()
			stored := func(month time.Time) (n int, consume, unsettled decimal.Decimal) {
				t.Helper()
				res, err := s.Query(ctx, fmt.Sprintf("SELECT toString(count()) AS n, toString(sum(consume_amount)) AS c, "+
					"toString(sumIf(consume_amount, status IN (2, 3))) AS u FROM %s.fee_records WHERE scope = 'acme' AND bill_cycle = '%s'",
					db, month.Format(time.DateOnly)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fmt.Sscan(res.Value(0, "n"), &n); err != nil {
					t.Fatal(err)
				}
				return n, decimal.RequireFromString(res.Value(0, "c")), decimal.RequireFromString(res.Value(0, "u"))
			}
			check := func(what string, month time.Time, rows []sink.FeeRecord) {
				t.Helper()
				c, u := decimal.Zero, decimal.Zero
				for _, r := range rows {
					c = c.Add(r.ConsumeAmount)
					if r.Status != 1 {
						u = u.Add(r.ConsumeAmount)
					}
				}
				if n, gc, gu := stored(month); n != len(rows) || !gc.Equal(c) || !gu.Equal(u) || (len(rows) > 0 && u.IsZero()) {
					t.Fatalf("%s: %d rows, consume %s, unsettled %s; want %d, %s, %s", what, n, gc, gu, len(rows), c, u)
				}
			}
			m1 := feeRows(1, march, 400)
			if err := writeFees(ctx, s, "acme", march, m1); err != nil {
				t.Fatal(err)
			}
			check("march", march, m1)
			m2 := feeRows(2, march, 150)
			if err := writeFees(ctx, s, "acme", march, m2); err != nil {
				t.Fatal(err)
			}
			check("march replaced", march, m2)
			// The API sent one transaction three times: twice as it was and
			// once with another amount (same natural key). All three are
			// kept, numbered by Commit in the order of their other columns.
			dup := append(feeRows(3, april, 10), feeRows(3, april, 1)...)
			again := dup[0]
			again.ConsumeAmount, again.CashAmount = again.ConsumeAmount.Add(decimal.New(1, -8)), again.CashAmount.Add(decimal.New(1, -8))
			again.OfficialAmount = again.OfficialAmount.Add(decimal.New(1, -8))
			dup = append(dup, again)
			if err := writeFees(ctx, s, "acme", april, dup); err != nil {
				t.Fatalf("a repeated natural key: %v", err)
			}
			check("april", april, dup)
			seqs, err := s.Query(ctx, fmt.Sprintf("SELECT toString(key_seq) AS k, toString(consume_amount) AS c FROM %s.fee_records "+
				"WHERE bill_cycle = '2024-04-01' AND trade_id = '%s' ORDER BY key_seq", db, dup[0].TradeID))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := range seqs.Rows {
				got = append(got, seqs.Value(i, "k")+":"+decimal.RequireFromString(seqs.Value(i, "c")).String())
			}
			c0, c1 := dup[0].ConsumeAmount.String(), again.ConsumeAmount.String()
			if want := []string{"0:" + c0, "1:" + c0, "2:" + c1}; !slices.Equal(got, want) {
				t.Fatalf("the repeats of trade %s: %v, want %v", dup[0].TradeID, got, want)
			}
			if err := writeFees(ctx, s, "acme", april, slices.Clone(dup[1:])); err != nil {
				t.Fatal(err)
			}
			check("april without one repeat", april, dup[1:])
			if err := writeFees(ctx, s, "acme", april, dup); err != nil {
				t.Fatal(err)
			}
			checks, err := s.VerifyFees(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 || checks[0].Status != sink.MonthOK || checks[1].Status != sink.MonthOK || checks[0].Stored.Rows != uint64(len(m2)) {
				t.Fatalf("VerifyFees = %+v, want two ok months", checks)
			}
			if err := s.Exec(ctx, "INSERT INTO "+db+".fee_records SELECT * FROM "+db+".fee_records WHERE bill_cycle = '2024-04-01' LIMIT 1"); err != nil {
				t.Fatal(err)
			}
			if checks, err := s.VerifyFees(ctx, april, april); err != nil || len(checks) != 1 || checks[0].Status != sink.MonthMismatch {
				t.Fatalf("after duplicating a row: %+v %v, want april mismatched", checks, err)
			}
			// The bills month check (start-up integrity, syncd verify) names it too.
			bad, err := s.MismatchedMonths(ctx)
			if err != nil || len(bad) != 1 || bad[0] != (sink.MonthKey{Scope: "acme", Cycle: april}) {
				t.Fatalf("MismatchedMonths = %v %v, want acme 2024-04 (its transaction bills)", bad, err)
			}
			// Re-committing the month repairs it.
			if err := writeFees(ctx, s, "acme", april, dup); err != nil {
				t.Fatal(err)
			}
			if got, err := s.MismatchedMonths(ctx); err != nil || len(got) != 0 {
				t.Fatalf("after re-committing: %v %v", got, err)
			}
		})
	}
}
