package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
)

// fundsStore keeps the written member funds and answers canned customer
// costs.
type fundsStore struct {
	rows     []sink.MemberFunds
	costs    []sink.CustomerCost
	from, to time.Time
}

func (s *fundsStore) WriteMemberFunds(_ context.Context, rows []sink.MemberFunds) error {
	s.rows = append(s.rows, rows...)
	return nil
}

func (s *fundsStore) CustomerCosts(_ context.Context, from, to time.Time) ([]sink.CustomerCost, error) {
	s.from, s.to = from, to
	return s.costs, nil
}

// TestFundsJob runs the funds job against the simulator through the real
// client: a master's and every member's funds are stored exactly as the
// simulator's truth, the gauges sum them, a member's runway is its
// retrievable cash over its 7-day burn; an account that is no master and
// an international account are reported, not failed.
func TestFundsJob(t *testing.T) {
	now := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC) // 12:00 UTC+8
	srv, err := bsssim.NewServer(bsssim.Config{Seed: 3, Now: func() time.Time { return now },
		Scale: bsssim.Scale{Members: 3, RecordsPerMonth: 10, Months: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	client := func(a bsssim.Account, site bss.Site) *bss.Client {
		c, err := bss.NewClient(bss.Config{Endpoint: srv.URL, Site: site},
			bss.Credentials{AK: bss.Secret(a.AK), SK: bss.Secret(a.SK), DomainID: a.ID}, bss.WithClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	accs := srv.Accounts()
	master := accs[0]
	if master.AK == "" {
		cfg := srv.Config()
		master.AK, master.SK = cfg.AK, cfg.SK
	}
	var ids []string
	for _, a := range accs[1:] {
		ids = append(ids, a.ID)
	}
	burned := accs[1].ID
	store := &fundsStore{costs: []sink.CustomerCost{{Scope: "acme", CustomerID: burned, Currency: "CNY", Amount: decimal.RequireFromString("70")},
		{Scope: "other", CustomerID: accs[2].ID, Currency: "CNY", Amount: decimal.RequireFromString("1")}}}
	runs := &fakeStore{}
	m := NewMetrics()
	j := &Funds{Accounts: []Account{{Scope: "acme", CustomerID: master.ID, Source: client(master, bss.SiteChina)},
		{Scope: "member", CustomerID: accs[1].ID, Source: client(accs[1], bss.SiteChina)}},
		Store: store, Runs: runs, Metrics: m, Logger: discard, Now: func() time.Time { return now },
		Members: func(_ context.Context, scope string) ([]string, error) {
			if scope == "acme" {
				return ids, nil
			}
			return nil, nil
		}}
	if err := j.Run(WithRunID(context.Background(), "r1"), Window{}); err != nil {
		t.Fatalf("Run: %v", err)
	}

	cents := func(v int64) decimal.Decimal { return decimal.New(v, -2) }
	want := 0
	check := func(customer, role string, truth []bsssim.Funds, bt string) {
		t.Helper()
		var got []sink.MemberFunds
		for _, r := range store.rows {
			if r.CustomerID == customer && r.BalanceType == bt {
				got = append(got, r)
			}
		}
		want += len(truth)
		if len(got) != len(truth) {
			t.Fatalf("%s %s: %d rows, want %d", customer, bt, len(got), len(truth))
		}
		sum := decimal.Zero
		for i, f := range truth {
			r := got[i]
			if r.Role != role || r.Ledger != int32(i) || !r.Available.Equal(cents(f.Available)) || !r.CreditAmount.Equal(cents(f.CreditAmount)) ||
				r.Scope != "acme" || !r.ObservedAt.Equal(now) || r.ExpireTime.IsZero() != (f.ExpireTime == "") {
				t.Errorf("%s %s ledger %d = %+v, want %+v", customer, bt, i, r, f)
			}
			sum = sum.Add(cents(f.Available))
		}
		if g := testutil.ToFloat64(m.fundsAvailable.WithLabelValues("acme", customer, role, bt, "CNY")); g != sum.InexactFloat64() {
			t.Errorf("%s %s gauge = %v, want %s", customer, bt, g, sum)
		}
	}
	for _, bt := range []string{bsssim.BalanceTypeDebit, bsssim.BalanceTypeCredit} {
		name := map[string]string{bsssim.BalanceTypeDebit: "debit", bsssim.BalanceTypeCredit: "credit"}[bt]
		check(master.ID, "master", srv.TransferFunds(bt), name)
		for _, id := range ids {
			check(id, "member", srv.RetrieveFunds(id, bt), name)
		}
	}
	if len(store.rows) != want {
		t.Errorf("%d rows stored, want %d", len(store.rows), want)
	}
	if !store.from.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)) || !store.to.Equal(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("burn window %s..%s, want the 7 complete days 2026-11-26..2026-12-02 (UTC+8)", store.from, store.to)
	}
	if g := testutil.ToFloat64(m.memberBurn.WithLabelValues("acme", burned, "CNY")); g != 10 {
		t.Errorf("daily burn = %v, want 70/7 = 10", g)
	}
	cash := cents(srv.RetrieveFunds(burned, bsssim.BalanceTypeDebit)[0].Available)
	if g := testutil.ToFloat64(m.memberRunway.WithLabelValues("acme", burned, "CNY")); g != cash.Div(decimal.NewFromInt(10)).Mul(decimal.NewFromInt(86400)).InexactFloat64() {
		t.Errorf("runway = %v, want %s / 10", g, cash)
	}
	if n := testutil.CollectAndCount(m.memberRunway); n != 1 {
		t.Errorf("%d runway series, want 1 (only the member that spent; another scope's costs ignored)", n)
	}
	if g := testutil.ToFloat64(m.fundsUnavailable.WithLabelValues("member", FundsNotMaster)); g != 1 || j.Unavailable("member") != FundsNotMaster {
		t.Errorf("a member account: unavailable gauge %v, reason %q; want not_master", g, j.Unavailable("member"))
	}
	for _, r := range runs.runs {
		if r.Status != "success" {
			t.Errorf("run of %s: %s (%s), want success", r.Scope, r.Status, r.Error)
		}
	}

	intl := &Funds{Accounts: []Account{{Scope: "intl", Source: client(master, bss.SiteInternational)}}, Store: store, Runs: runs,
		Metrics: m, Logger: discard, Now: func() time.Time { return now }}
	if err := intl.Run(context.Background(), Window{}); err != nil || intl.Unavailable("intl") != FundsUnsupported {
		t.Errorf("international account: %v, reason %q; want no error and unsupported", err, intl.Unavailable("intl"))
	}
}
