package sink_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestMemberFunds writes two observations of a master and a member and
// reads member_funds_latest back on every engine: only the latest
// observation, amounts exact, a ledger that never expires NULL, and a
// retried insert of the same observation not counted twice.
func TestMemberFunds(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := t.Context()
			t1 := time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
			t2 := t1.Add(time.Hour)
			exp := time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)
			d := decimal.RequireFromString
			obs := func(at time.Time, memberCash string) []sink.MemberFunds {
				return []sink.MemberFunds{
					{Scope: "acme", ObservedAt: at, CustomerID: "m0", Role: "master", BalanceType: "debit", Available: d("1000.01"), Currency: "CNY"},
					{Scope: "acme", ObservedAt: at, CustomerID: "m1", Role: "member", BalanceType: "debit", Available: d(memberCash), Currency: "CNY"},
					{Scope: "acme", ObservedAt: at, CustomerID: "m1", Role: "member", BalanceType: "credit", Ledger: 0,
						Available: d("5.5"), Amount: d("5.5"), CreditAmount: d("100"), Currency: "CNY"},
					{Scope: "acme", ObservedAt: at, CustomerID: "m1", Role: "member", BalanceType: "credit", Ledger: 1,
						Available: d("2500"), Amount: d("2500"), CreditAmount: d("5000"), Currency: "CNY", ExpireTime: exp},
				}
			}
			for _, rows := range [][]sink.MemberFunds{obs(t1, "99.99"), obs(t2, "12345678.12345678"), obs(t2, "12345678.12345678")} {
				if err := s.WriteMemberFunds(ctx, rows); err != nil {
					t.Fatal(err)
				}
			}
			res := query(t, s, "SELECT customer_id, balance_type, ledger, toString(available) AS available, "+
				"ifNull(toString(expire_time), 'never') AS expires, toString(observed_at) AS at "+
				"FROM "+s.Database()+".member_funds_latest ORDER BY customer_id, balance_type, ledger")
			want := [][4]string{{"m0", "debit", "1000.01", "never"}, {"m1", "credit", "5.5", "never"},
				{"m1", "credit", "2500", "2027-12-31 16:00:00"}, {"m1", "debit", "12345678.12345678", "never"}}
			if len(res.Rows) != len(want) {
				t.Fatalf("%d latest rows, want %d", len(res.Rows), len(want))
			}
			for i, w := range want {
				// 18.16 prints a decimal with its whole scale, chDB trims it.
				got := [4]string{res.Value(i, "customer_id"), res.Value(i, "balance_type"), d(res.Value(i, "available")).String(), res.Value(i, "expires")}
				if got != w || res.Value(i, "at") != "2026-12-03 02:00:00" {
					t.Errorf("row %d = %v at %s, want %v at the second observation", i, got, res.Value(i, "at"), w)
				}
			}
			if err := s.WriteMemberFunds(ctx, []sink.MemberFunds{{Scope: "acme", ObservedAt: t1}}); err == nil {
				t.Error("a row without customer_id was written")
			}
		})
	}
}
