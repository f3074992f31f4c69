package bss

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIsRetryable(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&transportError{errors.New("dial tcp: connection refused")}, true},
		{fmt.Errorf("wrapped: %w", &transportError{io.ErrUnexpectedEOF}), true},
		{syscall.ECONNRESET, true},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{&Error{StatusCode: 500, Code: "CBC.0999"}, true},
		{&Error{StatusCode: 502, Code: "APIG.0202"}, true},
		{&Error{StatusCode: 503}, true},
		{&Error{StatusCode: 429, Code: "APIG.0308"}, true},
		{&Error{StatusCode: 400, Code: "APIGW.0308"}, true},
		{&Error{StatusCode: 400, Code: CodeIPThrottled}, true},
		{&RateLimitError{Err: &Error{StatusCode: 429}}, true},
		{&Error{StatusCode: 200, Code: "CBC.0999"}, true},
		{&Error{StatusCode: 200, Code: "CBC.0100"}, false},
		{&Error{StatusCode: 400, Code: "CBC.0100"}, false},
		{&Error{StatusCode: 403, Code: "CBC.0151"}, false},
		{&Error{StatusCode: 400, Code: CodeTooManyMembers}, false},
		{&Error{StatusCode: 401, Code: "APIG.0301"}, false},
		{&Error{StatusCode: 404, Code: "APIG.0101"}, false},
		{&Error{StatusCode: 500, Code: "CBC.7181"}, false},
		{&DriftError{}, false},
		{&DecodeError{Err: errors.New("bad type")}, false},
	}
	for _, tc := range cases {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{cfg: Config{RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: time.Second}}
	for attempt, base := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		base *= time.Millisecond
		for range 50 {
			d := c.backoff(attempt, errors.New("x"))
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("attempt %d: %s outside %s ±20%%", attempt, d, base)
			}
		}
	}
	if d := c.backoff(0, &RateLimitError{RetryAfter: 3 * time.Second}); d != 3*time.Second {
		t.Errorf("Retry-After ignored: %s", d)
	}
	if d := c.backoff(0, &RateLimitError{RetryAfter: time.Hour}); d != maxRetryAfter {
		t.Errorf("Retry-After not bounded: %s", d)
	}
	now := time.Date(2024, 6, 3, 2, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"2": 2 * time.Second, "0.5": 500 * time.Millisecond, "": 0, "-1": 0, "soon": 0,
		"Mon, 03 Jun 2024 02:00:07 GMT": 7 * time.Second, "Mon, 03 Jun 2024 01:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestDeadlineKeepsLastCause: when the caller's deadline ends the retries of
// an unreachable endpoint, the error is the deadline's (not retryable) and
// still says "connection refused"; each backoff step logs one info line.
func TestDeadlineKeepsLastCause(t *testing.T) {
	var logs strings.Builder
	creds := Credentials{AK: "AKTESTTESTTESTTEST01", SK: "sk", DomainID: "d"}
	c, err := NewClient(Config{Endpoint: "http://127.0.0.1:1/", RetryBaseDelay: 100 * time.Millisecond, RetryMaxDelay: 100 * time.Millisecond, // 8 waits of at least 80 ms outlast the 400 ms deadline
		RateLimit: -1}, creds, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, err = c.Balances(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection refused") || IsRetryable(err) {
		t.Errorf("err = %v; want the deadline, not retryable, with the last cause (connection refused)", err)
	}
	if n := strings.Count(logs.String(), "level=INFO msg=\"BSS request failed; retrying\""); n < 2 {
		t.Errorf("%d retries logged at info, want one per backoff step:\n%s", n, logs.String())
	}
	if c.Host() != "127.0.0.1:1" {
		t.Errorf("Host() = %q", c.Host())
	}
}
