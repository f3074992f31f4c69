package bss

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// A minimal JSON scanner for the fast decoder (fastdecode.go): it checks
// syntax as encoding/json does and reports spans, never building values;
// anything it is unsure of makes the fast path defer to encoding/json.

// upperASCII appends b upper-cased (ASCII letters only) to dst.
func upperASCII(dst, b []byte) []byte {
	for _, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// maxFastDepth bounds nesting in the fast path (encoding/json allows
// 10000); deeper bodies go to the slow path.
const maxFastDepth = 200

// strPlain marks the bytes a JSON string may contain as is and that need
// no further look: printable ASCII other than '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// String flags reported by scanString.
const (
	strEscaped  = 1 << iota // contains a backslash escape
	strNonASCII             // contains a byte >= 0x80
)

// scanner is a strict JSON scanner over one body. Every method returns
// false (and the fast path gives up) at the first byte it is not sure
// about; it never reports an error of its own.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (s *scanner) peek() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// SWAR constants: one bit per byte lane of a little-endian uint64.
const (
	lanes1   = 0x0101010101010101
	lanesMSB = 0x8080808080808080
)

// scanString consumes a string literal at s.i, validating its escapes as
// encoding/json's scanner does, and reports strEscaped/strNonASCII.
func (s *scanner) scanString() (flags int, ok bool) {
	b, j := s.b, s.i+1
	for {
		// Eight bytes at a time while none is '"', '\\' or a control
		// character (bytes >= 0x80 only set strNonASCII).
		for j+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[j:])
			q, bs := w^(lanes1*'"'), w^(lanes1*'\\')
			m := ((q - lanes1) &^ q) | ((bs - lanes1) &^ bs) | ((w - lanes1*0x20) &^ w)
			m &= lanesMSB
			if m == 0 {
				if w&lanesMSB != 0 {
					flags |= strNonASCII
				}
				j += 8
				continue
			}
			// The lowest flagged lane is exact (borrows only run upwards).
			pos := bits.TrailingZeros64(m)
			if w&lanesMSB&(1<<pos-1) != 0 {
				flags |= strNonASCII
			}
			j += pos / 8
			break
		}
		for j < len(b) && strPlain[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, false
		}
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return flags, true
		case c == '\\':
			flags |= strEscaped
			if j+1 >= len(b) {
				return 0, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(b) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) || !isHex(b[j+5]) {
					return 0, false
				}
				j += 6
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		default: // >= 0x80
			flags |= strNonASCII
			j++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scanNumber consumes a number at s.i with JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) scanNumber() bool {
	b, j := s.b, s.i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && '1' <= b[j] && b[j] <= '9':
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	default:
		return false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !isDigit(b[j]) {
			return false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !isDigit(b[j]) {
			return false
		}
		for j < len(b) && isDigit(b[j]) {
			j++
		}
	}
	s.i = j
	return true
}

// literal consumes lit ("true", "false" or "null") at s.i.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// scalar consumes a string, number or null at s.i (the types a wire field
// may accept) and reports string flags; true, false, objects and arrays
// are refused, as every wire type rejects them.
func (s *scanner) scalar() (flags int, ok bool) {
	if s.i >= len(s.b) {
		return 0, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.scanString()
	case c == 'n':
		return 0, s.literal("null")
	case c == '-' || isDigit(c):
		return 0, s.scanNumber()
	}
	return 0, false
}

// skipValue consumes any JSON value at s.i, strictly; depth is the
// nesting depth of the value's container.
func (s *scanner) skipValue(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.scanString()
		return ok
	case c == '-' || isDigit(c):
		return s.scanNumber()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '{':
		if depth >= maxFastDepth {
			return false
		}
		s.i++
		if s.peek() == '}' {
			s.i++
			return true
		}
		for {
			if s.peek() != '"' {
				return false
			}
			if _, ok := s.scanString(); !ok || s.peek() != ':' {
				return false
			}
			s.i++
			s.ws()
			if !s.skipValue(depth + 1) {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return true
			default:
				return false
			}
		}
	case c == '[':
		if depth >= maxFastDepth {
			return false
		}
		s.i++
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			s.ws()
			if !s.skipValue(depth + 1) {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	}
	return false
}

// key consumes an object key and the colon after it. It refuses keys that
// encoding/json might match differently from a byte comparison: escaped
// or non-ASCII ones.
func (s *scanner) key() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i
	flags, ok := s.scanString()
	if !ok || flags != 0 {
		return nil, false
	}
	k := s.b[start+1 : s.i-1]
	if s.peek() != ':' {
		return nil, false
	}
	s.i++
	s.ws()
	return k, true
}

// expectKey consumes the key k (plain ASCII, no escapes) and the colon
// after it when they come next, and reports whether they did.
func (s *scanner) expectKey(k string) bool {
	b, i := s.b, s.i
	if s.peek() != '"' || len(b)-s.i < len(k)+2 || b[s.i+1+len(k)] != '"' || string(b[s.i+1:s.i+1+len(k)]) != k {
		s.i = i
		return false
	}
	s.i += len(k) + 2
	if s.peek() != ':' {
		s.i = i
		return false
	}
	s.i++
	return true
}

// unknownKey reports whether key may be skipped: it matches none of the
// (upper-cased) known keys, not even case-insensitively.
func unknownKey(key []byte, folded map[string]bool) bool {
	var buf [64]byte
	if len(key) > len(buf) {
		return true // longer than any known key
	}
	return !folded[string(upperASCII(buf[:0], key))]
}

// pageString decodes a top-level string field: null leaves *p unchanged.
func (s *scanner) pageString(p *string) bool {
	vs := s.i
	flags, ok := s.scalar()
	raw := s.b[vs:s.i]
	switch {
	case !ok:
		return false
	case raw[0] == 'n':
	case raw[0] != '"':
		return false
	case flags&strNonASCII != 0 && !utf8.Valid(raw[1:len(raw)-1]):
		return false
	case flags&strEscaped == 0:
		*p = string(raw[1 : len(raw)-1])
	default:
		if *p, ok = unquote(raw); !ok {
			return false
		}
	}
	return true
}
