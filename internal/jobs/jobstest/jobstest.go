// Package jobstest is the test harness shared by the tests of the jobs and
// of the program that wires them (cmd/syncd): the simulator served over
// HTTP, a real bss client on it, and checks of the stored bills against the
// simulator's truth. Like package jobs, it sees both bss and sink.
package jobstest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
)

// Now is the fixed clock of the tests against the simulator: mid-month, so
// the previous month is final.
var Now = time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)

// Serve serves sim over HTTP until the test ends and returns its endpoint.
func Serve(t testing.TB, sim *bsssim.Simulator) string {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// Client returns a bss client of the simulator's demo account at endpoint,
// for site, on the clock now.
func Client(t testing.TB, endpoint string, site bss.Site, now func() time.Time) *bss.Client {
	t.Helper()
	c, err := bss.NewClient(bss.Config{Endpoint: endpoint, Site: site},
		bss.Credentials{AK: bss.Secret(bsssim.DemoAK), SK: bss.Secret(bsssim.DemoSK), DomainID: bsssim.DemoDomainID}, bss.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Query runs q on s, with "DB." standing for the sink's database, and
// returns its rows as text.
func Query(t testing.TB, s *sink.Sink, q string) [][]string {
	t.Helper()
	res, err := s.Query(context.Background(), strings.ReplaceAll(q, "DB.", s.Database()+"."))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

// Dec parses a decimal the engine returned as text.
func Dec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// CheckBills compares every month the simulator has with the months stored
// under scope, to the last decimal: no record missing, doubled or stored
// under another scope.
func CheckBills(t testing.TB, s *sink.Sink, sim *bsssim.Simulator, scope string) {
	t.Helper()
	for _, cycle := range sim.Months() {
		truth := sim.Truth("", cycle)
		rows := Query(t, s, fmt.Sprintf(`SELECT count(), toString(sum(amount)), toString(sum(official_amount)), toString(sum(discount_amount)),
			toString(sum(cash_amount)), toString(sum(credit_amount)), toString(sum(coupon_amount)), toString(sum(flexipurchase_coupon_amount)),
			toString(sum(stored_card_amount)), toString(sum(bonus_amount)), toString(sum(debt_amount)), toString(sum(adjustment_amount)),
			uniqExact(record_id), countIf(scope != '%s')
			FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, scope, cycle))
		r := rows[0]
		if got := r[0]; got != fmt.Sprint(truth.Records) || r[12] != r[0] || r[13] != "0" {
			t.Errorf("%s: cost_records count = %s (unique ids %s, foreign scope %s), want %d", cycle, got, r[12], r[13], truth.Records)
		}
		for i, want := range []decimal.Decimal{truth.Amount, truth.OfficialAmount, truth.DiscountAmount, truth.CashAmount, truth.CreditAmount,
			truth.CouponAmount, truth.FlexipurchaseCouponAmount, truth.StoredCardAmount, truth.BonusAmount, truth.DebtAmount, truth.AdjustmentAmount} {
			if got := Dec(t, r[i+1]); !got.Equal(want) {
				t.Errorf("%s: cost_records sum #%d = %s, want %s", cycle, i+1, got, want)
			}
		}
		srows := Query(t, s, fmt.Sprintf(`SELECT count(), toString(sum(consume_amount)) FROM DB.bill_summaries WHERE bill_cycle = toDate('%s-01')`, cycle))
		wantConsume := decimal.Zero
		for _, ms := range truth.MonthlySums {
			wantConsume = wantConsume.Add(ms.ConsumeAmount)
		}
		if srows[0][0] != fmt.Sprint(len(truth.MonthlySums)) || !Dec(t, srows[0][1]).Equal(wantConsume) {
			t.Errorf("%s: bill_summaries = %v rows, consume %s; want %d, %s", cycle, srows[0][0], srows[0][1], len(truth.MonthlySums), wantConsume)
		}
	}
}

// Fingerprint sums up the stored bills and the org tables, so that two
// states can be compared.
func Fingerprint(t testing.TB, s *sink.Sink) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT toString(bill_cycle), count(), toString(sum(amount)), toString(groupBitXor(cityHash64(record_id, toString(amount), toString(cash_amount)))) FROM DB.cost_records GROUP BY bill_cycle ORDER BY bill_cycle`,
		`SELECT toString(bill_cycle), count(), toString(sum(consume_amount)) FROM DB.bill_summaries GROUP BY bill_cycle ORDER BY bill_cycle`,
		`SELECT count() FROM DB.org_units`,
		`SELECT count() FROM DB.accounts`,
	} {
		fmt.Fprintln(&b, Query(t, s, q))
	}
	return b.String()
}
