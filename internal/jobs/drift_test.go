package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func TestMain(m *testing.M) { sinktest.Main(m) }

// driftNow is the fixed clock of the failing-month tests: mid-month, so the
// previous month is final.
var driftNow = time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)

// monthRig is the bills job as the program wires it (look-ups first, a
// RunLog on the sink, the sink's integrity and coverage stores) against a
// simulator with one month of bills and no members (method=oneself), and a
// real sink on the server engine.
type monthRig struct {
	sim     *bsssim.Simulator
	sink    *sink.Sink
	metrics *Metrics
	bills   *Bills
	lookups *Lookups
}

func newMonthRig(t *testing.T) *monthRig {
	t.Helper()
	return newMonthRigWith(t, bsssim.Scale{Members: -1, Months: 1, RecordsPerMonth: 2500}, bss.SiteChina)
}

// newMonthRigWith is newMonthRig with another simulator scale, or the
// client of another site.
func newMonthRigWith(t *testing.T, scale bsssim.Scale, site bss.Site) *monthRig {
	t.Helper()
	now := func() time.Time { return driftNow }
	sim := bsssim.New(bsssim.Config{Now: now, Scale: scale})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/", Site: site},
		bss.Credentials{AK: bss.Secret(bsssim.DemoAK), SK: bss.Secret(bsssim.DemoSK), DomainID: bsssim.DemoDomainID}, bss.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	s, err := sink.Open(ctx, sinktest.Config(t, sink.EngineServer), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	accounts := []Account{{Scope: "acme", CustomerID: bsssim.DemoDomainID, Source: client, Members: MembersNone, FinalDay: 3}}
	noMembers := func(context.Context, string) ([]string, error) { return nil, nil }
	m := NewMetrics()
	m.Init([]string{JobLookups, JobBills}, []string{"acme"})
	runs := &RunLog{Store: s}
	names := &Names{}
	return &monthRig{
		sim: sim, sink: s, metrics: m,
		lookups: &Lookups{Accounts: accounts, Names: names, Runs: runs, Metrics: m, Logger: logger, Now: now},
		bills: &Bills{
			Accounts: accounts, Store: SinkMonths{Sink: s}, Runs: runs, Names: names, Metrics: m, Logger: logger,
			Members: noMembers, Now: now, Attempts: 3, FinalHour: 10, RecheckMonths: 3, Integrity: s,
			Coverage: &Coverage{Accounts: accounts, Members: noMembers, Logger: logger, Now: now}, Covered: s,
		},
	}
}

// sync runs the look-ups and then fn through the Runner, as `syncd sync
// --job bills` does.
func (r *monthRig) sync(ctx context.Context, fn RunFunc, w Window) error {
	runner := &Runner{Logger: slog.New(slog.DiscardHandler), Metrics: r.metrics, Now: r.bills.Now}
	if o := runner.Run(ctx, JobLookups, 0, r.lookups.Run, w); o.Err != nil {
		return fmt.Errorf("%s: %w", JobLookups, o.Err)
	}
	if o := runner.Run(ctx, JobBills, 0, fn, w); o.Err != nil {
		return fmt.Errorf("%s: %w", JobBills, o.Err)
	}
	return nil
}

func (r *monthRig) query(t *testing.T, q string) [][]string {
	t.Helper()
	res, err := r.sink.Query(context.Background(), strings.ReplaceAll(q, "DB.", r.sink.Database()+"."))
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return res.Rows
}

// fingerprint sums up the stored bills and the org tables, to see that a
// failed month changed nothing.
func (r *monthRig) fingerprint(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT toString(bill_cycle), count(), toString(sum(amount)), toString(groupBitXor(cityHash64(record_id, toString(amount), toString(cash_amount)))) FROM DB.cost_records GROUP BY bill_cycle ORDER BY bill_cycle`,
		`SELECT toString(bill_cycle), count(), toString(sum(consume_amount)) FROM DB.bill_summaries GROUP BY bill_cycle ORDER BY bill_cycle`,
		`SELECT count() FROM DB.org_units`,
		`SELECT count() FROM DB.accounts`,
	} {
		fmt.Fprintln(&b, r.query(t, q))
	}
	return b.String()
}

// gauge sums the series of a gauge family of the rig's metrics.
func (r *monthRig) gauge(t *testing.T, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(r.metrics.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			total := 0.0
			for _, m := range mf.GetMetric() {
				total += m.GetGauge().GetValue()
			}
			return total
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// checkBills compares every month the simulator has with the stored months,
// to the last decimal.
func (r *monthRig) checkBills(t *testing.T) {
	t.Helper()
	dec := func(s string) decimal.Decimal {
		d, err := decimal.NewFromString(s)
		if err != nil {
			t.Fatalf("decimal %q: %v", s, err)
		}
		return d
	}
	for _, cycle := range r.sim.Months() {
		truth := r.sim.Truth("", cycle)
		rows := r.query(t, fmt.Sprintf(`SELECT count(), toString(sum(amount)), toString(sum(official_amount)), toString(sum(discount_amount)),
			toString(sum(cash_amount)), toString(sum(credit_amount)), toString(sum(coupon_amount)), toString(sum(flexipurchase_coupon_amount)),
			toString(sum(stored_card_amount)), toString(sum(bonus_amount)), toString(sum(debt_amount)), toString(sum(adjustment_amount)),
			uniqExact(record_id), countIf(scope != 'acme')
			FROM DB.cost_records WHERE bill_cycle = toDate('%s-01')`, cycle))
		row := rows[0]
		if got := row[0]; got != fmt.Sprint(truth.Records) || row[12] != row[0] || row[13] != "0" {
			t.Errorf("%s: cost_records count = %s (unique ids %s, foreign scope %s), want %d", cycle, got, row[12], row[13], truth.Records)
		}
		for i, want := range []decimal.Decimal{truth.Amount, truth.OfficialAmount, truth.DiscountAmount, truth.CashAmount, truth.CreditAmount,
			truth.CouponAmount, truth.FlexipurchaseCouponAmount, truth.StoredCardAmount, truth.BonusAmount, truth.DebtAmount, truth.AdjustmentAmount} {
			if got := dec(row[i+1]); !got.Equal(want) {
				t.Errorf("%s: cost_records sum #%d = %s, want %s", cycle, i+1, got, want)
			}
		}
		srows := r.query(t, fmt.Sprintf(`SELECT count(), toString(sum(consume_amount)) FROM DB.bill_summaries WHERE bill_cycle = toDate('%s-01')`, cycle))
		wantConsume := decimal.Zero
		for _, ms := range truth.MonthlySums {
			wantConsume = wantConsume.Add(ms.ConsumeAmount)
		}
		if srows[0][0] != fmt.Sprint(len(truth.MonthlySums)) || !dec(srows[0][1]).Equal(wantConsume) {
			t.Errorf("%s: bill_summaries = %v rows, consume %s; want %d, %s", cycle, srows[0][0], srows[0][1], len(truth.MonthlySums), wantConsume)
		}
	}
}

// TestBillsDriftKeepsMonth: a month whose total_count never settles is
// retried a bounded number of times, then the stored month is kept, the run
// fails, the unstable gauge counts it and sync_runs records the failure.
// When the month settles again the next run replaces it.
func TestBillsDriftKeepsMonth(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	cycle := bss.MonthOf(driftNow).String()
	w := Window{From: bss.MonthOf(driftNow), To: bss.MonthOf(driftNow)}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatal(err)
	}
	before := r.fingerprint(t)

	if err := r.sim.SetDrift(cycle, -1); err != nil {
		t.Fatal(err)
	}
	calls := r.sim.RequestCount(bsssim.OpResourceRecords)
	err := r.sync(ctx, r.bills.Run, w)
	if err == nil || !strings.Contains(err.Error(), "kept drifting in 3 attempts") {
		t.Fatalf("Sync with a drifting month = %v, want a drift error after 3 attempts", err)
	}
	if got := r.sim.RequestCount(bsssim.OpResourceRecords) - calls; got < 3 {
		t.Errorf("resource record requests = %d, want at least one per attempt (3)", got)
	}
	if got := r.fingerprint(t); got != before {
		t.Errorf("a failed month changed the tables:\nbefore %s\nafter  %s", before, got)
	}
	if got := r.gauge(t, "syncd_bills_unstable_months"); got != 1 {
		t.Errorf("syncd_bills_unstable_months = %v, want 1", got)
	}
	// The fixed test clock gives every row the same finished_at: count.
	rows := r.query(t, `SELECT countIf(status = 'failure'), countIf(status = 'failure' AND position(error, 'drift') > 0) FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs failures (all, mentioning drift) = %v, want 1 1", rows[0])
	}

	if err := r.sim.SetDrift(cycle, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatalf("Sync after the month settled: %v", err)
	}
	if got := r.gauge(t, "syncd_bills_unstable_months"); got != 0 {
		t.Errorf("syncd_bills_unstable_months = %v after a stable run, want 0", got)
	}
	r.checkBills(t)
}

// TestInterruptedMonthKept cancels a bills run in the middle of a month (as
// SIGTERM does) and checks that the stored month is exactly as before.
func TestInterruptedMonthKept(t *testing.T) {
	r := newMonthRig(t)
	ctx := context.Background()
	cur := bss.MonthOf(driftNow)
	w := Window{From: cur, To: cur}
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatal(err)
	}
	before := r.fingerprint(t)
	if _, err := r.sim.Reissue(cur.String()); err != nil {
		t.Fatal(err)
	}
	r.sim.SetFaults(bsssim.Faults{Latency: 300 * time.Millisecond, Operations: []string{bsssim.OpResourceRecords}})
	cctx, cancel := context.WithTimeout(ctx, 450*time.Millisecond) // after the first page, before the last
	defer cancel()
	if err := r.bills.Run(cctx, w); err == nil {
		t.Fatal("interrupted bills run succeeded")
	}
	if got := r.fingerprint(t); got != before {
		t.Errorf("an interrupted run changed the month:\nbefore %s\nafter  %s", before, got)
	}
	rows := r.query(t, `SELECT countIf(status = 'failure'), countIf(status = 'success') FROM DB.sync_runs WHERE job = 'bills'`)
	if rows[0][0] != "1" || rows[0][1] != "1" {
		t.Errorf("sync_runs for bills (failures, successes) = %v, want the interrupted run recorded as a failure: 1 1", rows[0])
	}
	r.sim.SetFaults(bsssim.Faults{})
	if err := r.sync(ctx, r.bills.Run, w); err != nil {
		t.Fatalf("the next run: %v", err)
	}
	r.checkBills(t)
}
