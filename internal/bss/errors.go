package bss

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Error codes the client reacts to (reference §5.2).
const (
	// CodeTooManyMembers is returned for a method=all query by a master with
	// more than 1000 independent-accounting members; query members one by one.
	CodeTooManyMembers = "CBC.18000048"
	// CodeAccessDenied is a role or IAM permission failure.
	CodeAccessDenied = "CBC.0151"
	// CodeParameterError is a bad, missing or out-of-range parameter.
	CodeParameterError = "CBC.0100"
	// CodeIPThrottled is the enterprise APIs' "your IP has been throttled"; retried like a 429.
	CodeIPThrottled = "CBC.99007197"
	// CodeInternal is the backend's "other error"; retried like a 5xx.
	CodeInternal = "CBC.0999"
)

// Error is an error answer of the BSS API: a non-2xx status, or an HTTP 200
// whose body carries an error_code other than CBC.0000. URL never contains
// credentials (they travel in headers only, and sanitizeURL strips anything
// that looks like one).
type Error struct {
	StatusCode int
	Code       string // error_code, e.g. "CBC.0100", "APIG.0308"
	Message    string // error_msg
	RequestID  string // X-Request-Id header, or request_id in a gateway body
	Operation  string // e.g. "ListCustomerselfResourceRecords"
	URL        string // method and URL of the request, without secrets
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bss %s: %s: HTTP %d", e.Operation, e.URL, e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request_id %s)", e.RequestID)
	}
	return b.String()
}

// codeSuffix returns the numeric part of a gateway code: "APIG.0308" and
// "APIGW.0308" both give "0308" (clients must match on the suffix, §5.1).
func gatewayCode(code string) (string, bool) {
	prefix, suffix, ok := strings.Cut(code, ".")
	if !ok || (prefix != "APIG" && prefix != "APIGW") {
		return "", false
	}
	return suffix, true
}

// UnsupportedError is returned, without any request, for an operation the
// configured site does not offer. ListEnterpriseOrganizations is the one
// case: it is absent from the international SDK (bssintl), and the
// reference (§10.1, §18 item 11) does not show the intl service serving it,
// so the client does not call it there. It matches errors.ErrUnsupported.
type UnsupportedError struct {
	Operation string // e.g. "ListEnterpriseOrganizations"
	Site      Site
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("bss %s: not offered on the %q site", e.Operation, string(e.Site))
}

// Is makes errors.Is(err, errors.ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }

// throttled reports whether e is a throttling answer.
func (e *Error) throttled() bool {
	if e.StatusCode == 429 || e.Code == CodeIPThrottled {
		return true
	}
	s, ok := gatewayCode(e.Code)
	return ok && s == "0308"
}

// permanentCodes never succeed on retry, whatever the HTTP status.
var permanentCodes = map[string]bool{
	"CBC.0100": true, "CBC.0101": true, "CBC.0150": true, "CBC.0151": true, "CBC.0154": true,
	"CBC.0155": true, "CBC.0156": true, "CBC.18000014": true, "CBC.18000016": true,
	CodeTooManyMembers: true, "CBC.99000084": true, "CBC.7181": true,
}

// RateLimitError is a throttling answer (HTTP 429, APIG(W).0308 or
// CBC.99007197). RetryAfter is the server's Retry-After, zero if absent.
type RateLimitError struct {
	Err        *Error
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("rate limited (retry after %s): %v", e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("rate limited: %v", e.Err)
}

// Unwrap returns the underlying *Error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// DecodeError is a 2xx response body that could not be decoded: malformed
// JSON, a value of the wrong type, or a value that breaks the API's rules
// (an unknown money measure_id, a malformed date). Field is the JSON path
// with array indexes (e.g. "fee_records[17].amount"); Offset is the byte
// offset in the body where the offending value (or its record) starts, -1
// when unknown; PageOffset is the paging offset of the request.
type DecodeError struct {
	Operation  string
	Field      string
	Offset     int
	PageOffset int
	Err        error
}

// Error implements error.
func (e *DecodeError) Error() string {
	f := e.Field
	if f == "" {
		f = "(body)"
	}
	return fmt.Sprintf("bss %s offset=%d: decode %s at byte %d: %v", e.Operation, e.PageOffset, f, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// truncated reports whether the body ended early or was not JSON at all,
// which a retry can cure (a cut connection, a proxy error page).
func (e *DecodeError) truncated() bool {
	var se *json.SyntaxError
	return errors.As(e.Err, &se) || errors.Is(e.Err, io.ErrUnexpectedEOF)
}

// DriftError reports that a paged listing did not hold still: total_count
// changed between the first page and a later one (First, Last), or a page
// came back empty or too long before total_count was reached. The records
// already yielded are not a consistent snapshot; re-read the whole set.
type DriftError struct {
	Operation string
	First     int // total_count of the first page
	Last      int // total_count (or the reached offset) when the drift was seen
	Yielded   int // records yielded before the drift was seen
	Reason    string
}

// Error implements error.
func (e *DriftError) Error() string {
	return fmt.Sprintf("bss %s: result changed while paging (%s): total_count first=%d last=%d after %d records",
		e.Operation, e.Reason, e.First, e.Last, e.Yielded)
}

// transportError marks a failure to get a complete response: a connection
// error, a reset, a timeout of one attempt or a body cut short.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// IsRetryable reports whether a later attempt of the same request may
// succeed: transport errors, truncated bodies, 5xx, throttling (429,
// APIG(W).0308, CBC.99007197) and HTTP 200 with an error body (unless its
// code is known to be permanent). Never CBC.* 4xx, never a cancelled or
// expired caller context, never a type error in a body, never drift.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.throttled():
			return true
		case permanentCodes[e.Code]:
			return false
		case e.StatusCode >= 500:
			return true
		case e.StatusCode >= 200 && e.StatusCode < 300:
			return true // a 200 carrying an error body (legacy behaviour, §5.1)
		}
		return false
	}
	var de *DecodeError
	if errors.As(err, &de) {
		return de.truncated()
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	return false
}

// HasCode reports whether err is an *Error (possibly wrapped) with the given code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// sanitizeURL renders u without user info and with the values of
// credential-like query parameters replaced.
func sanitizeURL(method string, u *url.URL) string {
	if u == nil {
		return method
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			lk := strings.ToLower(k)
			for _, bad := range []string{"token", "secret", "signature", "password", "access_key", "sk", "ak"} {
				if lk == bad || strings.Contains(lk, bad) && len(bad) > 2 {
					q[k] = []string{"REDACTED"}
					changed = true
				}
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return method + " " + c.String()
}
