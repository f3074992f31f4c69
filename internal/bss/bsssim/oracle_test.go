package bsssim

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

// TestVerifierAgainstSDKSigner signs many generated requests with the
// official SDK signer and requires the simulator to accept every one, and to
// reject each once a byte of it is changed.
func TestVerifierAgainstSDKSigner(t *testing.T) {
	cfg := testConfig()
	s := New(cfg)
	values := []string{"", "a", "a b", "a+b", "x/y", "研发 部/A+B", "=", "&", "%", "~._-", "a=b&c", "É", "100%"}
	r := rng{s: 12345}
	for i := 0; i < 400; i++ {
		post := i%3 == 0
		b := request.NewHttpRequestBuilder().WithEndpoint("http://127.0.0.1:1")
		if post {
			b = b.WithMethod(http.MethodPost).WithPath("/v3/payments/free-resources/query")
			body := map[string]any{"offset": 0, "limit": 10, "product_name": values[r.intn(len(values))]}
			b = b.WithBody("application/json", body)
		} else {
			b = b.WithMethod(http.MethodGet).WithPath("/v2/products/usage-types")
		}
		for k := 0; k < r.intn(5); k++ {
			key := []string{"q", "x_y", "a b", "名", "k+1", "z"}[r.intn(6)]
			if r.intn(4) == 0 {
				b = b.AddQueryParam(key, reflect.ValueOf([]string{values[r.intn(len(values))], values[r.intn(len(values))]}))
			} else {
				b = b.AddQueryParam(key, reflect.ValueOf(values[r.intn(len(values))]))
			}
		}
		b = b.AddHeaderParam("Content-Type", "application/json").
			AddHeaderParam("X-Domain-Id", DemoDomainID).
			AddHeaderParam("User-Agent", "huaweicloud-usdk-go/3.0").
			AddHeaderParam("X-Sdk-Date", fixedNow.UTC().Format(sdkDateFormat))
		if r.intn(2) == 0 {
			b = b.AddHeaderParam("X-Language", "en_US")
		}
		req := b.Build()
		hdrs, err := signer.Sign(req, DemoAK, DemoSK)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hdrs {
			req.AddHeaderParam(k, v)
		}
		hr, err := req.ConvertRequest()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := req.GetBodyToBytes()
		w := httptest.NewRecorder()
		s.ServeHTTP(w, hr)
		if w.Code == http.StatusUnauthorized {
			t.Fatalf("request %d (%s %s, body %q) rejected: %s", i, hr.Method, hr.URL.RequestURI(), body.String(), w.Body.String())
		}
		// Tamper with the query: the signature must no longer match.
		if hr.URL.RawQuery != "" && !post {
			hr2 := hr.Clone(hr.Context())
			hr2.URL.RawQuery = strings.Replace(hr.URL.RawQuery, "=", "=X", 1)
			if hr2.URL.RawQuery == hr.URL.RawQuery {
				hr2.URL.RawQuery += "&extra=1"
			}
			w2 := httptest.NewRecorder()
			s.ServeHTTP(w2, hr2)
			if w2.Code != http.StatusUnauthorized {
				t.Fatalf("tampered request %d accepted (%s)", i, hr2.URL.RawQuery)
			}
		}
	}
}
