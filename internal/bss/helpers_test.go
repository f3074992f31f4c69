package bss

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Test credentials. The SK and token are distinctive so tests can assert
// they never leak into errors or logs.
const (
	testAK     = "TESTAKID0123456789"
	testSK     = "sk-SUPER-SECRET-do-not-leak-8d7f"
	testDomain = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	testToken  = "tok-SECRET-security-token-77aa"
	basePrefix = "/bss-prefix/"
)

var testCreds = Credentials{AK: testAK, SK: testSK, DomainID: testDomain, SecurityToken: testToken}

// testServer is an httptest server mounted under basePrefix, so that a
// client that builds absolute paths (dropping the prefix) fails. Every
// request's signature is verified before the mux sees it.
type testServer struct {
	t     *testing.T
	srv   *httptest.Server
	mux   *http.ServeMux
	calls atomic.Int64
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{t: t, mux: http.NewServeMux()}
	outer := http.NewServeMux()
	outer.Handle(basePrefix, http.StripPrefix(strings.TrimSuffix(basePrefix, "/"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.calls.Add(1)
		if msg := verifySignature(r, basePrefix); msg != "" {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: %s","request_id":"r-auth"}`, msg)
			return
		}
		w.Header().Set("X-Request-Id", "req-"+fmt.Sprint(ts.calls.Load()))
		ts.mux.ServeHTTP(w, r)
	})))
	outer.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base prefix: %s %s", r.Method, r.URL.Path)
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error_code":"APIG.0101","error_msg":"The API does not exist"}`)
	})
	ts.srv = httptest.NewServer(outer)
	t.Cleanup(ts.srv.Close)
	return ts
}

// verifySignature recomputes the signature of r (seen before the prefix
// was stripped) and returns a reason when it is wrong.
func verifySignature(r *http.Request, prefix string) string {
	authz := r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, "SDK-HMAC-SHA256 Access="+testAK+", SignedHeaders=") {
		return "bad authorization header"
	}
	if r.Header.Get("X-Domain-Id") != testDomain || r.Header.Get("X-Security-Token") != testToken {
		return "missing domain or token"
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	c := r.Clone(context.Background())
	c.URL.Path = strings.TrimSuffix(prefix, "/") + r.URL.Path // verify on the full received path
	c.Header.Del("Authorization")
	signed := strings.Split(strings.SplitN(strings.SplitN(authz, "SignedHeaders=", 2)[1], ",", 2)[0], ";")
	h := http.Header{}
	for _, s := range signed {
		h[http.CanonicalHeaderKey(s)] = c.Header.Values(s)
	}
	d, err := time.Parse(sdkDateFormat, c.Header.Get(headerSdkDate))
	if err != nil || time.Since(d).Abs() > 15*time.Minute {
		return "bad X-Sdk-Date"
	}
	cr := canonicalRequest(c.Method, c.URL.Path, c.URL.RawQuery, h, signed, payloadHash(h, body))
	want := authorization(testAK, signed, signature(stringToSign(cr, d), testSK))
	if want != authz {
		return "verify aksk signature fail"
	}
	return ""
}

func (ts *testServer) client(t *testing.T, cfg Config, opts ...Option) *Client {
	t.Helper()
	cfg.Endpoint = ts.srv.URL + basePrefix
	if cfg.RetryBaseDelay == 0 {
		cfg.RetryBaseDelay = time.Millisecond
		cfg.RetryMaxDelay = 5 * time.Millisecond
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1 // unpaced unless a test paces
		cfg.RecordsRateLimit = -1
	}
	c, err := NewClient(cfg, testCreds, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	switch b := v.(type) {
	case []byte:
		_, _ = w.Write(b)
	case string:
		_, _ = io.WriteString(w, b)
	default:
		_ = json.NewEncoder(w).Encode(v)
	}
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("method = %s, want %s", r.Method, want)
	}
}

func mustMonth(t testing.TB, s string) Month {
	t.Helper()
	m, err := ParseMonth(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// collect drains an iterator.
func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
