package bss_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

type amortSums struct {
	n                                                           int
	consume, past, current, future                              decimal.Decimal
	cash, credit, coupon, flexi, stored, bonus, ownMonthConsume decimal.Decimal
}

func sumAmortized(t *testing.T, seq func(func(bss.AmortizedCost, error) bool), perOrder map[string][]bss.AmortizedCost) (amortSums, error) {
	t.Helper()
	var s amortSums
	for a, err := range seq {
		if err != nil {
			return s, err
		}
		s.n++
		s.consume = s.consume.Add(a.ConsumeAmount)
		s.past = s.past.Add(a.PastMonthsAmount)
		s.current = s.current.Add(a.CurrentMonthAmount)
		s.future = s.future.Add(a.FutureMonthsAmount)
		s.cash = s.cash.Add(a.AmortizedCashAmount)
		s.credit = s.credit.Add(a.AmortizedCreditAmount)
		s.coupon = s.coupon.Add(a.AmortizedCouponAmount)
		s.flexi = s.flexi.Add(a.AmortizedFlexipurchaseCoupon)
		s.stored = s.stored.Add(a.AmortizedStoredValueCardAmount)
		s.bonus = s.bonus.Add(a.AmortizedBonusAmount)
		if a.BillCycle == a.SharedMonth {
			s.ownMonthConsume = s.ownMonthConsume.Add(a.ConsumeAmount)
		}
		if a.OrderID != "" && perOrder != nil {
			perOrder[a.OrderID] = append(perOrder[a.OrderID], a)
		}
	}
	return s, nil
}

func checkAmortTruth(t *testing.T, month string, got amortSums, want bsssim.AmortizedTruth) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"consume", got.consume, want.ConsumeAmount}, {"past", got.past, want.PastMonthsAmount},
		{"current", got.current, want.CurrentMonthAmount}, {"future", got.future, want.FutureMonthsAmount},
		{"cash", got.cash, want.CashAmount}, {"credit", got.credit, want.CreditAmount}, {"coupon", got.coupon, want.CouponAmount},
		{"flexi", got.flexi, want.FlexipurchaseCouponAmount}, {"stored", got.stored, want.StoredValueCardAmount}, {"bonus", got.bonus, want.BonusAmount},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("%s %s: got %s, want %s", month, c.name, c.got, c.want)
		}
	}
	if got.n != want.Details {
		t.Errorf("%s: %d details, want %d", month, got.n, want.Details)
	}
}

// TestSimAmortizedExact pages 14 shared months through the client and
// checks them against the simulator's truth to the cent; then that the
// breakdown agrees with the itemised bills: every line of a closed month is
// in its own shared month once, and a purchase's shares over its months
// add up to the purchase's amount due.
func TestSimAmortizedExact(t *testing.T) {
	srv := startSim(t, bsssim.Config{Scale: bsssim.Scale{Members: 4, Months: 14, RecordsPerMonth: 120}})
	c := simClient(t, srv, bss.Config{})
	ctx := context.Background()
	perOrder := map[string][]bss.AmortizedCost{}
	months := srv.Months()
	spread := 0
	for i, month := range months {
		sm, _ := bss.ParseMonth(month)
		got, err := sumAmortized(t, c.AmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}), perOrder)
		if err != nil {
			t.Fatal(err)
		}
		checkAmortTruth(t, month, got, srv.AmortizedTruth("", month))
		if !got.past.Add(got.future).IsZero() {
			spread++
		}
		if i == len(months)-1 {
			continue // the current month lags behind its bills
		}
		if bills := srv.Truth("", month).Amount; !got.ownMonthConsume.Equal(bills) {
			t.Errorf("%s: the month's own lines in the breakdown amount to %s, its bills to %s", month, got.ownMonthConsume, bills)
		}
	}
	if spread == 0 {
		t.Fatal("no shared month holds a spread purchase: the test proves nothing")
	}
	// The itemised purchases, by order: the lines amortised.
	billed := map[string]decimal.Decimal{}
	for _, month := range months {
		m, _ := bss.ParseMonth(month)
		for r, err := range c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, IncludeZero: true}) {
			if err != nil {
				t.Fatal(err)
			}
			if r.OrderID != "" {
				billed[r.OrderID] = billed[r.OrderID].Add(r.Amount)
			}
		}
	}
	complete := 0
	for order, shares := range perOrder {
		first, last := shares[0], shares[len(shares)-1]
		if b, ok := billed[order]; !ok || !b.Equal(first.ConsumeAmount) {
			t.Fatalf("order %s: consume %s, billed %s (%v)", order, first.ConsumeAmount, b, ok)
		}
		if !first.PastMonthsAmount.IsZero() || !last.FutureMonthsAmount.IsZero() {
			continue // started before the history or still running
		}
		sum := decimal.Zero
		for _, s := range shares {
			sum = sum.Add(s.CurrentMonthAmount)
		}
		if !sum.Equal(first.ConsumeAmount) {
			t.Errorf("order %s: shares over %d months sum to %s, billed %s", order, len(shares), sum, first.ConsumeAmount)
		}
		if len(shares) > 1 {
			complete++
		}
	}
	if complete == 0 {
		t.Fatal("no purchase spread over several months completed within the history")
	}
}

func TestSimAmortizedErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("fan-out", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{})
		srv.SetMaxIndependentForAll(0)
		c := simClient(t, srv, bss.Config{})
		sm, _ := bss.ParseMonth(simCycle)
		if _, _, err := c.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}, bss.ListOptions{}); !bss.HasCode(err, bss.CodeTooManyMembers) {
			t.Fatalf("simulator did not refuse method=all: %v", err)
		}
		got, err := sumAmortized(t, c.AmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkAmortTruth(t, simCycle, got, srv.AmortizedTruth("", simCycle))
	})
	t.Run("cost center disabled", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{})
		srv.SetCostCenter(srv.Master().ID, false)
		c := simClient(t, srv, bss.Config{})
		sm, _ := bss.ParseMonth(simCycle)
		for _, err := range c.AmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}) {
			if !bss.HasCode(err, bss.CodeCostCenterDisabled) {
				t.Fatalf("got %v, want %s", err, bss.CodeCostCenterDisabled)
			}
			break
		}
	})
	t.Run("beyond the history", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{})
		c := simClient(t, srv, bss.Config{})
		old := bss.MonthOf(simNow)
		for range bss.AmortizedHistoryMonths {
			old = old.Prev()
		}
		_, _, err := c.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: old}, bss.ListOptions{})
		if !bss.HasCode(err, bss.CodeParameterError) {
			t.Fatalf("%s: got %v, want %s", old, err, bss.CodeParameterError)
		}
		_, _, err = c.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: old.Next()}, bss.ListOptions{})
		if err != nil {
			t.Fatalf("%s (oldest kept): %v", old.Next(), err)
		}
	})
	t.Run("international site", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{Site: bsssim.SiteIntl})
		c := simClient(t, srv, bss.Config{Site: bss.SiteInternational})
		sm, _ := bss.ParseMonth(simCycle)
		_, _, err := c.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{SharedMonth: sm}, bss.ListOptions{})
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
		if n := srv.RequestCount(bsssim.OpMonthlyBreakdown); n != 0 {
			t.Fatalf("%d requests sent", n)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		srv := startSim(t, bsssim.Config{})
		c := simClient(t, srv, bss.Config{})
		_, _, err := c.ListAmortizedCosts(ctx, bss.AmortizedCostOptions{}, bss.ListOptions{})
		if err == nil || srv.RequestCount(bsssim.OpMonthlyBreakdown) != 0 {
			t.Fatalf("zero month: %v", err)
		}
	})
}
