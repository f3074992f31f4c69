package reliability

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
)

// fixedNow is the clock of the in-process tests (simulator and client sign
// with the same fixed clock): mid-May 2024, so 2024-05 is the open month and
// 2024-03 and 2024-04 are closed.
var fixedNow = time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)

// testScale is a small tenant: a master and two members, about 800
// itemised records per account and month (~2,400 a month), three months.
var testScale = bsssim.Scale{Members: 2, RecordsPerMonth: 800, Months: 3}

// newSim starts a simulator on loopback with cfg; a zero Now becomes
// fixedNow and a zero Scale testScale.
func newSim(t testing.TB, cfg bsssim.Config) *bsssim.Server {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	if cfg.Scale == (bsssim.Scale{}) {
		cfg.Scale = testScale
	}
	if cfg.Seed == 0 {
		cfg.Seed = 6
	}
	srv, err := bsssim.NewServer(cfg)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// fastRetries shortens the client's backoff so fault tests stay quick; the
// policy (what is retried, how often) is the production one.
func fastRetries(cfg bss.Config) bss.Config {
	cfg.RetryBaseDelay = 10 * time.Millisecond
	cfg.RetryMaxDelay = 200 * time.Millisecond
	return cfg
}

// newClient returns a client for the simulator's demo master, signing with
// the simulator's clock.
func newClient(t testing.TB, srv *bsssim.Server, cfg bss.Config, opts ...bss.Option) *bss.Client {
	t.Helper()
	cfg.Endpoint = srv.URL + "/"
	now := srv.Config().Now
	opts = append([]bss.Option{bss.WithClock(now)}, opts...)
	c, err := bss.NewClient(cfg, bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID}, opts...)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return c
}

// sumNames are the itemised money columns compared to the truth, in the
// order of monthState.Sums.
var sumNames = []string{"amount", "official_amount", "discount_amount", "cash_amount", "credit_amount", "coupon_amount",
	"flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount", "adjustment_amount"}

// monthState is what a stored or read month is compared by: counts, exact
// sums and a checksum over the records sorted by their natural key.
type monthState struct {
	Records   int
	Sums      [11]decimal.Decimal
	Summaries int
	Consume   decimal.Decimal
	// Checksum is the SHA-256 of "record_id|amount|official_amount" lines
	// sorted by record_id; "" when unknown (a truth has no record IDs).
	Checksum string
}

// equal compares a and b; a Checksum is compared only when both have one.
func (a monthState) equal(b monthState) bool {
	return a.diff(b) == ""
}

// diff describes how b differs from a, or "" when they are equal.
func (a monthState) diff(b monthState) string {
	var d []string
	if a.Records != b.Records {
		d = append(d, fmt.Sprintf("records %d != %d", a.Records, b.Records))
	}
	for i := range a.Sums {
		if !a.Sums[i].Equal(b.Sums[i]) {
			d = append(d, fmt.Sprintf("sum(%s) %s != %s", sumNames[i], a.Sums[i], b.Sums[i]))
		}
	}
	if a.Summaries != b.Summaries {
		d = append(d, fmt.Sprintf("summaries %d != %d", a.Summaries, b.Summaries))
	}
	if !a.Consume.Equal(b.Consume) {
		d = append(d, fmt.Sprintf("sum(consume_amount) %s != %s", a.Consume, b.Consume))
	}
	if a.Checksum != "" && b.Checksum != "" && a.Checksum != b.Checksum {
		d = append(d, fmt.Sprintf("checksum %.12s != %.12s", a.Checksum, b.Checksum))
	}
	return strings.Join(d, "; ")
}

func (a monthState) String() string {
	return fmt.Sprintf("{records %d amount %s summaries %d consume %s checksum %.12s}", a.Records, a.Sums[0], a.Summaries, a.Consume, a.Checksum)
}

// expectedMonths returns the truth of every cycle with the checksum of a
// read by the fault-free reader clean (the truth has no record IDs); the
// read must agree with the truth.
func expectedMonths(t testing.TB, sim *bsssim.Server, clean *bss.Client, cycles []string) map[string]monthState {
	t.Helper()
	out := map[string]monthState{}
	for _, cycle := range cycles {
		ref, err := readMonth(context.Background(), clean, cycle)
		if err != nil {
			t.Fatalf("%s: reference read: %v", cycle, err)
		}
		if d := truthState(sim, cycle).diff(ref); d != "" {
			t.Fatalf("%s: reference read differs from truth: %s", cycle, d)
		}
		out[cycle] = ref
	}
	return out
}

// storedMonths returns the stored state of every cycle of testScope.
func storedMonths(t testing.TB, s *sink.Sink, cycles []string) map[string]monthState {
	t.Helper()
	out := map[string]monthState{}
	for _, cycle := range cycles {
		st, err := storedMonth(context.Background(), s, testScope, cycle)
		if err != nil {
			t.Fatalf("%s: stored month: %v", cycle, err)
		}
		out[cycle] = st
	}
	return out
}

// truthState is the simulator's truth for the master's method=all view.
func truthState(sim interface {
	Truth(scope, cycle string) bsssim.Truth
}, cycle string) monthState {
	tr := sim.Truth("", cycle)
	st := monthState{Records: tr.Records, Summaries: len(tr.MonthlySums)}
	st.Sums = [11]decimal.Decimal{tr.Amount, tr.OfficialAmount, tr.DiscountAmount, tr.CashAmount, tr.CreditAmount, tr.CouponAmount,
		tr.FlexipurchaseCouponAmount, tr.StoredCardAmount, tr.BonusAmount, tr.DebtAmount, tr.AdjustmentAmount}
	for _, ms := range tr.MonthlySums {
		st.Consume = st.Consume.Add(ms.ConsumeAmount)
	}
	return st
}

// checksum hashes lines after sorting them.
func checksum(lines []string) string {
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readMonth reads one month through the client exactly as the bills job does
// (method=all, zero lines included) and returns its state. It fails on
// duplicate record IDs.
func readMonth(ctx context.Context, c *bss.Client, cycle string) (monthState, error) {
	m, err := bss.ParseMonth(cycle)
	if err != nil {
		return monthState{}, err
	}
	var st monthState
	seen := make(map[string]bool)
	var lines []string
	for r, err := range c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: m, StatisticType: bss.StatisticItemised, Method: bss.MethodAll, IncludeZero: true}) {
		if err != nil {
			return st, err
		}
		if seen[r.ID] {
			return st, fmt.Errorf("duplicate record %s", r.ID)
		}
		seen[r.ID] = true
		st.Records++
		for i, v := range []decimal.Decimal{r.Amount, r.OfficialAmount, r.DiscountAmount, r.CashAmount, r.CreditAmount, r.CouponAmount,
			r.FlexipurchaseCouponAmount, r.StoredCardAmount, r.BonusAmount, r.DebtAmount, r.AdjustmentAmount} {
			st.Sums[i] = st.Sums[i].Add(v)
		}
		lines = append(lines, r.ID+"|"+r.Amount.String()+"|"+r.OfficialAmount.String())
	}
	for s, err := range c.MonthlySums(ctx, bss.MonthlySumOptions{Cycle: m, Method: bss.MethodAll}) {
		if err != nil {
			return st, err
		}
		st.Summaries++
		st.Consume = st.Consume.Add(s.ConsumeAmount)
	}
	st.Checksum = checksum(lines)
	return st, nil
}

// storedMonth reads one stored (scope, month) from the sink, without FINAL.
func storedMonth(ctx context.Context, s *sink.Sink, scope, cycle string) (monthState, error) {
	var st monthState
	db := s.Database()
	where := fmt.Sprintf("scope = '%s' AND bill_cycle = toDate('%s-01')", scope, cycle)
	cols := make([]string, 0, len(sumNames)+2)
	cols = append(cols, "count()", "uniqExact(record_id)")
	for _, n := range sumNames {
		cols = append(cols, "toString(sum("+n+"))")
	}
	res, err := s.Query(ctx, fmt.Sprintf("SELECT %s FROM %s.cost_records WHERE %s", strings.Join(cols, ", "), db, where))
	if err != nil {
		return st, err
	}
	r := res.Rows[0]
	if _, err := fmt.Sscan(r[0], &st.Records); err != nil {
		return st, err
	}
	if r[0] != r[1] {
		return st, fmt.Errorf("cost_records %s/%s: %s rows but %s distinct record_id", scope, cycle, r[0], r[1])
	}
	for i := range sumNames {
		if st.Sums[i], err = decimal.NewFromString(r[i+2]); err != nil {
			return st, err
		}
	}
	res, err = s.Query(ctx, fmt.Sprintf("SELECT count(), toString(sum(consume_amount)) FROM %s.bill_summaries WHERE %s", db, where))
	if err != nil {
		return st, err
	}
	if _, err := fmt.Sscan(res.Rows[0][0], &st.Summaries); err != nil {
		return st, err
	}
	if st.Consume, err = decimal.NewFromString(res.Rows[0][1]); err != nil {
		return st, err
	}
	res, err = s.Query(ctx, fmt.Sprintf("SELECT record_id, amount, official_amount FROM %s.cost_records WHERE %s ORDER BY record_id", db, where))
	if err != nil {
		return st, err
	}
	lines := make([]string, 0, len(res.Rows))
	for _, row := range res.Rows {
		// Re-render the decimals the way the client side does.
		amount, err := decimal.NewFromString(row[1])
		if err != nil {
			return st, err
		}
		official, err := decimal.NewFromString(row[2])
		if err != nil {
			return st, err
		}
		lines = append(lines, row[0]+"|"+amount.String()+"|"+official.String())
	}
	st.Checksum = checksum(lines)
	return st, nil
}

// testLogger logs to t at debug level, so failures show what happened.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
