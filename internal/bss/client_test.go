package bss

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sethvargo/go-envconfig"
)

// recordsHandler serves n synthetic itemised records with offset/limit
// paging; totalAt lets a test change total_count per request.
func recordsHandler(t *testing.T, n int, totalAt func(call int) int) (http.HandlerFunc, *[]string) {
	var mu sync.Mutex
	var seen []string
	call := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		call++
		c := call
		seen = append(seen, r.URL.Query().Get("offset")+"/"+r.URL.Query().Get("limit"))
		mu.Unlock()
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		lim, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		total := n
		if totalAt != nil {
			total = totalAt(c)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"total_count":%d,"currency":"CNY","fee_records":[`, total)
		for i := off; i < min(off+lim, n); i++ {
			if i > off {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"rec-%06d","bill_date":"2024-05-%02d","bill_type":5,"charge_mode":"3","amount":"%d.%02d","cash_amount":%d.%02d,"measure_id":1,"enterprise_project_id":null}`,
				i, 1+i%31, i/100, i%100, i/100, i%100)
		}
		b.WriteString("]}")
		writeJSON(w, 200, b.Bytes())
	}, &seen
}

func TestPagingExact(t *testing.T) {
	ts := newTestServer(t)
	h, seen := recordsHandler(t, 2345, nil)
	ts.mux.Handle("/v2/bills/customer-bills/res-fee-records", h)
	c := ts.client(t, Config{})
	recs, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2345 {
		t.Fatalf("got %d records, want 2345", len(recs))
	}
	ids := map[string]bool{}
	for i, r := range recs {
		if ids[r.ID] {
			t.Fatalf("duplicate %s", r.ID)
		}
		ids[r.ID] = true
		if r.EnterpriseProjectID != UnassignedEnterpriseProject {
			t.Fatalf("record %d: enterprise project %q", i, r.EnterpriseProjectID)
		}
		if want := fmt.Sprintf("%d.%02d", i/100, i%100); !r.Amount.Equal(dec(want)) || !r.CashAmount.Equal(dec(want)) {
			t.Fatalf("record %d amount %s cash %s, want %s", i, r.Amount, r.CashAmount, want)
		}
	}
	// Read-ahead may request the later pages in any order; each once.
	got := slices.Clone(*seen)
	slices.Sort(got)
	if got := strings.Join(got, " "); got != "0/1000 1000/1000 2000/1000" {
		t.Errorf("pages = %s", got)
	}
}

func TestPagingStopsEarlyWhenConsumerStops(t *testing.T) {
	// Sequential paging stops at the page the consumer stopped in; with
	// read-ahead at most Prefetch more pages were requested.
	for _, tc := range []struct{ prefetch, maxPages int }{{-1, 2}, {3, 2 + 3}} {
		ts := newTestServer(t)
		h, seen := recordsHandler(t, 50000, nil)
		ts.mux.Handle("/v2/bills/customer-bills/res-fee-records", h)
		c := ts.client(t, Config{Prefetch: tc.prefetch})
		n := 0
		for _, err := range c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 1500 {
				break
			}
		}
		ts.srv.Close() // waits for the handlers of cancelled read-ahead requests
		if len(*seen) < 2 || len(*seen) > tc.maxPages || (tc.prefetch < 0 && len(*seen) != 2) {
			t.Errorf("prefetch %d: pages fetched = %v, want 2 to %d", tc.prefetch, *seen, tc.maxPages)
		}
	}
}

func TestPagingDrift(t *testing.T) {
	cases := []struct {
		name       string
		n          int
		totalAt    func(int) int
		wantFirst  int
		wantLast   int
		wantReason string
	}{
		{"total grows", 2500, func(c int) int { return 2500 + (c-1)*7 }, 2500, 2507, "total_count changed"},
		{"total shrinks", 2500, func(c int) int { return 2500 - (c-1)*3 }, 2500, 2497, "total_count changed"},
		{"rows vanish", 1500, func(int) int { return 2500 }, 2500, 1500, "empty page before total_count"},
		{"more rows than total", 1500, func(int) int { return 900 }, 900, 1000, "more rows than total_count"},
	}
	for _, tc := range cases {
		// With read-ahead the handler's call order, hence the total a
		// drifting page reports, varies; the kind of drift does not.
		for _, prefetch := range []int{-1, 4} {
			t.Run(fmt.Sprintf("%s/prefetch=%d", tc.name, prefetch), func(t *testing.T) {
				ts := newTestServer(t)
				h, _ := recordsHandler(t, tc.n, tc.totalAt)
				ts.mux.Handle("/v2/bills/customer-bills/res-fee-records", h)
				c := ts.client(t, Config{Prefetch: prefetch})
				_, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
				var de *DriftError
				if !errors.As(err, &de) {
					t.Fatalf("err = %v, want *DriftError", err)
				}
				wantLast := tc.wantLast
				if prefetch > 0 && tc.wantReason == "total_count changed" {
					wantLast = de.Last
					if de.Last == de.First {
						t.Errorf("drift = %+v: last total equals the first", de)
					}
				}
				if de.First != tc.wantFirst || de.Last != wantLast || de.Reason != tc.wantReason || de.Operation != OpResourceRecords {
					t.Errorf("drift = %+v", de)
				}
				if IsRetryable(err) {
					t.Error("drift must not be retried by the client")
				}
			})
		}
	}
}

// faultyHandler fails the first len(faults) calls with the given faults,
// then serves the fixture.
func faultyHandler(t *testing.T, ts *testServer, faults ...string) *atomic.Int64 {
	var n atomic.Int64
	body := fixture(t, "res_fee_records.json")
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(faults) {
			writeJSON(w, 200, body)
			return
		}
		switch faults[i] {
		case "429":
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, `{"error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:30,time:1 second","error_code":"APIG.0308","request_id":"g1"}`)
		case "429-noheader":
			writeJSON(w, 429, `{"error_msg":"throttled","error_code":"APIGW.0308","request_id":"g2"}`)
		case "500":
			writeJSON(w, 500, `{"error_code":"CBC.0999","error_msg":"Other errors."}`)
		case "502":
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>bad gateway</html>")
		case "reset":
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST instead of FIN
			}
			conn.Close()
		case "truncated":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(200)
			_, _ = w.Write(body[:len(body)/2])
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		case "truncated-json":
			writeJSON(w, 200, body[:len(body)/3])
		case "200-error":
			writeJSON(w, 200, `{"error_code":"CBC.0999","error_msg":"system busy"}`)
		case "400":
			writeJSON(w, 400, `{"error_code":"CBC.0100","error_msg":"Parameter error: limit must be between 1 and 1000."}`)
		case "403":
			writeJSON(w, 403, `{"error_code":"CBC.0151","error_msg":"Access denied."}`)
		case "401":
			writeJSON(w, 401, `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: verify aksk signature fail","request_id":"x"}`)
		case "200-permanent":
			writeJSON(w, 200, `{"error_code":"CBC.0100","error_msg":"bad parameter"}`)
		default:
			t.Fatalf("unknown fault %q", faults[i])
		}
	})
	return &n
}

func TestRetries(t *testing.T) {
	cases := []struct {
		faults   []string
		calls    int64
		ok       bool
		minWait  time.Duration
		throttle float64
	}{
		{[]string{"500", "502"}, 3, true, 0, 0},
		{[]string{"429"}, 2, true, 900 * time.Millisecond, 1},
		{[]string{"429-noheader", "429-noheader"}, 3, true, 0, 2},
		{[]string{"reset", "reset"}, 3, true, 0, 0},
		{[]string{"truncated"}, 2, true, 0, 0},
		{[]string{"truncated-json"}, 2, true, 0, 0},
		{[]string{"200-error", "500"}, 3, true, 0, 0},
		{[]string{"400"}, 1, false, 0, 0},
		{[]string{"403"}, 1, false, 0, 0},
		{[]string{"401"}, 1, false, 0, 0},
		{[]string{"200-permanent"}, 1, false, 0, 0},
		{[]string{"500", "500", "500", "500"}, 4, false, 0, 0}, // MaxRetries 3: gives up
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.faults, ","), func(t *testing.T) {
			ts := newTestServer(t)
			n := faultyHandler(t, ts, tc.faults...)
			m := NewMetrics()
			var attempts atomic.Int64
			c := ts.client(t, Config{MaxRetries: 3}, WithMetrics(m))
			ctx := WithCallCounter(context.Background(), &attempts)
			start := time.Now()
			recs, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if tc.ok && len(recs) != 3 {
				t.Errorf("got %d records", len(recs))
			}
			if n.Load() != tc.calls || attempts.Load() != tc.calls {
				t.Errorf("server saw %d calls, counter %d, want %d", n.Load(), attempts.Load(), tc.calls)
			}
			if el := time.Since(start); el < tc.minWait {
				t.Errorf("Retry-After not honoured: took %s", el)
			}
			if got := testutil.ToFloat64(m.retries.WithLabelValues(OpResourceRecords)); got != float64(tc.calls-1) {
				t.Errorf("retries metric = %v, want %d", got, tc.calls-1)
			}
			if got := testutil.ToFloat64(m.throttled.WithLabelValues(OpResourceRecords)); got != tc.throttle {
				t.Errorf("throttled metric = %v, want %v", got, tc.throttle)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Operation != OpResourceRecords || e.URL == "" || e.Code == "" {
					t.Errorf("want *Error with operation, URL and code, got %#v", err)
				}
				if e != nil && !strings.Contains(e.URL, basePrefix) {
					t.Errorf("URL %q lost the prefix", e.URL)
				}
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	ts := newTestServer(t)
	faultyHandler(t, ts, "429", "429", "400")
	c := ts.client(t, Config{MaxRetries: -1})
	_, _, err := c.ListResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}, ListOptions{})
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second || rl.Err.Code != "APIG.0308" || rl.Err.RequestID == "" || !IsRetryable(err) {
		t.Fatalf("err = %#v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 429 {
		t.Errorf("RateLimitError must unwrap to *Error: %v", err)
	}
	_, _, _ = c.ListResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}, ListOptions{})
	_, _, err = c.ListResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}, ListOptions{})
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Code != CodeParameterError || e.RequestID == "" || IsRetryable(err) {
		t.Fatalf("err = %#v", err)
	}
	for _, want := range []string{"ListCustomerselfResourceRecords", "HTTP 400", "CBC.0100", "limit must be between", "request_id req-"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("in flight", func(t *testing.T) {
		ts := newTestServer(t)
		release := make(chan struct{})
		ts.mux.HandleFunc("/v2/accounts/customer-accounts/balances", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		c := ts.client(t, Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Balances(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Fatalf("err = %v after %s", err, time.Since(start))
		}
		if IsRetryable(err) {
			t.Error("a done context must not be retryable")
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		ts := newTestServer(t)
		n := faultyHandler(t, ts, "500", "500", "500")
		c := ts.client(t, Config{RetryBaseDelay: 10 * time.Second, RetryMaxDelay: 10 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second || n.Load() != 1 {
			t.Fatalf("err = %v after %s, %d calls", err, time.Since(start), n.Load())
		}
	})
	t.Run("already done", func(t *testing.T) {
		ts := newTestServer(t)
		c := ts.client(t, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Balances(ctx); !errors.Is(err, context.Canceled) || ts.calls.Load() != 0 {
			t.Fatalf("err = %v, calls %d", err, ts.calls.Load())
		}
	})
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	ts := newTestServer(t)
	var n atomic.Int64
	ts.mux.HandleFunc("/v2/accounts/customer-accounts/balances", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		writeJSON(w, 200, fixture(t, "balances.json"))
	})
	c := ts.client(t, Config{Timeout: 100 * time.Millisecond})
	if _, err := c.Balances(context.Background()); err != nil || n.Load() != 2 {
		t.Fatalf("err = %v, calls = %d", err, n.Load())
	}
}

func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	c := ts.client(t, Config{})
	ctx := context.Background()
	may := mustMonth(t, "2024-05")
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"zero cycle", func() error { _, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{})); return err }, `cycle "0000-00" is not a valid month`},
		{"bad month", func() error {
			_, err := collect(c.MonthlySums(ctx, MonthlySumOptions{Cycle: Month{2024, 13}}))
			return err
		}, `cycle "2024-13" is not a valid month`},
		{"sub_customer without id", func() error {
			_, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{Cycle: may, Method: MethodSubCustomer}))
			return err
		}, `method "sub_customer" needs a sub-customer ID`},
		{"id without sub_customer", func() error {
			_, err := collect(c.MonthlySums(ctx, MonthlySumOptions{Cycle: may, SubCustomerID: "x"}))
			return err
		}, `sub-customer ID "x" needs method "sub_customer"`},
		{"unknown method", func() error {
			_, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{Cycle: may, Method: "everyone"}))
			return err
		}, `method "everyone": want`},
		{"statistic type 2", func() error {
			_, err := collect(c.ResourceRecords(ctx, ResourceRecordOptions{Cycle: may, StatisticType: 2}))
			return err
		}, "statistic type 2"},
		{"limit too big", func() error {
			_, _, err := c.ListResourceRecords(ctx, ResourceRecordOptions{Cycle: may}, ListOptions{Limit: 5000})
			return err
		}, "limit 5000 out of range 1..1000"},
		{"member limit too big", func() error {
			_, _, err := c.ListSubCustomers(ctx, SubCustomerOptions{}, ListOptions{Limit: 101})
			return err
		}, "limit 101 out of range 1..100"},
		{"negative offset", func() error {
			_, _, _, err := c.ListMonthlySums(ctx, MonthlySumOptions{Cycle: may}, ListOptions{Offset: -1})
			return err
		}, "offset -1 is negative"},
		{"package status", func() error {
			s := 9
			_, err := collect(c.ResourcePackages(ctx, ResourcePackageOptions{Status: &s}))
			return err
		}, "status 9 out of range 0..4"},
		{"empty usage id", func() error { _, err := c.ResourceUsages(ctx, []string{"a", ""}); return err }, "free resource ID #1 is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if ts.calls.Load() != 0 {
		t.Errorf("bad input reached the server %d times", ts.calls.Load())
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Site: "eu"}, `unknown BSS site "eu"`},
		{Config{Endpoint: "bss.example.com"}, "not an absolute http(s) URL"},
		{Config{Endpoint: "https://user:pw@bss.example.com/"}, "must not contain user info"},
		{Config{RateBurst: -2}, "SYNCD_BSS_RATE_BURST"},
		{Config{RateLimits: map[string]float64{"ListEverything": 3}}, `unknown operation "ListEverything"`},
		{Config{MaxRetries: -2}, "SYNCD_BSS_MAX_RETRIES"},
	}
	for _, tc := range cases {
		_, err := NewClient(tc.cfg, testCreds)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
	// An unparsable endpoint with user info is not echoed back.
	if _, err := NewClient(Config{Endpoint: "https://user:pw-secret@bss example/%zz"}, testCreds); err == nil || strings.Contains(err.Error(), "pw-secret") {
		t.Errorf("err = %v, want an error without the password", err)
	}
	if _, err := NewClient(Config{Endpoint: "https://u:pw@h/", MaxRetries: -3, RateBurst: -1}, testCreds); err == nil ||
		strings.Count(err.Error(), "SYNCD_BSS_") != 3 {
		t.Errorf("err = %v, want all three problems at once", err)
	}
	if _, err := NewClient(Config{}, Credentials{AK: "a", DomainID: "d"}); err == nil || !strings.Contains(err.Error(), "secret key (SK) is empty") {
		t.Errorf("err = %v", err)
	}
	c, err := NewClient(Config{Site: SiteInternational}, testCreds)
	if err != nil || c.Currency() != "USD" || c.base.String() != "https://bss-intl.myhuaweicloud.com/" || c.Site() != SiteInternational {
		t.Errorf("intl client: %v %v", c, err)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newTestServer(t)
	faultyHandler(t, ts, "500", "401")
	ts.mux.HandleFunc("/v2/accounts/customer-accounts/balances", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"account_balances":[{"amount":true}]}`)
	})
	c := ts.client(t, Config{}, WithLogger(logger))
	var errs []error
	_, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
	errs = append(errs, err)
	_, err = c.Balances(context.Background())
	errs = append(errs, err)
	dead, _ := NewClient(Config{Endpoint: "http://127.0.0.1:1/", MaxRetries: 1, RetryBaseDelay: time.Millisecond, RetryMaxDelay: time.Millisecond}, testCreds, WithLogger(logger))
	_, err = dead.Balances(context.Background())
	errs = append(errs, err)
	_, err = CredentialsFromEnv(mapLookup(map[string]string{EnvAK: testAK, EnvSK: testSK, EnvSK + "_FILE": "/x", EnvDomainID: "d"}))
	errs = append(errs, err)
	texts := []string{logs.String(), fmt.Sprintf("%v %+v %#v %s %q %x", testCreds, testCreds, testCreds, testCreds.SK, testCreds.SK, testCreds.SK)}
	slog.New(slog.NewTextHandler(&logs, nil)).Info("creds", "creds", testCreds, "sk", testCreds.SK)
	texts = append(texts, logs.String())
	for _, e := range errs {
		if e == nil {
			t.Fatal("expected an error")
		}
		texts = append(texts, e.Error(), fmt.Sprintf("%#v", e))
	}
	for _, s := range texts {
		for _, secret := range []string{testSK, testToken} {
			if strings.Contains(s, secret) {
				t.Errorf("secret leaked in %q", s)
			}
		}
	}
	if b, _ := testCreds.SK.MarshalJSON(); string(b) != `"[REDACTED]"` || testCreds.SK.Reveal() != testSK {
		t.Error("Secret marshalling")
	}
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestCredentialsFromEnv(t *testing.T) {
	dir := t.TempDir()
	skFile := dir + "/sk"
	if err := writeFile(skFile, "  file-sk\n"); err != nil {
		t.Fatal(err)
	}
	emptyFile := dir + "/empty"
	_ = writeFile(emptyFile, "\n")
	cases := []struct {
		name string
		env  map[string]string
		want Credentials
		err  string
	}{
		{"plain", map[string]string{EnvAK: "ak", EnvSK: "sk", EnvDomainID: "dom"}, Credentials{AK: "ak", SK: "sk", DomainID: "dom"}, ""},
		{"token", map[string]string{EnvAK: "ak", EnvSK: "sk", EnvDomainID: "dom", EnvSecurityToken: "tok"}, Credentials{AK: "ak", SK: "sk", DomainID: "dom", SecurityToken: "tok"}, ""},
		{"sk from file", map[string]string{EnvAK: "ak", EnvSK + "_FILE": skFile, EnvDomainID: "dom"}, Credentials{AK: "ak", SK: "file-sk", DomainID: "dom"}, ""},
		{"missing all", map[string]string{}, Credentials{}, "HUAWEICLOUD_SDK_AK (or HUAWEICLOUD_SDK_AK_FILE) is not set"},
		{"missing domain", map[string]string{EnvAK: "ak", EnvSK: "sk"}, Credentials{}, "HUAWEICLOUD_SDK_DOMAIN_ID (or HUAWEICLOUD_SDK_DOMAIN_ID_FILE) is not set"},
		{"both", map[string]string{EnvAK: "ak", EnvSK: "sk", EnvSK + "_FILE": skFile, EnvDomainID: "d"}, Credentials{}, "both HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_SK_FILE are set"},
		{"missing file", map[string]string{EnvAK: "ak", EnvSK + "_FILE": dir + "/nope", EnvDomainID: "d"}, Credentials{}, "HUAWEICLOUD_SDK_SK_FILE: read"},
		{"empty file", map[string]string{EnvAK: "ak", EnvSK + "_FILE": emptyFile, EnvDomainID: "d"}, Credentials{}, "is empty"},
		{"ak with space", map[string]string{EnvAK: "a k", EnvSK: "sk", EnvDomainID: "d"}, Credentials{}, "HUAWEICLOUD_SDK_AK contains whitespace"},
		// Malformed and unset variables are reported together.
		{"bad ak and missing sk", map[string]string{EnvAK: "a,k", EnvDomainID: "d d"}, Credentials{}, "HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_SK_FILE) is not set\n" +
			"HUAWEICLOUD_SDK_AK contains whitespace, ',' or '=' (want the access key exactly as issued)\nHUAWEICLOUD_SDK_DOMAIN_ID contains whitespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CredentialsFromEnv(mapLookup(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %#v, %v", got, err)
			}
		})
	}
}

func TestLimiterPacesAndIsShared(t *testing.T) {
	ts := newTestServer(t)
	var mu sync.Mutex
	var stamps []time.Time
	ts.mux.HandleFunc("/v2/accounts/customer-accounts/balances", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stamps = append(stamps, time.Now())
		mu.Unlock()
		writeJSON(w, 200, fixture(t, "balances.json"))
	})
	c := ts.client(t, Config{RateLimit: 40})
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 { // four "jobs" sharing one client
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := c.Balances(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	// 20 requests at 40/s with burst 1: at least 19 intervals of 25 ms.
	if el := time.Since(start); el < 19*25*time.Millisecond {
		t.Errorf("20 requests took %s, faster than 40/s", el)
	}
	// No 1-second window holds more than 40+1 requests.
	for i := range stamps {
		n := 0
		for j := i; j < len(stamps) && stamps[j].Sub(stamps[i]) < time.Second; j++ {
			n++
		}
		if n > 41 {
			t.Errorf("window from %d holds %d requests", i, n)
		}
	}
	// Different operations have separate buckets; records pace at 30/s by default.
	l := NewLimiter(Config{})
	if l.cfg.rate(OpResourceRecords) != 30 || l.cfg.rate(OpBalances) != 10 {
		t.Errorf("default rates: %v %v", l.cfg.rate(OpResourceRecords), l.cfg.rate(OpBalances))
	}
	l2 := NewLimiter(Config{RateLimits: map[string]float64{OpBalances: 2}})
	if l2.cfg.rate(OpBalances) != 2 || l2.cfg.rate(OpMonthlySum) != 10 {
		t.Error("per-operation override")
	}
}

func TestLimiterCancel(t *testing.T) {
	l := NewLimiter(Config{RateLimit: 0.5})
	ctx := context.Background()
	if err := l.Wait(ctx, "a", OpBalances); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(cctx, "a", OpBalances); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
	// Another account is not held up by the first.
	if err := l.Wait(ctx, "b", OpBalances); err != nil {
		t.Fatal(err)
	}
}

func TestFanOutOnTooManyMembers(t *testing.T) {
	ts := newTestServer(t)
	var mu sync.Mutex
	var queries []string
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		queries = append(queries, q.Get("method")+":"+q.Get("sub_customer_id"))
		mu.Unlock()
		switch q.Get("method") {
		case "all":
			writeJSON(w, 400, `{"error_code":"CBC.18000048","error_msg":"too many independent members"}`)
		case "oneself":
			writeJSON(w, 200, `{"total_count":1,"fee_records":[{"id":"self-1","amount":1}]}`)
		case "sub_customer":
			switch q.Get("sub_customer_id") {
			case "9e3f405162738495a6b7c8d9e0f1a2b3":
				writeJSON(w, 403, `{"error_code":"CBC.0151","error_msg":"Access denied."}`)
			default:
				writeJSON(w, 200, fmt.Sprintf(`{"total_count":1,"fee_records":[{"id":"m-%s","amount":2}]}`, q.Get("sub_customer_id")))
			}
		}
	})
	ts.mux.HandleFunc("/v2/enterprises/multi-accounts/sub-customers", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "sub_customers.json"))
	})
	c := ts.client(t, Config{})
	recs, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, ","); got != "self-1,m-7c1d2e3f40516273849506a7b8c9d0e1,m-8d2e3f405162738495a6b7c8d9e0f1a2" {
		t.Errorf("ids = %s", got)
	}
	if len(queries) != 5 {
		t.Errorf("queries = %v", queries)
	}
	// An explicit method does not fan out.
	_, err = collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05"), Method: MethodOneself}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestMetricsRegistered(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := NewMetrics()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, mf := range mfs {
		got[mf.GetName()] = len(mf.GetMetric())
	}
	for _, name := range []string{"syncd_bss_requests_total", "syncd_bss_request_duration_seconds", "syncd_bss_retries_total", "syncd_bss_throttled_total"} {
		if got[name] != len(Operations) {
			t.Errorf("%s has %d series, want %d pre-created", name, got[name], len(Operations))
		}
	}
}

func TestMonth(t *testing.T) {
	m := mustMonth(t, "2024-01")
	if m.String() != "2024-01" || m.Prev().String() != "2023-12" || m.Next().String() != "2024-02" {
		t.Error("navigation")
	}
	if want := time.Date(2023, 12, 31, 16, 0, 0, 0, time.UTC); !m.Start().Equal(want) || m.Start().Location() != time.UTC {
		t.Errorf("Start = %v", m.Start())
	}
	if want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); !m.Date().Equal(want) {
		t.Errorf("Date = %v", m.Date())
	}
	if MonthOf(time.Date(2024, 1, 31, 16, 0, 0, 0, time.UTC)).String() != "2024-02" {
		t.Error("MonthOf uses UTC+8")
	}
	for _, bad := range []string{"2024-1", "2024-13", "24-01", "2024-01-01", ""} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

func TestLookupLimitFallback(t *testing.T) {
	ts := newTestServer(t)
	var limits []string
	ts.mux.HandleFunc("/v2/products/resource-types", func(w http.ResponseWriter, r *http.Request) {
		l := r.URL.Query().Get("limit")
		limits = append(limits, r.URL.Query().Get("offset")+"/"+l)
		if l != "100" {
			writeJSON(w, 400, `{"error_code":"CBC.0100","error_msg":"limit out of range"}`)
			return
		}
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var items []string
		for i := off; i < min(off+100, 150); i++ {
			items = append(items, fmt.Sprintf(`{"resource_type_code":"rt-%d"}`, i))
		}
		writeJSON(w, 200, `{"total_count":150,"resource_types":[`+strings.Join(items, ",")+`]}`)
	})
	rts, err := collect(ts.client(t, Config{}).ResourceTypes(context.Background()))
	if err != nil || len(rts) != 150 || rts[149].Code != "rt-149" {
		t.Fatalf("%d types, %v", len(rts), err)
	}
	if got := strings.Join(limits, " "); got != "0/1000 0/100 100/100" {
		t.Errorf("requests %s", got)
	}
}

func TestConfigFromEnv(t *testing.T) {
	var cfg Config
	err := envconfig.ProcessWith(context.Background(), &envconfig.Config{Target: &cfg, Lookuper: envconfig.MapLookuper(map[string]string{
		"SYNCD_BSS_SITE":        "intl",
		"SYNCD_BSS_RATE_LIMITS": "ShowCustomerMonthlySum:5,ListEnterpriseSubCustomers:2.5",
	})})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Site: SiteInternational, Language: "en_US", Timeout: time.Minute, MaxRetries: 8, RetryBaseDelay: 500 * time.Millisecond,
		RetryMaxDelay: 30 * time.Second, RateLimit: 10, RecordsRateLimit: 30, RateBurst: 1, Prefetch: 8,
		RateLimits: map[string]float64{OpMonthlySum: 5, OpSubCustomers: 2.5}}
	if fmt.Sprint(cfg) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	if cfg.rate(OpSubCustomers) != 2.5 || cfg.rate(OpResourceRecords) != 30 {
		t.Error("rates")
	}
}

func TestDecodeErrorThroughClient(t *testing.T) {
	ts := newTestServer(t)
	var calls atomic.Int64
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var recs []string
		for i := off; i < min(off+1000, 1500); i++ {
			amount := `"1.25"`
			if i == 1005 {
				amount = `[1.25]`
			}
			recs = append(recs, fmt.Sprintf(`{"id":"r%d","amount":%s}`, i, amount))
		}
		writeJSON(w, 200, `{"total_count":1500,"fee_records":[`+strings.Join(recs, ",")+`]}`)
	})
	n := 0
	var err error
	for _, e := range ts.client(t, Config{}).ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}) {
		if e != nil {
			err = e
			break
		}
		n++
	}
	var de *DecodeError
	if !errors.As(err, &de) || de.Operation != OpResourceRecords || de.Field != "fee_records[5].amount" || de.PageOffset != 1000 || de.Offset <= 0 {
		t.Fatalf("err = %#v", err)
	}
	for _, want := range []string{"ListCustomerselfResourceRecords offset=1000", "fee_records[5].amount", "array"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	t.Log(err)
	if n != 1000 || calls.Load() != 2 {
		t.Errorf("%d records before the error, %d calls (a type error must not be retried)", n, calls.Load())
	}
}

func TestIteratorCopiesOptions(t *testing.T) {
	ts := newTestServer(t)
	var got []string
	ts.mux.HandleFunc("/v3/payments/free-resources/query", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		writeJSON(w, 200, `{"total_count":0,"free_resource_packages":[]}`)
	})
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Query().Get("cycle"))
		writeJSON(w, 200, `{"total_count":0,"fee_records":[]}`)
	})
	c := ts.client(t, Config{})
	popts := ResourcePackageOptions{ServiceTypeCodes: []string{"hws.service.type.obs"}}
	pseq := c.ResourcePackages(context.Background(), popts)
	ropts := ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}
	rseq := c.ResourceRecords(context.Background(), ropts)
	popts.ServiceTypeCodes[0] = "changed"
	ropts.Cycle = mustMonth(t, "2020-01")
	if _, err := collect(pseq); err != nil {
		t.Fatal(err)
	}
	if _, err := collect(rseq); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != `{"limit":1000,"offset":0,"service_type_code_list":["hws.service.type.obs"]}` || got[1] != "2024-05" {
		t.Errorf("requests = %q", got)
	}
}

// TestTransactionBillsFallbackReadsAhead: transaction bills page at 1000 and
// fall back to 100 when the service refuses it (CBC.0100); the rest of the
// month is then read ahead at 100 a page, in order.
func TestTransactionBillsFallbackReadsAhead(t *testing.T) {
	ts := newTestServer(t)
	const total = 450
	var (
		mu     sync.Mutex
		limits []string
	)
	asked200 := make(chan struct{})
	var once sync.Once
	ts.mux.HandleFunc("/v2/bills/customer-bills/fee-records", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		off, _ := strconv.Atoi(q.Get("offset"))
		mu.Lock()
		limits = append(limits, q.Get("offset")+"/"+q.Get("limit"))
		mu.Unlock()
		if q.Get("limit") != "100" {
			writeJSON(w, 400, `{"error_code":"CBC.0100","error_msg":"limit out of range"}`)
			return
		}
		switch off {
		case 200:
			once.Do(func() { close(asked200) })
		case 100: // served only once the page after it was asked for
			select {
			case <-asked200:
			case <-time.After(10 * time.Second):
				writeJSON(w, 500, `{"error_code":"CBC.0999","error_msg":"offset 200 was not requested while offset 100 was in flight"}`)
				return
			}
		}
		var items []string
		for i := off; i < min(off+100, total); i++ {
			items = append(items, fmt.Sprintf(`{"bill_cycle":"2024-03","customer_id":"c1","trade_id":"T%03d","bill_type":1,"status":1,`+
				`"provider_type":1,"consume_amount":1.5,"cash_amount":1.5,"official_amount":1.5}`, i))
		}
		writeJSON(w, 200, fmt.Sprintf(`{"total_count":%d,"records":[%s]}`, total, strings.Join(items, ",")))
	})
	c := ts.client(t, Config{Prefetch: 4, MaxRetries: -1})
	var got []string
	for tx, err := range c.TransactionBills(context.Background(), TransactionBillOptions{Cycle: mustMonth(t, "2024-03"), IncludeZero: true}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tx.TradeID)
	}
	if len(got) != total || !slices.IsSorted(got) || got[0] != "T000" || got[total-1] != "T449" {
		t.Fatalf("%d transactions, first %v: want T000…T449 in order", len(got), got[:min(3, len(got))])
	}
	mu.Lock()
	defer mu.Unlock()
	if limits[0] != "0/1000" || limits[1] != "0/100" || len(limits) != 6 {
		t.Fatalf("requests %v: want 0/1000, 0/100, then offsets 100…400 at 100", limits)
	}
	rest := slices.Clone(limits[2:])
	slices.Sort(rest)
	if want := []string{"100/100", "200/100", "300/100", "400/100"}; !slices.Equal(rest, want) {
		t.Errorf("requests after the fallback %v, want %v", rest, want)
	}
}

// TestReadAhead: the itemised records read Prefetch pages ahead, the other
// bills listings in proportion to their pace (unpaced: their default quota).
func TestReadAhead(t *testing.T) {
	for _, c := range []struct {
		cfg                    Config
		records, fees, summary int
	}{
		{Config{}, 8, 3, 3},
		{Config{Prefetch: -1}, 0, 0, 0},
		{Config{Prefetch: 1}, 1, 1, 1},
		{Config{RateLimit: -1, RecordsRateLimit: -1}, 8, 3, 3},
		{Config{RateLimits: map[string]float64{OpTransactionBills: 30}}, 8, 8, 3},
		{Config{Prefetch: 16, RecordsRateLimit: 20, RateLimits: map[string]float64{OpMonthlySum: 1}}, 16, 8, 1},
	} {
		cfg := c.cfg.withDefaults()
		if r, f, s := cfg.ahead(OpResourceRecords), cfg.ahead(OpTransactionBills), cfg.ahead(OpMonthlySum); r != c.records || f != c.fees || s != c.summary {
			t.Errorf("%+v: read-ahead records %d, transactions %d, sums %d; want %d, %d, %d", c.cfg, r, f, s, c.records, c.fees, c.summary)
		}
	}
}
