package bss_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// TestTransactionBillsAgainstSimulator pages every month's transaction
// bills through the client (method=all, then the member fan-out) and
// compares them record by record with the simulator's truth; each month's
// Σ consume_amount equals the itemised Σ amount. On the international site
// the operation is refused without a request.
func TestTransactionBillsAgainstSimulator(t *testing.T) {
	ctx := t.Context()
	srv := startSim(t, bsssim.Config{Scale: bsssim.Scale{Members: 4, Months: 3, RecordsPerMonth: 400}})
	c := simClient(t, srv, bss.Config{})
	check := func(t *testing.T, what string, got []bss.TransactionBill, want []bsssim.Transaction) {
		t.Helper()
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.TradeID != w.TradeID || g.CustomerID != w.CustomerID || g.Status != w.Status || g.ProviderType != w.ProviderType ||
				g.BillType != w.BillType || g.ChargingMode != w.ChargingMode || g.BillCycle.String() != w.BillCycle ||
				!g.ConsumeAmount.Equal(w.ConsumeAmount) || !g.OfficialAmount.Equal(w.OfficialAmount) || !g.EraseAmount.Equal(w.EraseAmount) ||
				!g.DebtAmount.Equal(w.DebtAmount) || !g.WriteoffAmount.Equal(w.WriteoffAmount) || !g.CashAmount.Equal(w.CashAmount) ||
				g.ConsumeTime.UTC().Format("2006-01-02T15:04:05Z") != w.ConsumeTime || g.Currency != "CNY" {
				t.Fatalf("%s record %d = %+v, want %+v", what, i, g, w)
			}
		}
	}
	var members []string
	for _, a := range srv.Accounts() {
		if !a.Master {
			members = append(members, a.ID)
		}
	}
	unsettled := 0
	for _, month := range srv.Months() {
		m, err := bss.ParseMonth(month)
		if err != nil {
			t.Fatal(err)
		}
		got, err := drain(c.TransactionBills(ctx, bss.TransactionBillOptions{Cycle: m, IncludeZero: true}))
		if err != nil {
			t.Fatalf("%s: %v", month, err)
		}
		want := srv.Transactions("", month)
		check(t, month+" all", got, want)
		consume := decimal.Zero
		for _, g := range got {
			consume = consume.Add(g.ConsumeAmount)
			if g.Status != bss.TransactionPaid {
				unsettled++
			}
		}
		if item := srv.Truth("", month).Amount; !consume.Equal(item) {
			t.Errorf("%s: Σ consume_amount %s, itemised Σ amount %s", month, consume, item)
		}
		// The member fan-out: the master's own, then each member's (the
		// unauthorised independent one skipped), the same records.
		each, err := drain(c.TransactionBills(ctx, bss.TransactionBillOptions{Cycle: m, Method: bss.MethodOneself, Members: members, IncludeZero: true}))
		if err != nil {
			t.Fatalf("%s fan-out: %v", month, err)
		}
		var wantEach []bsssim.Transaction
		for _, id := range append([]string{srv.Master().ID}, members...) {
			for _, a := range srv.Accounts() {
				if a.ID == id && (a.Master || !a.Independent || a.Authorized) {
					wantEach = append(wantEach, srv.Transactions(id, month)...)
				}
			}
		}
		check(t, month+" fan-out", each, wantEach)
	}
	if unsettled == 0 {
		t.Error("no unsettled transaction in any month")
	}

	t.Run("international site", func(t *testing.T) {
		c := simClient(t, srv, bss.Config{Site: bss.SiteInternational})
		before := srv.RequestCount(bsssim.OpFeeRecords)
		_, err := drain(c.TransactionBills(ctx, bss.TransactionBillOptions{Cycle: bss.Month{Year: 2026, Month: 1}}))
		var ue *bss.UnsupportedError
		if !errors.As(err, &ue) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("err = %v, want an UnsupportedError", err)
		}
		if _, _, err := c.ListTransactionBills(ctx, bss.TransactionBillOptions{Cycle: bss.Month{Year: 2026, Month: 1}}, bss.ListOptions{}); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("one page: err = %v, want ErrUnsupported", err)
		}
		if n := srv.RequestCount(bsssim.OpFeeRecords) - before; n != 0 {
			t.Errorf("%d requests sent on the international site", n)
		}
	})
}
