package bss

import (
	"context"
	"errors"
	"fmt"
	"io"
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
