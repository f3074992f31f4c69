package sink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestDecimalRoundTrip: the edge values of the buffered decimal columns
// (zero, negative, 18/19/30-digit coefficients, exponents -8..+10,
// trailing zeros, the Decimal(38, 8) max and min) come back exactly from
// both engines, over several blocks that reuse the columns' buffers.
func TestDecimalRoundTrip(t *testing.T) {
	edges := sink.EdgeDecimals()
	observed := time.Date(2024, 3, 5, 1, 2, 3, 0, time.UTC)
	var rows []sink.BalanceSnapshot
	for i := 0; len(rows) < 2*sink.MinBatchRows+sink.MinBatchRows/2; i++ {
		d := edges[i%len(edges)]
		rows = append(rows, sink.BalanceSnapshot{Scope: "edge", ObservedAt: observed, CustomerID: "c", AccountID: fmt.Sprintf("a%06d", i),
			Amount: d, CreditAmount: d.Neg(), DesignatedAmount: edges[(i+1)%len(edges)], DebtAmount: edges[(i*7)%len(edges)]})
	}
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			if err := s.WriteBalances(context.Background(), rows); err != nil {
				t.Fatal(err)
			}
			res := query(t, s, "SELECT account_id, amount, credit_amount, designated_amount, debt_amount FROM DB.balances ORDER BY account_id")
			if len(res.Rows) != len(rows) {
				t.Fatalf("read %d rows, want %d", len(res.Rows), len(rows))
			}
			for i, r := range res.Rows {
				want := rows[i]
				if r[0] != want.AccountID {
					t.Fatalf("row %d is account %s, want %s", i, r[0], want.AccountID)
				}
				for j, w := range []decimal.Decimal{want.Amount, want.CreditAmount, want.DesignatedAmount, want.DebtAmount} {
					if got, err := decimal.NewFromString(r[j+1]); err != nil || !got.Equal(w) {
						t.Errorf("account %s %s = %q, want %s", r[0], res.Columns[j+1], r[j+1], w)
					}
				}
			}
		})
	}
}
