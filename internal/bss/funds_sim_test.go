package bss_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// TestMemberFundsAgainstSimulator reads the master's allocatable funds and
// every member's retrievable funds through the client and compares each
// amount with the simulator's truth, exactly; credit ledgers span pages
// only when there are more than ten, so the answer's elements and order are
// checked too.
func TestMemberFundsAgainstSimulator(t *testing.T) {
	ctx := t.Context()
	cents := func(v int64) decimal.Decimal { return decimal.New(v, -2) }
	check := func(t *testing.T, what string, got []bss.Funds, want []bsssim.Funds, bt bss.BalanceType) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if !g.Available.Equal(cents(w.Available)) || !g.Amount.Equal(cents(w.Amount)) || !g.CreditAmount.Equal(cents(w.CreditAmount)) ||
				g.Currency != "CNY" || g.BalanceType != bt {
				t.Errorf("%s[%d] = %+v, want %+v", what, i, g, w)
			}
			if (w.ExpireTime == "") != g.ExpireTime.IsZero() || (w.ExpireTime != "" && g.ExpireTime.UTC().Format("2006-01-02T15:04:05Z") != w.ExpireTime) {
				t.Errorf("%s[%d]: expire %v, want %q", what, i, g.ExpireTime, w.ExpireTime)
			}
		}
	}
	srv := startSim(t, bsssim.Config{})
	c := simClient(t, srv, bss.Config{})
	for _, bt := range []bss.BalanceType{bss.BalanceDebit, bss.BalanceCredit} {
		got, err := c.TransferAmount(ctx, bt)
		if err != nil {
			t.Fatalf("transfer amount %s: %v", bt, err)
		}
		check(t, "transfer "+string(bt), got, srv.TransferFunds(string(bt)), bt)
		for _, m := range srv.Accounts()[1:] {
			got, err := c.RetrieveAmount(ctx, m.ID, bt)
			if err != nil {
				t.Fatalf("retrieve amount %s %s: %v", m.ID, bt, err)
			}
			check(t, "retrieve "+m.ID+" "+string(bt), got, srv.RetrieveFunds(m.ID, string(bt)), bt)
		}
	}

	t.Run("member caller is denied", func(t *testing.T) {
		m := srv.Accounts()[1]
		mc, err := bss.NewClient(bss.Config{Endpoint: srv.URL}, bss.Credentials{AK: bss.Secret(m.AK), SK: bss.Secret(m.SK), DomainID: m.ID},
			bss.WithClock(func() time.Time { return simNow }))
		if err != nil {
			t.Fatal(err)
		}
		_, err = mc.TransferAmount(ctx, bss.BalanceDebit)
		var e *bss.Error
		if !errors.As(err, &e) || e.Code != "CBC.0151" {
			t.Fatalf("got %v, want CBC.0151", err)
		}
	})
	t.Run("international site", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{Site: bsssim.SiteIntl})
		c := simClient(t, srv, bss.Config{Site: bss.SiteInternational})
		if _, err := c.TransferAmount(ctx, bss.BalanceDebit); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("transfer: got %v, want ErrUnsupported", err)
		}
		if _, err := c.RetrieveAmount(ctx, srv.Accounts()[0].ID, bss.BalanceDebit); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("retrieve: got %v, want ErrUnsupported", err)
		}
		if n := srv.RequestCount(bsssim.OpTransferAmount) + srv.RequestCount(bsssim.OpRetrieveAmount); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})
	t.Run("bad arguments send nothing", func(t *testing.T) {
		before := srv.RequestCount(bsssim.OpRetrieveAmount)
		if _, err := c.RetrieveAmount(ctx, "", bss.BalanceDebit); err == nil {
			t.Error("an empty member ID was accepted")
		}
		if _, err := c.RetrieveAmount(ctx, srv.Accounts()[1].ID, "BALANCE_TYPE_BONUS"); err == nil {
			t.Error("an unknown balance type was accepted")
		}
		if n := srv.RequestCount(bsssim.OpRetrieveAmount) - before; n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}
