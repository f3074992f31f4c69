package bss

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Wire scalar types. Each accepts the representations the reference
// documents or warns about, and rejects anything else with a
// *json.UnmarshalTypeError, which encoding/json annotates with the field
// path; no wrong type ever becomes a silent zero. JSON null means "absent".

var (
	decimalType = reflect.TypeOf(decimal.Decimal{})
	timeType    = reflect.TypeOf(time.Time{})
	intType     = reflect.TypeOf(0)
	stringType  = reflect.TypeOf("")
)

// maxExponent bounds exponent notation; money never needs more, and a huge
// exponent would make a decimal with billions of digits.
const maxExponent = 64

// jsonKind names the JSON kind of a raw value, for error messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '"':
		if len(b) > 40 {
			return "string " + string(b[:37]) + `…"`
		}
		return "string " + string(b)
	case 't', 'f':
		return "bool"
	case '{':
		return "object"
	case '[':
		return "array"
	case 'n':
		return "null"
	}
	if len(b) > 40 {
		return "number " + string(b[:40]) + "…"
	}
	return "number " + string(b)
}

// unquote returns the content of a JSON string literal.
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// ParseDecimal parses decimal text as the API may send it: plain
// ("12.30", "-0.5"), or exponent form ("1.5E+2", "0E-8"). It rejects empty
// text, whitespace, hex, NaN/Inf and exponents beyond ±64.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Decimal{}, errors.New("empty decimal")
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	if !validMantissa(mant) {
		return decimal.Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	if exp != "" || strings.ContainsAny(s, "eE") {
		e := exp
		if e != "" && (e[0] == '+' || e[0] == '-') {
			e = e[1:]
		}
		if e == "" || strings.Trim(e, "0123456789") != "" {
			return decimal.Decimal{}, fmt.Errorf("invalid decimal %q", s)
		}
		if n, err := strconv.Atoi(exp); err != nil || n > maxExponent || n < -maxExponent {
			return decimal.Decimal{}, fmt.Errorf("decimal %q: exponent out of range", s)
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	return d, nil
}

// validMantissa accepts [+-]digits[.digits] with at least one digit.
func validMantissa(m string) bool {
	if m != "" && (m[0] == '-' || m[0] == '+') {
		m = m[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(m); i++ {
		switch c := m[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// wDec is an exact decimal that accepts a JSON number, a string holding a
// decimal number, exponent form, or null (absent: zero, set=false).
type wDec struct {
	d   decimal.Decimal
	set bool
}

func (w *wDec) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = wDec{}
		return nil
	}
	raw := b
	if b[0] == '"' && len(b) >= 2 && b[len(b)-1] == '"' {
		raw = b[1 : len(b)-1]
	}
	if d, ok := fastDecimal(raw); ok {
		*w = wDec{d: d, set: true}
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var ok bool
		if s, ok = unquote(b); !ok {
			return &json.UnmarshalTypeError{Value: jsonKind(b), Type: decimalType}
		}
	} else if b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: decimalType}
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: decimalType}
	}
	*w = wDec{d: d, set: true}
	return nil
}

// zeroDecimal is shared by every decoded zero; decimals are immutable.
var zeroDecimal = decimal.New(0, 0)

// fastDecimal parses the common plain form [-]digits[.digits] with at most
// 18 significant digits without going through strings (one allocation, or
// none for zero). Anything else is left to ParseDecimal.
func fastDecimal(b []byte) (decimal.Decimal, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var v int64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits >= 18 {
				return decimal.Decimal{}, false
			}
			v = v*10 + int64(c-'0')
			if v > 0 {
				digits++
			}
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return decimal.Decimal{}, false
		}
	}
	if frac == 0 && dot && (len(b) == 0 || b[len(b)-1] == '.') || len(b) == 0 || (neg && len(b) == 1) || b[len(b)-1] == '.' {
		return decimal.Decimal{}, false
	}
	if b[0] == '.' || (neg && b[1] == '.') {
		return decimal.Decimal{}, false
	}
	if v == 0 {
		return zeroDecimal, true
	}
	if neg {
		v = -v
	}
	return decimal.New(v, int32(-frac)), true
}

// wInt is an integer that accepts a JSON number without fraction, a string
// holding one, or null (zero).
type wInt int

func (w *wInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = 0
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var ok bool
		if s, ok = unquote(b); !ok || s == "" {
			return &json.UnmarshalTypeError{Value: jsonKind(b), Type: intType}
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		// Accept an integral value in decimal or exponent form (3.0, 1E+1).
		d, derr := ParseDecimal(s)
		if derr != nil || !d.IsInteger() || !d.BigInt().IsInt64() || d.IntPart() != int64(int(d.IntPart())) {
			return &json.UnmarshalTypeError{Value: jsonKind(b), Type: intType}
		}
		n = int(d.IntPart())
	}
	*w = wInt(n)
	return nil
}

// wStr is a code that the API sends as a string on some endpoints and as an
// integer on others (charge_mode, period_type): either becomes its text.
type wStr string

func (w *wStr) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*w = ""
	case b[0] == '"':
		s, ok := unquote(b)
		if !ok {
			return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
		}
		*w = wStr(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*w = wStr(b)
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
	}
	return nil
}

// timeLayouts are tried in order: the documented UTC "…Z" form first, then
// lenient variants (fractions, offsets, no zone = UTC, space separator).
var timeLayouts = []string{
	"2006-01-02T15:04:05Z",
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
}

// ParseTime parses a BSS timestamp leniently and returns it in UTC. Text
// without a zone is taken as UTC (the documented zone of all timestamps).
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid timestamp %q", s)
}

// wTime is a UTC timestamp; null or "" is the zero time.
type wTime time.Time

func (w *wTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = wTime{}
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: timeType}
	}
	if s == "" {
		*w = wTime{}
		return nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: timeType}
	}
	*w = wTime(t)
	return nil
}

// wStatus carries the error fields a 2xx body may contain (§5.1).
type wStatus struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

func (s *wStatus) status() *wStatus { return s }

type statusCarrier interface{ status() *wStatus }

// apiError returns an *Error when a 2xx body carries an error code.
func (s *wStatus) apiError() error {
	if s.ErrorCode == "" || s.ErrorCode == "CBC.0000" {
		return nil
	}
	return &Error{StatusCode: 200, Code: s.ErrorCode, Message: s.ErrorMsg, RequestID: s.RequestID}
}

// decodeBody unmarshals body into v (a pointer to a wire struct that embeds
// wStatus). On failure it re-walks the body to name the failing element of
// the array under arrayKey (if any) and its byte offset, in a *DecodeError.
// A body whose error_code is set becomes an *Error.
func decodeBody(body []byte, v statusCarrier, arrayKey string, elem func() any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return v.status().apiError()
	}
	// An error body may also fail to match the success shape.
	var st wStatus
	if json.Unmarshal(body, &st) == nil {
		if e := st.apiError(); e != nil {
			return e
		}
	}
	de := &DecodeError{Offset: -1, Err: err}
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		de.Offset = int(se.Offset)
		if len(bytes.TrimSpace(body)) == 0 {
			de.Err = fmt.Errorf("empty body: %w", err)
		}
		return de
	case errors.As(err, &ute):
		de.Field, de.Offset = ute.Field, int(ute.Offset)
		if de.Field == "" && ute.Struct == "" {
			de.Field = "(top level)"
		}
	}
	if arrayKey != "" && elem != nil {
		if idx, off, eerr := locate(body, arrayKey, elem); idx >= 0 {
			de.Offset = off
			prefix := fmt.Sprintf("%s[%d]", arrayKey, idx)
			if errors.As(eerr, &ute) {
				if ute.Offset > 0 {
					de.Offset = off + int(ute.Offset)
				}
				field := strings.TrimPrefix(strings.TrimPrefix(ute.Field, arrayKey), ".")
				if field != "" {
					prefix += "." + field
				}
			}
			de.Field = prefix
		}
	}
	if ute != nil {
		de.Err = fmt.Errorf("got %s, want %s", ute.Value, wantName(ute.Type))
	}
	return de
}

// wantName describes a Go type as the JSON value it expects.
func wantName(t reflect.Type) string {
	switch {
	case t == nil:
		return "another type"
	case t == decimalType:
		return "a decimal (number or numeric string)"
	case t == timeType:
		return "a timestamp string"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Slice:
		return "an array"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "an object"
	}
	return t.String()
}

// locate walks body to the array under key and decodes its elements one by
// one; it returns the index and byte offset of the first element that
// fails to decode (-1 if none does).
func locate(body []byte, key string, elem func() any) (int, int, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return -1, -1, nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return -1, -1, nil
		}
		if k, _ := t.(string); k != key {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return -1, -1, nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return -1, -1, nil
		}
		for i := 0; dec.More(); i++ {
			start := int(dec.InputOffset())
			// InputOffset is before the separator and whitespace; skip them.
			for start < len(body) && (body[start] == ',' || body[start] == ' ' || body[start] == '\n' || body[start] == '\r' || body[start] == '\t') {
				start++
			}
			if err := dec.Decode(elem()); err != nil {
				return i, start, err
			}
		}
		return -1, -1, nil
	}
	return -1, -1, nil
}

// elemOffset returns the byte offset of element i of the array under key, or -1.
func elemOffset(body []byte, key string, i int) int {
	idx := -1
	n := 0
	_, off, _ := locate(body, key, func() any {
		if n == i {
			idx = i
			n++
			return failer{}
		}
		n++
		return new(json.RawMessage)
	})
	if idx < 0 {
		return -1
	}
	return off
}

// failer stops locate at the element it is handed.
type failer struct{}

func (failer) UnmarshalJSON([]byte) error { return errors.New("stop") }

// moneyScale converts an amount in the unit of measureID to currency units:
// 1 = unit of currency, 2 = 0.1 (jiao), 3 = 0.01 (fen); 0 (absent) is 1.
func moneyScale(measureID int) (int32, bool) {
	switch measureID {
	case 0, 1:
		return 0, true
	case 2:
		return -1, true
	case 3:
		return -2, true
	}
	return 0, false
}

// money applies the measure scale to w.
func money(w wDec, shift int32) decimal.Decimal {
	if shift == 0 {
		return w.d
	}
	return w.d.Shift(shift)
}

// sum adds terms left to right.
func sum(terms []decimal.Decimal) decimal.Decimal {
	s := terms[0]
	for _, t := range terms[1:] {
		s = s.Add(t)
	}
	return s
}

// sumEquals reports whether the terms add up to want exactly. Amounts are
// nearly always small (coefficients below 10^18 at nearby exponents): it
// then compares in int64, without the allocations of decimal arithmetic,
// and falls back to sum otherwise.
func sumEquals(want decimal.Decimal, terms []decimal.Decimal) bool {
	m := want.Exponent()
	for _, t := range terms {
		m = min(m, t.Exponent())
	}
	// scaled returns d's coefficient at exponent m when its magnitude is
	// at most 2^58, so that up to 31 of them add without overflow.
	scaled := func(d decimal.Decimal) (int64, bool) {
		k := int(d.Exponent()) - int(m)
		if k > 17 || d.NumDigits() > 18 {
			return 0, false
		}
		c, p := d.CoefficientInt64(), int64(pow10[k])
		if lim := int64(1<<58) / p; c > lim || c < -lim {
			return 0, false
		}
		return c * p, true
	}
	total, ok := scaled(want)
	if !ok || len(terms) > 30 {
		return sum(terms).Equal(want)
	}
	total = -total
	for _, t := range terms {
		c, ok := scaled(t)
		if !ok {
			return sum(terms).Equal(want)
		}
		total += c
	}
	return total == 0
}

// pow10 holds 10^0 … 10^17.
var pow10 = func() (p [18]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// normaliseEnterpriseProject maps the service's spellings of "no enterprise
// project" (null, "", "-1") to UnassignedEnterpriseProject.
func normaliseEnterpriseProject(s string) string {
	if s == "" || s == UnassignedEnterpriseProject || strings.EqualFold(s, "null") {
		return UnassignedEnterpriseProject
	}
	return s
}

// UnassignedEnterpriseProject is the EnterpriseProjectID of resources that
// belong to no enterprise project; the API sends it as null, "" or "-1".
const UnassignedEnterpriseProject = "-1"

// validDate checks "YYYY-MM-DD".
func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}
