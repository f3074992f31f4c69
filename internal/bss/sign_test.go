package bss

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	sdksigner "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	sdkrequest "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

// Reference §4.3 credentials.
const (
	vecAK     = "HPUAEXAMPLEAK0000001"
	vecSK     = "exampleSecretKey0123456789abcdefEXAMPLE0"
	vecDate   = "20240603T020000Z"
	vecDomain = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

// captureTransport records the last request it was given.
type captureTransport struct {
	req  *http.Request
	body []byte
}

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.req = r
	if r.Body != nil {
		c.body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}, Request: r}, nil
}

func vecTime(t *testing.T) time.Time {
	t.Helper()
	tm, err := time.Parse(sdkDateFormat, vecDate)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestSignVector1GET(t *testing.T) {
	req, _ := http.NewRequest("GET", "https://bss.myhuaweicloud.com/v2/bills/customer-bills/monthly-sum?bill_cycle=2024-05&offset=0&limit=100", nil)
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	req.Header.Set("Content-Type", "application/json")
	capt := &captureTransport{}
	s := &Signer{Credentials: Credentials{AK: vecAK, SK: vecSK, DomainID: vecDomain}, Now: func() time.Time { return vecTime(t) }, Base: capt}
	resp, err := s.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.Header.Get(headerAuthz) != "" {
		t.Fatal("Signer modified the caller's request")
	}
	wantCR := "GET\n/v2/bills/customer-bills/monthly-sum/\nbill_cycle=2024-05&limit=100&offset=0\n" +
		"user-agent:huaweicloud-usdk-go/3.0\nx-domain-id:0f1e2d3c4b5a69788796a5b4c3d2e1f0\nx-sdk-date:20240603T020000Z\n\n" +
		"user-agent;x-domain-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	got := capt.req
	h := got.Header.Clone()
	h.Del(headerAuthz)
	cr := canonicalRequest(got.Method, got.URL.Path, got.URL.RawQuery, h, signedHeaders(h), emptyPayloadHash)
	if cr != wantCR {
		t.Errorf("canonical request:\n got %q\nwant %q", cr, wantCR)
	}
	if sts, want := stringToSign(cr, vecTime(t)), "SDK-HMAC-SHA256\n20240603T020000Z\n84a0029d649cc785910eda20f27a974a030665a6338daac44a48fef1405a90dd"; sts != want {
		t.Errorf("string to sign:\n got %q\nwant %q", sts, want)
	}
	want := "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=user-agent;x-domain-id;x-sdk-date, Signature=fc42669877dad416b2770c0ce8047ed0cd399a8a7246d15f44d5fb37b8c54efd"
	if a := got.Header.Get(headerAuthz); a != want {
		t.Errorf("Authorization:\n got %s\nwant %s", a, want)
	}
	if d := got.Header.Get(headerSdkDate); d != vecDate {
		t.Errorf("X-Sdk-Date = %q, want %q", d, vecDate)
	}
}

func TestSignVector2POSTWithHost(t *testing.T) {
	body := []byte(`{"free_resource_ids":["a1b2c3d4-0000-4000-8000-000000000001"]}`)
	req, _ := http.NewRequest("POST", "https://bss.myhuaweicloud.com/v2/payments/free-resources/usages/details/query", bytes.NewReader(body))
	req.Header.Set("Host", "bss.myhuaweicloud.com")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(headerDomainID, vecDomain)
	req.Header.Set(headerSdkDate, vecDate)
	if h := payloadHash(req.Header, body); h != "cf05441c0d250093df57d880fec183732de61d612b0416eb4244d5dc0082145f" {
		t.Errorf("payload hash %s", h)
	}
	SignRequest(req, body, vecAK, vecSK, time.Now()) // the existing X-Sdk-Date wins
	want := "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=host;x-domain-id;x-sdk-date, Signature=792838a52ff4e510989028b7e0c0d04b36dc8825046cdf342685be8878e71692"
	if a := req.Header.Get(headerAuthz); a != want {
		t.Errorf("Authorization:\n got %s\nwant %s", a, want)
	}
}

func TestSignVector3Query(t *testing.T) {
	var q query
	q.add("sub_customer_display_name", "研发 部/A+B")
	q.add("fuzzy_query", "1")
	q.add("limit", "100")
	q.add("offset", "0")
	want := "fuzzy_query=1&limit=100&offset=0&sub_customer_display_name=%E7%A0%94%E5%8F%91%20%E9%83%A8%2FA%2BB"
	if got := canonicalQuery(q.encode()); got != want {
		t.Errorf("canonical query:\n got %s\nwant %s", got, want)
	}
	// A bare key (how the SDK sends an empty value) canonicalises as "key=".
	if got := canonicalQuery("b&a=1"); got != "a=1&b=" {
		t.Errorf("bare key: got %s", got)
	}
}

// TestSignSDKVectors reuses the vectors of the SDK's own signer_test.go.
func TestSignSDKVectors(t *testing.T) {
	cases := []struct {
		name, method, rawQuery string
		body                   string
		headers                map[string]string
		want                   string
	}{
		{"sdk-test1", "GET", "limit=1", "", map[string]string{"X-Sdk-Date": "20060102T150405Z", "TEST_UNDERSCORE": "TEST_VALUE"},
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"},
		{"sdk-test2", "POST", "key=value", "{\"Name\":\"test\",\"Id\":1}\n", map[string]string{"X-Sdk-Date": "20060102T150405Z", "TEST_UNDERSCORE": "TEST_VALUE", "Content-Type": "application/json"},
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, "https://example.huaweicloud.com/path?"+c.rawQuery, strings.NewReader(c.body))
			for k, v := range c.headers {
				req.Header[k] = []string{v} // keep the SDK's exact spelling
			}
			SignRequest(req, []byte(c.body), "AccessKey", "SecretKey", time.Now())
			if got := req.Header.Get(headerAuthz); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// TestSignOracle signs many generated requests with our Signer and with the
// official SDK signer and requires identical Authorization headers.
func TestSignOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	keys := []string{"bill_cycle", "offset", "limit", "method", "sub_customer_id", "研发", "a+b", "x/y", "sp ace", "k~._-", "Z", "a", "ä"}
	values := []string{"", "2024-05", "0", "1000", "研发 部/A+B", "a+b", "x/y", "100%", "=&?#", "~._-", "  padded  ", "ü", "null", "-1", "*", "(a)"}
	paths := []string{"/v2/bills/customer-bills/monthly-sum", "/v2/bills/customer-bills/res-fee-records", "/v3/payments/free-resources/query",
		"/prefix/v2/bases/measurements", "/", "/a b/ü/x+y", "/trailing/"}
	bodies := []string{"", `{"offset":0,"limit":1000}`, `{"free_resource_ids":["a","研发"]}`, "{\"x\":\"a+b/c\"}\n", "plain text"}
	for i := range 500 {
		method := pick([]string{"GET", "POST"})
		path := pick(paths)
		body := ""
		if method == "POST" {
			body = pick(bodies)
		}
		sdkQuery := map[string][]string{}
		var q query
		for range rng.IntN(6) {
			k := pick(keys)
			for range 1 + rng.IntN(3)*(rng.IntN(2)) {
				v := pick(values)
				sdkQuery[k] = append(sdkQuery[k], v)
				q.add(k, v)
			}
		}
		headers := map[string]string{"User-Agent": "syncd/test"}
		if rng.IntN(2) == 0 {
			headers["X-Language"] = pick([]string{"en_US", "zh_CN"})
		}
		if rng.IntN(3) == 0 {
			headers["Content-Type"] = pick([]string{"application/json", "application/json;charset=UTF-8", "text/plain"})
		}
		if rng.IntN(4) == 0 {
			headers["X_Under"] = "ignored"
		}
		if rng.IntN(4) == 0 {
			headers["Accept"] = " application/json "
		}
		if rng.IntN(4) == 0 { // a Host header is signed with its own value, as the SDK does
			headers["Host"] = pick([]string{"bss.myhuaweicloud.com", "proxy.internal:8443"})
		}
		creds := Credentials{AK: Secret("AK" + fmt.Sprint(i)), SK: Secret(pick([]string{"sk", "S3cr+t/ü", vecSK})), DomainID: vecDomain}
		if rng.IntN(3) == 0 {
			creds.SecurityToken = "tok-" + Secret(fmt.Sprint(i))
		}
		date := time.Date(2024, 6, 3, 2, 0, rng.IntN(60), 0, time.UTC)

		// Ours: through the RoundTripper, as the client sends it.
		u := &url.URL{Scheme: "https", Host: "bss.myhuaweicloud.com", Path: path, RawQuery: q.encode()}
		var rbody io.Reader
		if body != "" {
			rbody = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, u.String(), rbody)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range headers {
			req.Header[k] = []string{v}
		}
		capt := &captureTransport{}
		s := &Signer{Credentials: creds, Now: func() time.Time { return date }, Base: capt}
		resp, err := s.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if string(capt.body) != body {
			t.Fatalf("case %d: body changed: %q", i, capt.body)
		}
		ours := capt.req.Header.Get(headerAuthz)

		// The SDK's signer on the equivalent request.
		b := sdkrequest.NewHttpRequestBuilder().WithMethod(method).WithEndpoint("https://bss.myhuaweicloud.com").WithPath(path)
		if body != "" {
			b.WithBody("body", body)
		}
		for k, vs := range sdkQuery {
			if len(vs) == 1 {
				b.AddQueryParam(k, reflect.ValueOf(vs[0]))
			} else {
				b.AddQueryParam(k, reflect.ValueOf(vs))
			}
		}
		for k, v := range headers {
			b.AddHeaderParam(k, v)
		}
		b.AddHeaderParam(headerDomainID, creds.DomainID)
		if creds.SecurityToken != "" {
			b.AddHeaderParam(headerSecToken, creds.SecurityToken.Reveal())
		}
		b.AddHeaderParam(headerSdkDate, date.Format(sdkDateFormat))
		sdkReq := b.Build()
		res, err := sdksigner.Signer{}.Sign(sdkReq, creds.AK.Reveal(), creds.SK.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		if ours != res["Authorization"] {
			t.Fatalf("case %d %s %s?%s headers=%v body=%q:\n ours %s\n sdk  %s", i, method, path, q.encode(), headers, body, ours, res["Authorization"])
		}
	}
}

func TestSignerFreshDatePerAttempt(t *testing.T) {
	n := 0
	capt := &captureTransport{}
	s := &Signer{Credentials: Credentials{AK: "ak", SK: "sk", DomainID: "d"}, Now: func() time.Time {
		n++
		return time.Date(2024, 1, 1, 0, 0, n, 0, time.UTC)
	}, Base: capt}
	var dates []string
	for range 2 {
		req, _ := http.NewRequest("GET", "https://x/v2/a", nil)
		resp, err := s.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		dates = append(dates, capt.req.Header.Get(headerSdkDate))
	}
	if dates[0] == dates[1] {
		t.Errorf("both attempts signed with %s", dates[0])
	}
}
