package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	var out syncBuffer
	errc := make(chan error, 1)
	env := map[string]string{"BSS_SIM_RECORDS": "50", "BSS_SIM_FAULT_5XX": "0"}
	go func() {
		errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-members", "2"}, func(k string) string { return env[k] }, &out, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-errc:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready")
	}
	for _, want := range []string{"export SYNCD_BSS_ENDPOINT=" + url, "export HUAWEICLOUD_SDK_AK=", "export HUAWEICLOUD_SDK_DOMAIN_ID=", "records"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	res, err := http.Get(url + "/v2/accounts/customer-accounts/balances")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || len(res.Header.Get("X-Request-Id")) != 32 {
		t.Fatalf("unsigned request: %d", res.StatusCode)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsNonLoopback(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "0.0.0.0:0"}, func(string) string { return "" }, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v", err)
	}
}

// TestRunRejectsBadEnv: bad numeric environment values are errors naming
// each variable, all at once, not silently the defaults.
func TestRunRejectsBadEnv(t *testing.T) {
	env := map[string]string{"BSS_SIM_SEED": "abc", "BSS_SIM_FAULT_5XX": "ten%", "BSS_SIM_LATENCY": "slow"}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &bytes.Buffer{}, nil)
	for _, want := range []string{`BSS_SIM_SEED: "abc" is not an integer`, `BSS_SIM_FAULT_5XX: "ten%" is not a number`, `BSS_SIM_LATENCY: "slow" is not a duration`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to contain %q", err, want)
		}
	}
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0", "-quotas", "NoSuchOp=3"}, func(string) string { return "" }, &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "NoSuchOp=3") {
		t.Errorf("unknown quota operation: err = %v", err)
	}
}
