package bsssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

const maxBody = 12 << 20

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errors.New("body too large")
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bufPool recycles the large page buffers of res-fee-records.
var bufPool sync.Pool

func getBuf(n int) []byte {
	if b, ok := bufPool.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]byte, 0, n)
}

// putBuf returns a buffer once its bytes have been written out.
func putBuf(b []byte) {
	if cap(b) >= 64<<10 {
		b = b[:0]
		bufPool.Put(&b)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

func errBadCycle(c string) error { return fmt.Errorf("bsssim: bad billing cycle %q (want YYYY-MM)", c) }

// gatewayError is the API gateway's error body (reference §5.1 shape 2).
func gatewayError(code, msg, reqID string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMsg  string `json:"error_msg"`
		ErrorCode string `json:"error_code"`
		RequestID string `json:"request_id"`
	}{msg, code, reqID})
	return b
}

// bssError is a BSS business error body (reference §5.1 shape 1).
func bssError(code, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
	}{code, msg})
	return b
}

func throttleBody(limit float64, reqID string) []byte {
	return gatewayError("APIG.0308",
		fmt.Sprintf("The throttling threshold has been reached: policy user over ratelimit,limit:%s,time:1 second",
			strconv.FormatFloat(limit, 'f', -1, 64)), reqID)
}

// paramError answers 400 CBC.0100.
func paramError(format string, args ...any) (int, []byte) {
	return http.StatusBadRequest, bssError("CBC.0100", "Parameter error: "+fmt.Sprintf(format, args...))
}

// accessDenied answers 403 CBC.0151.
func accessDenied() (int, []byte) {
	return http.StatusForbidden, bssError("CBC.0151", "Access denied.")
}

func marshal(v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return http.StatusInternalServerError, bssError("CBC.0999", "Other errors.")
	}
	return http.StatusOK, b
}

// money is an amount in cents, encoded as a JSON number with 2 decimals.
type money int64

// MarshalJSON implements json.Marshaler.
func (m money) MarshalJSON() ([]byte, error) { return appendCents(nil, int64(m)), nil }

// qty is a quantity in thousandths, encoded as a JSON number.
type qty int64

// MarshalJSON implements json.Marshaler.
func (q qty) MarshalJSON() ([]byte, error) { return appendFixed(nil, int64(q), 3), nil }

// appendCents writes v/100 with exactly two decimals.
func appendCents(buf []byte, v int64) []byte { return appendFixedExact(buf, v, 2) }

func appendFixedExact(buf []byte, v int64, dec int) []byte {
	if v < 0 {
		buf = append(buf, '-')
		v = -v
	}
	p := int64(1)
	for i := 0; i < dec; i++ {
		p *= 10
	}
	buf = strconv.AppendInt(buf, v/p, 10)
	if dec == 0 {
		return buf
	}
	buf = append(buf, '.')
	frac := v % p
	for d := p / 10; d > 0; d /= 10 {
		buf = append(buf, byte('0'+frac/d%10))
	}
	return buf
}

// appendFixed writes v/10^dec without trailing zeros.
func appendFixed(buf []byte, v int64, dec int) []byte {
	for dec > 0 && v%10 == 0 {
		v /= 10
		dec--
	}
	return appendFixedExact(buf, v, dec)
}

// fixedString is appendFixed as a string (for string-typed quantities).
func fixedString(v int64, dec int) string { return string(appendFixed(nil, v, dec)) }

// appendJSONString writes s as a JSON string literal.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		buf = append(buf, s...)
		return append(buf, '"')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c < 0x20:
				buf = append(buf, `\u00`...)
				buf = append(buf, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		buf = append(buf, s[i:i+size]...)
		i += size
	}
	return append(buf, '"')
}
