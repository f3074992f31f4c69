package bsssim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestThrottleRate(t *testing.T) {
	cfg := testConfig()
	cfg.Quotas = map[string]float64{OpBalances: 5}
	cfg.Faults.RetryAfter = true
	srv, c := newTestServer(t, cfg)
	start := time.Now()
	ok, throttled := 0, 0
	for time.Since(start) < 1200*time.Millisecond {
		r := c.get("/v2/accounts/customer-accounts/balances", "")
		switch r.status {
		case 200:
			ok++
		case 429:
			throttled++
			if r.code(t) != "APIG.0308" || !strings.Contains(string(r.body), "limit:5,time:1 second") || r.header.Get("Retry-After") != "1" {
				t.Fatalf("429 answer: %v %s", r.header, r.body)
			}
		default:
			t.Fatalf("status %d %s", r.status, r.body)
		}
	}
	elapsed := time.Since(start).Seconds()
	if max := 5 + 5*elapsed + 1; float64(ok) > max || ok < 5 || throttled == 0 {
		t.Fatalf("%d accepted, %d throttled in %.2fs (max %.1f)", ok, throttled, elapsed, max)
	}
	st := srv.Stats()[OpBalances]
	if st.OK != int64(ok) || st.Throttled != int64(throttled) || st.Requests != int64(ok+throttled) {
		t.Fatalf("stats %+v, counted ok %d throttled %d", st, ok, throttled)
	}
	// Other operations get 10/s by default, but res-fee-records is separate.
	if r := c.get(resFee, "cycle=2024-05&limit=1"); r.status != 200 {
		t.Fatalf("other operation throttled: %d", r.status)
	}
	// 0 = off at runtime.
	srv.SetQuota(OpBalances, 0)
	for i := 0; i < 20; i++ {
		if r := c.get("/v2/accounts/customer-accounts/balances", ""); r.status != 200 {
			t.Fatalf("unthrottled: %d", r.status)
		}
	}
}

func TestFaults(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	count := func(n int) map[int]int {
		out := map[int]int{}
		for i := 0; i < n; i++ {
			out[c.get(resFee, "cycle=2024-05&limit=5").status]++
		}
		return out
	}
	srv.SetFaults(Faults{ServerError: 0.3, GatewayError: 0.2})
	got := count(400)
	if got[500] < 80 || got[500] > 160 || got[502]+got[504] < 40 || got[502]+got[504] > 120 || got[200] < 150 {
		t.Fatalf("5xx rates: %v", got)
	}
	srv.SetFaults(Faults{GatewayError: 1})
	if r := c.get(resFee, "cycle=2024-05"); (r.status != 502 && r.status != 504) || !strings.HasPrefix(r.code(t), "APIG.") {
		t.Fatalf("gateway: %d %s", r.status, r.body)
	}
	srv.SetFaults(Faults{ErrorBody200: 1})
	if r := c.get(resFee, "cycle=2024-05"); r.status != 200 || r.code(t) != "CBC.0999" {
		t.Fatalf("200 with error body: %d %s", r.status, r.body)
	}
	srv.SetFaults(Faults{Throttle: 1, RetryAfter: true})
	if r := c.get(resFee, "cycle=2024-05"); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("throttle fault: %d", r.status)
	}
	// Faults limited to one operation.
	srv.SetFaults(Faults{ServerError: 1, Operations: []string{OpBalances}})
	if r := c.get(resFee, "cycle=2024-05"); r.status != 200 {
		t.Fatalf("fault leaked to another operation: %d", r.status)
	}
	if r := c.get("/v2/accounts/customer-accounts/balances", ""); r.status != 500 {
		t.Fatalf("fault not applied: %d", r.status)
	}
	// Latency.
	srv.SetFaults(Faults{Latency: 80 * time.Millisecond})
	start := time.Now()
	c.get(resFee, "cycle=2024-05&limit=1")
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Fatalf("latency %v", d)
	}
	// Resets and truncated bodies are transport-level failures.
	for _, f := range []Faults{{Reset: 1}, {Truncate: 1}} {
		srv.SetFaults(f)
		req, _ := http.NewRequest(http.MethodGet, c.base+resFee+"?cycle=2024-05&limit=100", nil)
		req.Header.Set("X-Domain-Id", c.domain)
		signRequest(req, nil, c.ak, c.sk, fixedNow)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		if err == nil {
			t.Fatalf("%+v: no transport error", f)
		}
		if f.Truncate > 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncate: %v", err)
		}
	}
	srv.SetFaults(Faults{})
	if st := srv.Stats()[OpResourceRecords]; st.Faults == 0 || st.Requests == 0 {
		t.Fatalf("stats %+v", st)
	}
	if r := c.get(resFee, "cycle=2024-05&limit=1"); r.status != 200 {
		t.Fatalf("after faults: %d", r.status)
	}
}

func recordsByID(t *testing.T, c *client, cycle string) map[string]feeRec {
	t.Helper()
	raws, _ := c.pageAll(url.Values{"cycle": {cycle}, "include_zero_record": {"true"}}, 1000)
	out := make(map[string]feeRec, len(raws))
	for _, raw := range raws {
		var r feeRec
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[r.ID]; dup {
			t.Fatalf("duplicate id %s", r.ID)
		}
		out[r.ID] = r
	}
	return out
}

func TestReissue(t *testing.T) {
	cfg := testConfig()
	cfg.Scale.RecordsPerMonth = 2000
	srv, c := newTestServer(t, cfg)
	const cycle = "2024-04"
	before := recordsByID(t, c, cycle)
	t0 := srv.Truth("", cycle)
	v, err := srv.Reissue(cycle)
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	after := recordsByID(t, c, cycle)
	t1 := srv.Truth("", cycle)
	if len(after) != t1.Records || len(before) != t0.Records {
		t.Fatalf("paged %d/%d, truth %d/%d", len(before), len(after), t0.Records, t1.Records)
	}
	var removed, changed, added, kept int
	for id, r := range before {
		a, ok := after[id]
		if !ok {
			removed++
			continue
		}
		kept++
		if !a.Amount.Equal(r.Amount) || !a.OfficialAmount.Equal(r.OfficialAmount) {
			changed++
		}
	}
	var sum decimal.Decimal
	for id, r := range after {
		if _, ok := before[id]; !ok {
			added++
			if !strings.Contains(id, "-L") {
				t.Fatalf("new line %s is not a late line", id)
			}
		}
		sum = sum.Add(r.Amount)
	}
	n := float64(len(before))
	if float64(removed) < 0.015*n || float64(removed) > 0.025*n || float64(changed) < 0.03*float64(kept) ||
		float64(changed) > 0.07*float64(kept) || added == 0 {
		t.Fatalf("removed %d changed %d added %d of %d", removed, changed, added, len(before))
	}
	if !sum.Equal(t1.Amount) || t1.Amount.Equal(t0.Amount) {
		t.Fatalf("after re-issue: paged %s truth %s (before %s)", sum, t1.Amount, t0.Amount)
	}
	// Deterministic by version: back to 0 gives the original bills.
	if err := srv.SetVersion(cycle, 0); err != nil {
		t.Fatal(err)
	}
	if again := srv.Truth("", cycle); !again.Amount.Equal(t0.Amount) || again.Records != t0.Records {
		t.Fatal("version 0 differs from the original")
	}
	// Monthly sums follow the re-issue.
	if err := srv.SetVersion(cycle, 1); err != nil {
		t.Fatal(err)
	}
	var ms struct {
		ConsumeAmount decimal.Decimal `json:"consume_amount"`
	}
	c.get("/v2/bills/customer-bills/monthly-sum", "bill_cycle="+cycle+"&limit=1000").decode(t, &ms)
	if !ms.ConsumeAmount.Equal(t1.Amount) {
		t.Fatalf("monthly sum %s after re-issue, itemised %s", ms.ConsumeAmount, t1.Amount)
	}
}

func TestDrift(t *testing.T) {
	srv, c := newTestServer(t, testConfig())
	const cycle = "2024-05"
	truth := srv.Truth("", cycle)
	total := func() int {
		var p feePage
		c.get(resFee, "cycle="+cycle+"&limit=1").decode(t, &p)
		return p.TotalCount
	}
	if err := srv.SetDrift(cycle, 3); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i := 0; i < 3; i++ {
		n := total()
		if n == truth.Records {
			t.Fatalf("read %d during drift saw the settled total", i)
		}
		seen[n] = true
	}
	if len(seen) < 2 {
		t.Fatalf("drift did not vary: %v", seen)
	}
	for i := 0; i < 3; i++ {
		if n := total(); n != truth.Records {
			t.Fatalf("after settling: %d, truth %d", n, truth.Records)
		}
	}
	if err := srv.SetDrift(cycle, -1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if total() == truth.Records {
			t.Fatal("never-settling drift settled")
		}
	}
	if err := srv.SetDrift(cycle, 0); err != nil {
		t.Fatal(err)
	}
	if total() != truth.Records {
		t.Fatal("drift off")
	}
}

func TestMonthClose(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC).Unix())
	cfg := testConfig()
	cfg.Now = func() time.Time { return time.Unix(now.Load(), 0).UTC() }
	srv, _ := newTestServer(t, cfg)
	t1 := srv.Truth("", "2024-06")
	now.Add(86400)
	t2 := srv.Truth("", "2024-06")
	if t2.Records <= t1.Records {
		t.Fatalf("open month did not grow: %d -> %d", t1.Records, t2.Records)
	}
	if srv.MonthClosed("2024-06") || !srv.MonthClosed("2024-04") {
		t.Fatal("month states wrong")
	}
	if !srv.MonthClosed("2024-05") {
		t.Fatal("2024-05 is still open after 10:00 UTC+8 on 3 June")
	}
	if err := srv.CloseMonth("2024-06"); err != nil {
		t.Fatal(err)
	}
	now.Add(3 * 86400)
	t3 := srv.Truth("", "2024-06")
	if t3.Records != t2.Records || !t3.Amount.Equal(t2.Amount) || !srv.MonthClosed("2024-06") {
		t.Fatalf("closed month changed: %d -> %d", t2.Records, t3.Records)
	}
	now.Store(time.Date(2024, 7, 20, 0, 0, 0, 0, time.UTC).Unix())
	if t5 := srv.Truth("", "2024-06"); t5.Records != t2.Records {
		t.Fatalf("closed month changed after the month ended: %d -> %d", t2.Records, t5.Records)
	}
	if _, err := srv.Reissue("2024-06"); err != nil {
		t.Fatal(err)
	}
	if t4 := srv.Truth("", "2024-06"); t4.Amount.Equal(t3.Amount) {
		t.Fatal("re-issue of a closed month had no effect")
	}
	// Months outside the history window and in the future are empty.
	if tr := srv.Truth("", "2023-01"); tr.Records != 0 {
		t.Fatal("data before the window")
	}
	if tr := srv.Truth("", "2024-08"); tr.Records != 0 {
		t.Fatal("data in the future")
	}
}

// TestLargeMonthPaging checks that a page deep into a month of millions of
// lines is served quickly and without materialising the month.
func TestLargeMonthPaging(t *testing.T) {
	cfg := testConfig()
	cfg.Scale = Scale{Members: -1, RecordsPerMonth: 3000000}
	cfg.Quotas = nil
	_, c := newTestServer(t, cfg)
	var p feePage
	c.get(resFee, "cycle=2024-04&limit=1").decode(t, &p)
	if p.TotalCount < 2000000 {
		t.Fatalf("total %d", p.TotalCount)
	}
	start := time.Now()
	r := c.get(resFee, "cycle=2024-04&limit=1000&offset="+itoa(p.TotalCount-1000))
	if d := time.Since(start); r.status != 200 || d > 2*time.Second {
		t.Fatalf("deep page: %d in %v", r.status, d)
	}
	var page feePage
	r.decode(t, &page)
	if len(page.FeeRecords) != 1000 {
		t.Fatalf("deep page has %d records", len(page.FeeRecords))
	}
}

func TestLanguageAndLookups(t *testing.T) {
	_, c := newTestServer(t, testConfig())
	c.headers = map[string]string{"X-Language": "en_us"}
	r := c.get("/v2/products/service-types", "limit=1000")
	if !strings.Contains(string(r.body), "Elastic Cloud Server") {
		t.Fatalf("en_us: %s", r.body)
	}
	c.headers = map[string]string{"X-Language": "zh_CN"}
	r = c.get("/v2/products/service-types", "limit=1000")
	if !strings.Contains(string(r.body), "弹性云服务器") {
		t.Fatalf("zh_CN: %s", r.body)
	}
	// Every code used in bills resolves in the look-ups.
	var st struct {
		ServiceTypes []struct {
			Code string `json:"service_type_code"`
		} `json:"service_types"`
	}
	r.decode(t, &st)
	known := map[string]bool{}
	for _, s := range st.ServiceTypes {
		known[s.Code] = true
	}
	raws, _ := c.pageAll(url.Values{"cycle": {"2024-05"}}, 1000)
	for _, raw := range raws {
		var rec feeRec
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		if !known[rec.CloudServiceType] {
			t.Fatalf("unknown service %s", rec.CloudServiceType)
		}
	}
}

func TestRequestLog(t *testing.T) {
	cfg := testConfig()
	cfg.LogRequests = 100
	srv, c := newTestServer(t, cfg)
	c.get(resFee, "cycle=2024-05&limit=3")
	c.get("/v2/nope", "")
	bad := *c
	bad.sk = "x"
	bad.get("/v2/accounts/customer-accounts/balances", "")
	srv.SetFaults(Faults{Reset: 1})
	req, _ := http.NewRequest(http.MethodGet, c.base+resFee+"?cycle=2024-05", nil)
	req.Header.Set("X-Domain-Id", c.domain)
	signRequest(req, nil, c.ak, c.sk, fixedNow)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("reset fault answered")
	}
	srv.SetFaults(Faults{})
	log := srv.Requests()
	// Go's transport silently retries an idempotent request once when a
	// reused connection is reset, so the reset may be logged twice.
	if len(log) != 4 && len(log) != 5 {
		t.Fatalf("%d entries: %+v", len(log), log)
	}
	want := []struct {
		op      string
		status  int
		account string
	}{{OpResourceRecords, 200, DemoDomainID}, {"", 404, ""}, {OpBalances, 401, ""}, {OpResourceRecords, 0, DemoDomainID}}
	for i, w := range want {
		if log[i].Operation != w.op || log[i].Status != w.status || log[i].AccountID != w.account {
			t.Errorf("entry %d = %+v, want %+v", i, log[i], w)
		}
	}
	if log[0].Query != "cycle=2024-05&limit=3" {
		t.Errorf("query %q", log[0].Query)
	}
	for i := 0; i < 150; i++ {
		c.get("/v2/bases/measurements", "")
	}
	if n := len(srv.Requests()); n > 100 || n < 50 {
		t.Fatalf("log holds %d entries", n)
	}
	srv.ResetStats()
	if len(srv.Requests()) != 0 {
		t.Fatal("ResetStats kept the log")
	}
}

// TestReissueTradesLateLinesWhenMade: a re-issue of a closed month posts its late lines (refunds
// and adjustments among them) at the time of the re-issue, after the month closed; the other lines
// keep their consumption-time trade times, and a second re-issue keeps the first one's times.
func TestReissueTradesLateLinesWhenMade(t *testing.T) {
	now := fixedNow
	cfg := testConfig()
	cfg.Now = func() time.Time { return now }
	srv, c := newTestServer(t, cfg)
	const cycle = "2024-04"
	closed := time.Date(2024, 5, 3, 10, 0, 0, 0, utc8)
	for id, r := range recordsByID(t, c, cycle) {
		if !r.TradeTime.Before(closed) {
			t.Fatalf("original line %s traded %s, after the month closed", id, r.TradeTime)
		}
	}
	first := now
	if _, err := srv.Reissue(cycle); err != nil {
		t.Fatal(err)
	}
	now = now.Add(48 * time.Hour)
	if _, err := srv.Reissue(cycle); err != nil {
		t.Fatal(err)
	}
	var late, firstTimes, secondTimes int
	for id, r := range recordsByID(t, c, cycle) {
		switch {
		case !strings.Contains(id, "-L"):
			if !r.TradeTime.Before(closed) {
				t.Errorf("line %s traded %s, after the month closed", id, r.TradeTime)
			}
		case r.TradeTime.Before(first) || !r.TradeTime.Before(now.Add(time.Hour)):
			t.Errorf("late line %s traded %s, not at a re-issue (%s, %s)", id, r.TradeTime, first, now)
		default:
			late++
			if r.TradeTime.Before(first.Add(time.Hour)) {
				firstTimes++
			} else if !r.TradeTime.Before(now) {
				secondTimes++
			}
		}
	}
	if late == 0 || firstTimes == 0 || secondTimes == 0 || firstTimes+secondTimes != late {
		t.Errorf("late lines %d: %d at the first re-issue, %d at the second", late, firstTimes, secondTimes)
	}
}

// TestReplayResponses: with ReplayResponses a repeated GET (its parameters
// in any order) gets the body of its first answer even though the month
// changed since; another query is rendered afresh, and without the option
// the change shows.
func TestReplayResponses(t *testing.T) {
	for _, replay := range []bool{true, false} {
		cfg := testConfig()
		cfg.ReplayResponses = replay
		srv, c := newTestServer(t, cfg)
		cycle := srv.Months()[0]
		first := c.get(resFee, "cycle="+cycle+"&limit=5&offset=0")
		if first.status != 200 || !strings.Contains(string(first.body), `"fee_records":[{`) {
			t.Fatalf("first page: %d %s", first.status, first.body)
		}
		if err := srv.SetEmpty(cycle, true); err != nil {
			t.Fatal(err)
		}
		again := c.get(resFee, "offset=0&limit=5&cycle="+cycle)
		other := c.get(resFee, "cycle="+cycle+"&limit=6&offset=0")
		if replay != (string(again.body) == string(first.body)) {
			t.Errorf("replay %v: the repeated request's body is the first one's: %v", replay, !replay)
		}
		if strings.Contains(string(other.body), `"fee_records":[{`) {
			t.Errorf("replay %v: a new query of the emptied month still has records: %s", replay, other.body)
		}
		if st := srv.Stats()[OpResourceRecords]; st.OK != 3 {
			t.Errorf("replay %v: %d answers counted OK, want 3", replay, st.OK)
		}
	}
}
