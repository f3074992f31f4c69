package bss_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// simNow is the simulator's (and the signer's) clock: 2024-05 is closed.
var simNow = time.Date(2024, 6, 20, 4, 0, 0, 0, time.UTC)

const simCycle = "2024-05"

func startSim(t testing.TB, cfg bsssim.Config) *bsssim.Server {
	t.Helper()
	cfg.Now = func() time.Time { return simNow }
	if cfg.Scale.RecordsPerMonth == 0 {
		cfg.Scale = bsssim.Scale{Members: 4, Months: 2, RecordsPerMonth: 700}
	}
	srv, err := bsssim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func simClient(t testing.TB, srv *bsssim.Server, cfg bss.Config, opts ...bss.Option) *bss.Client {
	t.Helper()
	cfg.Endpoint = srv.URL
	master := srv.Master()
	creds := bss.Credentials{AK: bss.Secret(master.AK), SK: bss.Secret(master.SK), DomainID: master.ID}
	if master.AK == "" {
		cfg := srv.Config()
		creds = bss.Credentials{AK: bss.Secret(cfg.AK), SK: bss.Secret(cfg.SK), DomainID: cfg.DomainID}
	}
	c, err := bss.NewClient(cfg, creds, append([]bss.Option{bss.WithClock(func() time.Time { return simNow })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// totals sums every money field of the records.
type totals struct {
	n                                                                                 int
	official, discount, amount, cash, credit, coupon, flexi, stored, bonus, debt, adj decimal.Decimal
	perCustomer                                                                       map[string]int
}

func sumRecords(t *testing.T, seq func(func(bss.ResourceRecord, error) bool)) (totals, error) {
	t.Helper()
	tot := totals{perCustomer: map[string]int{}}
	seen := map[string]bool{}
	for r, err := range seq {
		if err != nil {
			return tot, err
		}
		if r.ID == "" || seen[r.ID] {
			t.Fatalf("record %d: empty or duplicate ID %q", tot.n, r.ID)
		}
		seen[r.ID] = true
		tot.n++
		tot.perCustomer[r.CustomerID]++
		tot.official = tot.official.Add(r.OfficialAmount)
		tot.discount = tot.discount.Add(r.DiscountAmount)
		tot.amount = tot.amount.Add(r.Amount)
		tot.cash = tot.cash.Add(r.CashAmount)
		tot.credit = tot.credit.Add(r.CreditAmount)
		tot.coupon = tot.coupon.Add(r.CouponAmount)
		tot.flexi = tot.flexi.Add(r.FlexipurchaseCouponAmount)
		tot.stored = tot.stored.Add(r.StoredCardAmount)
		tot.bonus = tot.bonus.Add(r.BonusAmount)
		tot.debt = tot.debt.Add(r.DebtAmount)
		tot.adj = tot.adj.Add(r.AdjustmentAmount)
	}
	return tot, nil
}

func checkTruth(t *testing.T, got totals, want bsssim.Truth) {
	t.Helper()
	if got.n != want.Records {
		t.Errorf("records = %d, want total_count %d", got.n, want.Records)
	}
	for _, c := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"official", got.official, want.OfficialAmount}, {"discount", got.discount, want.DiscountAmount},
		{"amount", got.amount, want.Amount}, {"cash", got.cash, want.CashAmount}, {"credit", got.credit, want.CreditAmount},
		{"coupon", got.coupon, want.CouponAmount}, {"flexipurchase", got.flexi, want.FlexipurchaseCouponAmount},
		{"stored card", got.stored, want.StoredCardAmount}, {"bonus", got.bonus, want.BonusAmount},
		{"debt", got.debt, want.DebtAmount}, {"adjustment", got.adj, want.AdjustmentAmount},
	} {
		if !c.got.Equal(c.want) {
			t.Errorf("sum %s = %s, want %s", c.name, c.got, c.want)
		}
	}
	for id, pc := range want.PerCustomer {
		if got.perCustomer[id] != pc.Records {
			t.Errorf("customer %s: %d records, want %d", id, got.perCustomer[id], pc.Records)
		}
	}
}

func TestSimPagingExact(t *testing.T) {
	srv := startSim(t, bsssim.Config{})
	c := simClient(t, srv, bss.Config{})
	ctx := context.Background()
	var calls atomic.Int64
	cycle, _ := bss.ParseMonth(simCycle)
	truth := srv.Truth("", simCycle)
	if truth.Records <= 2000 {
		t.Fatalf("scale too small to page: %d records", truth.Records)
	}
	got, err := sumRecords(t, c.ResourceRecords(bss.WithCallCounter(ctx, &calls), bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}))
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, got, truth)
	if want := int64((truth.Records + 999) / 1000); calls.Load() != want {
		t.Errorf("%d calls, want %d pages", calls.Load(), want)
	}

	// One member alone.
	for _, a := range srv.Accounts()[1:] {
		if a.Independent && !a.Authorized {
			continue
		}
		got, err := sumRecords(t, c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true, Method: bss.MethodSubCustomer, SubCustomerID: a.ID}))
		if err != nil {
			t.Fatal(err)
		}
		checkTruth(t, got, srv.Truth(a.ID, simCycle))
		break
	}

	// Monthly summary rows match the truth exactly.
	var rows []bss.MonthlySum
	for r, err := range c.MonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle}) {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != len(truth.MonthlySums) {
		t.Fatalf("%d summary rows, want %d", len(rows), len(truth.MonthlySums))
	}
	for i, r := range rows {
		w := truth.MonthlySums[i]
		if r.CustomerID != w.CustomerID || r.ServiceTypeCode != w.ServiceTypeCode || r.ResourceTypeCode != w.ResourceTypeCode ||
			r.ChargingMode != w.ChargingMode || r.BillType != w.BillType || r.BillCycle.String() != w.BillCycle ||
			!r.ConsumeAmount.Equal(w.ConsumeAmount) || !r.OfficialAmount.Equal(w.OfficialAmount) ||
			!r.TruncatedAmount.Equal(w.TruncatedAmount) || !r.CashAmount.Equal(w.CashAmount) || !r.DebtAmount.Equal(w.DebtAmount) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, r, w)
		}
	}
}

func TestSimOtherEndpoints(t *testing.T) {
	srv := startSim(t, bsssim.Config{})
	c := simClient(t, srv, bss.Config{})
	ctx := context.Background()
	b, err := c.Balances(ctx)
	if err != nil || len(b.Accounts) == 0 || b.Currency != "CNY" {
		t.Fatalf("balances %+v %v", b, err)
	}
	var ids []string
	for p, err := range c.ResourcePackages(ctx, bss.ResourcePackageOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			ids = append(ids, it.FreeResourceID)
		}
	}
	if len(ids) == 0 {
		t.Fatal("no package items")
	}
	us, err := c.ResourceUsages(ctx, ids)
	if err != nil || len(us) == 0 {
		t.Fatalf("usages %d %v", len(us), err)
	}
	org, err := c.Organizations(ctx)
	if err != nil || org.RootID == "" {
		t.Fatalf("org %+v %v", org, err)
	}
	n := 0
	for _, err := range c.SubCustomers(ctx, bss.SubCustomerOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(srv.Accounts())-1 {
		t.Errorf("%d members, want %d", n, len(srv.Accounts())-1)
	}
	for _, err := range c.ServiceTypes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range c.ResourceTypes(ctx) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if mu, err := c.MeasureUnits(ctx); err != nil || len(mu) == 0 {
		t.Fatalf("measure units %v", err)
	}
}

func TestSimThrottlingRespectsQuota(t *testing.T) {
	srv := startSim(t, bsssim.Config{Quotas: bsssim.DocumentedQuotas()})
	m := bss.NewMetrics()
	c := simClient(t, srv, bss.Config{}, bss.WithMetrics(m)) // default pacing: 30/s records, 10/s others
	ctx := context.Background()
	cycle, _ := bss.ParseMonth(simCycle)
	start := time.Now()
	var wg sync.WaitGroup
	const jobs, perJob = 3, 15
	for range jobs { // three jobs share one client
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perJob {
				if _, _, err := c.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle}, bss.ListOptions{Offset: i * 10, Limit: 10}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 12 {
		if _, err := c.Balances(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	st := srv.Stats()
	rec, bal := st[bsssim.OpResourceRecords], st[bsssim.OpBalances]
	if rec.Throttled != 0 || bal.Throttled != 0 {
		t.Errorf("throttled by the server: records %d, balances %d", rec.Throttled, bal.Throttled)
	}
	if rec.Requests != jobs*perJob || bal.Requests != 12 {
		t.Errorf("requests: records %d balances %d", rec.Requests, bal.Requests)
	}
	if rate := float64(rec.Requests-1) / el; rate > 30.5 {
		t.Errorf("records rate %.1f/s above quota 30", rate)
	}
	// Zero failed calls: no retry was needed.
	if n := testutil.CollectAndCount(m, "syncd_bss_retries_total"); n == 0 {
		t.Error("retries metric missing")
	}
	if v := counterValue(t, m, "syncd_bss_retries_total", bss.OpResourceRecords); v != 0 {
		t.Errorf("%v retries", v)
	}
}

// counterValue reads one operation's series of a counter from m.
func counterValue(t *testing.T, m *bss.Metrics, name, op string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, met := range mf.GetMetric() {
			for _, l := range met.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == op {
					return met.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{operation=%q} not found", name, op)
	return 0
}

func TestSimFaultsStillExact(t *testing.T) {
	srv := startSim(t, bsssim.Config{Faults: bsssim.Faults{
		ServerError: 0.04, GatewayError: 0.03, Throttle: 0.04, Reset: 0.03, Truncate: 0.03, ErrorBody200: 0.03,
	}})
	c := simClient(t, srv, bss.Config{RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond, MaxRetries: 10})
	ctx := context.Background()
	cycle, _ := bss.ParseMonth(simCycle)
	for range 3 {
		got, err := sumRecords(t, c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}))
		if err != nil {
			t.Fatal(err)
		}
		checkTruth(t, got, srv.Truth("", simCycle))
	}
	// Small pages: many more requests through the faults.
	var ids = map[string]bool{}
	amount := decimal.Zero
	truth := srv.Truth("", simCycle)
	for off := 0; off < truth.Records; {
		recs, resp, err := c.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}, bss.ListOptions{Offset: off, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != truth.Records || len(recs) == 0 {
			t.Fatalf("offset %d: total %d, %d records", off, resp.TotalCount, len(recs))
		}
		for _, r := range recs {
			ids[r.ID] = true
			amount = amount.Add(r.Amount)
		}
		off = resp.NextOffset
	}
	if len(ids) != truth.Records || !amount.Equal(truth.Amount) {
		t.Errorf("small pages: %d unique records (want %d), amount %s (want %s)", len(ids), truth.Records, amount, truth.Amount)
	}
	for _, err := range c.MonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		if _, err := c.Balances(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var faults int64
	for _, s := range srv.Stats() {
		faults += s.Faults + s.Throttled
	}
	if faults == 0 {
		t.Error("no faults were injected; the test proves nothing")
	}
	t.Logf("survived %d injected faults", faults)
}

func TestSimDrift(t *testing.T) {
	srv := startSim(t, bsssim.Config{})
	c := simClient(t, srv, bss.Config{})
	ctx := context.Background()
	cycle, _ := bss.ParseMonth(simCycle)
	if err := srv.SetDrift(simCycle, -1); err != nil {
		t.Fatal(err)
	}
	_, err := sumRecords(t, c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}))
	var de *bss.DriftError
	if !errors.As(err, &de) || de.First == de.Last {
		t.Fatalf("err = %v, want *DriftError", err)
	}
	if err := srv.SetDrift(simCycle, 0); err != nil {
		t.Fatal(err)
	}
	got, err := sumRecords(t, c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}))
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, got, srv.Truth("", simCycle))
}

func TestSimFanOutTooManyMembers(t *testing.T) {
	srv := startSim(t, bsssim.Config{})
	srv.SetMaxIndependentForAll(0)
	c := simClient(t, srv, bss.Config{})
	cycle, _ := bss.ParseMonth(simCycle)
	_, _, err := c.ListResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: cycle}, bss.ListOptions{})
	if !bss.HasCode(err, bss.CodeTooManyMembers) {
		t.Fatalf("simulator did not refuse method=all: %v", err)
	}
	got, err := sumRecords(t, c.ResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}))
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, got, srv.Truth("", simCycle))
}

// BenchmarkPagingSim pages a month through the full client stack against
// the in-process simulator (unthrottled).
func BenchmarkPagingSim(b *testing.B) {
	srv := startSim(b, bsssim.Config{Scale: bsssim.Scale{Members: 4, Months: 1, RecordsPerMonth: 2500}})
	c := simClient(b, srv, bss.Config{RateLimit: -1, RecordsRateLimit: -1})
	cycle := bss.MonthOf(simNow)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range c.ResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n)/float64(b.N), "records/op")
}

func TestSimInternationalSite(t *testing.T) {
	srv := startSim(t, bsssim.Config{Site: bsssim.SiteIntl})
	c := simClient(t, srv, bss.Config{Site: bss.SiteInternational})
	if c.Currency() != "USD" {
		t.Fatalf("currency %s", c.Currency())
	}
	cycle, _ := bss.ParseMonth(simCycle)
	n := 0
	for r, err := range c.ResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Currency != "USD" {
			t.Fatalf("record currency %q", r.Currency)
		}
		n++
	}
	if want := srv.Truth("", simCycle).Records; n != want {
		t.Errorf("%d records, want %d", n, want)
	}
	b, err := c.Balances(context.Background())
	if err != nil || b.Currency != "USD" {
		t.Fatalf("balances %+v %v", b, err)
	}
	// The org tree is China-only: a typed error, and no request is sent.
	_, err = c.Organizations(context.Background())
	var ue *bss.UnsupportedError
	if !errors.As(err, &ue) || ue.Operation != bss.OpOrganizations || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("intl Organizations() error = %v, want *bss.UnsupportedError", err)
	}
	if n := srv.RequestCount(bsssim.OpOrganizations); n != 0 {
		t.Errorf("intl Organizations() sent %d requests, want 0", n)
	}
	members := 0
	for _, err := range c.SubCustomers(context.Background(), bss.SubCustomerOptions{}) {
		if err != nil {
			t.Fatalf("intl sub-customers: %v", err)
		}
		members++
	}
	if members == 0 {
		t.Error("intl sub-customers: none listed")
	}
}

// TestSimQuotaBelowPace: when the service's quota is lower than the
// configured pace, 429s are absorbed by backoff and no call fails.
func TestSimQuotaBelowPace(t *testing.T) {
	srv := startSim(t, bsssim.Config{Quotas: map[string]float64{bsssim.OpResourceRecords: 5}})
	m := bss.NewMetrics()
	c := simClient(t, srv, bss.Config{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second}, bss.WithMetrics(m))
	cycle, _ := bss.ParseMonth(simCycle)
	for i := range 12 {
		if _, _, err := c.ListResourceRecords(context.Background(), bss.ResourceRecordOptions{Cycle: cycle}, bss.ListOptions{Offset: i, Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	throttled := srv.Stats()[bsssim.OpResourceRecords].Throttled
	if throttled == 0 {
		t.Fatal("the simulator never throttled; the test proves nothing")
	}
	if got := counterValue(t, m, "syncd_bss_throttled_total", bss.OpResourceRecords); got != float64(throttled) {
		t.Errorf("throttled metric %v, simulator counted %d", got, throttled)
	}
}

// TestSimFanOutMemberList: with a member list (members=each) the client
// reads the master's own records and then each member's; a member that
// refuses access is skipped, so the result is exactly the method=all view,
// for the itemised records and the monthly sums alike.
func TestSimFanOutMemberList(t *testing.T) {
	srv := startSim(t, bsssim.Config{})
	c := simClient(t, srv, bss.Config{})
	ctx := context.Background()
	cycle, _ := bss.ParseMonth(simCycle)
	var members []string
	denied := 0
	for _, a := range srv.Accounts() {
		if a.Master {
			continue
		}
		members = append(members, a.ID)
		if a.Independent && !a.Authorized {
			denied++
		}
	}
	if len(members) < 2 || denied == 0 {
		t.Fatalf("tenant needs members and one that denies access: %d members, %d denied", len(members), denied)
	}
	got, err := sumRecords(t, c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, Method: bss.MethodOneself, Members: members, IncludeZero: true}))
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, got, srv.Truth("", simCycle))
	each, err := drain(c.MonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle, Method: bss.MethodOneself, Members: members}))
	if err != nil {
		t.Fatal(err)
	}
	all, err := drain(c.MonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle}))
	if err != nil {
		t.Fatal(err)
	}
	if len(each) != len(all) || sumSums(each) != sumSums(all) {
		t.Errorf("monthly sums by member list: %d rows, %s; method=all: %d rows, %s", len(each), sumSums(each), len(all), sumSums(all))
	}
	// A member list only makes sense as "the master, then each member".
	for _, m := range []bss.Method{"", bss.MethodAll} {
		_, err := drain(c.ResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, Method: m, Members: members}))
		if err == nil || !strings.Contains(err.Error(), "member list needs method") {
			t.Errorf("method %q with a member list: err = %v", m, err)
		}
	}
	if _, _, err := c.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, Method: bss.MethodOneself, Members: members}, bss.ListOptions{}); err == nil {
		t.Error("one page with a member list: no error")
	}
}

func sumSums(rows []bss.MonthlySum) string {
	var s decimal.Decimal
	for _, r := range rows {
		s = s.Add(r.ConsumeAmount)
	}
	return s.String()
}

func drain[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
