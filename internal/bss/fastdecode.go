package bss

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The res-fee-records and fee-records pages are the daemon's hot paths:
// encoding/json spends most of its time validating, reflecting and
// allocating one string per field. fastPage is a strict hand-written
// scanner for both page kinds, each described by a pageKind (its records
// key, its wire record's field table derived by reflection, and the
// conversion of a wire record that the reference decoder also runs). It
// fills the same wire structs through the same wire types and then runs
// the same conversion, but it only answers when it is sure to agree with
// encoding/json: anything unusual (a syntax doubt, a duplicate or
// case-variant key, a null element, invalid UTF-8, a value a wire type
// rejects, an error_code, a record the conversion refuses, ...) makes it
// return ok=false, and the caller decodes the body again with the page's
// encoding/json reference (decodeResourceRecordsPageSlow,
// decodeTransactionPageSlow), which produces the reference result or
// error. FuzzFastDecodeMatchesSlow and FuzzFastTransactionsMatchSlow check
// the agreement.

// decodeResourceRecordsPageSlow is the reference decoder of a
// res-fee-records body: encoding/json through decodeBody, with its
// field-and-offset error messages.
func decodeResourceRecordsPageSlow(body []byte, cycle Month, siteCurrency string) ([]ResourceRecord, int, string, error) {
	var p wResFeePage
	if err := decodeBody(body, &p, "fee_records", func() any { return new(wResFeeRecord) }); err != nil {
		return nil, 0, "", err
	}
	total, err := pageTotal(p.TotalCount)
	if err != nil {
		return nil, 0, "", err
	}
	cur := p.Currency
	if cur == "" {
		cur = siteCurrency
	}
	out := make([]ResourceRecord, len(p.FeeRecords))
	for i := range p.FeeRecords {
		r, ef := p.FeeRecords[i].record(cycle, cur)
		if ef != nil {
			return nil, 0, "", &DecodeError{Field: fmt.Sprintf("fee_records[%d].%s", i, ef.field), Offset: elemOffset(body, "fee_records", i), Err: ef.err}
		}
		out[i] = r
	}
	return out, total, cur, nil
}

// fastResourceRecordsPage decodes a res-fee-records body as
// decodeResourceRecordsPageSlow would, or returns ok=false when it cannot
// be sure to (including every body that decoder rejects).
func fastResourceRecordsPage(body []byte, cycle Month, siteCurrency string) (recs []ResourceRecord, total int, currency string, ok bool) {
	return fastPage(resFeeKind, body, cycle, siteCurrency)
}

// fastTransactionPage decodes a fee-records body as
// decodeTransactionPageSlow would, or returns ok=false when it cannot be
// sure to (including every body that decoder rejects).
func fastTransactionPage(body []byte, cycle Month, siteCurrency string) (bills []TransactionBill, total int, currency string, ok bool) {
	return fastPage(transactionKind, body, cycle, siteCurrency)
}

// The page kinds the fast path decodes. The type arguments name the wire
// page (checked against the page keys), the wire record and the output.
var (
	resFeeKind = newPageKind[wResFeePage]("fee_records", (*wResFeeRecord).record,
		func(r *ResourceRecord, cur string) { r.Currency = cur })
	transactionKind = newPageKind[wTransactionPage]("records", (*wTransaction).bill,
		func(t *TransactionBill, cur string) { t.Currency = cur })
)

// pageKind describes one kind of list page for fastPage: a body of the
// wStatus keys, total_count, currency and an array of W records under
// recordsKey, each converted to an R by convert (the same function the
// reference decoder runs, so validation lives in one place).
type pageKind[W, R any] struct {
	recordsKey string
	pageKeys   [numPageKeys]pageKey
	// foldedPageKeys holds the page keys upper-cased: encoding/json also
	// assigns a key that matches a field name only case-insensitively,
	// which the fast path leaves to the slow one.
	foldedPageKeys map[string]bool
	rec            recordTable
	// err says why the tables do not describe the wire structs (a field
	// was added, renamed or retyped into something the fast path does not
	// decode); the fast path is then off and encoding/json decodes every
	// page, which stays correct. TestFastTablesMatchWireStructs fails.
	err error
	// convert turns a decoded wire record into the output with the page's
	// currency, or names the field that makes it invalid. It must use the
	// currency only as the output's (setCurrency may replace it later).
	convert func(w *W, cycle Month, currency string) (R, *errField)
	// setCurrency replaces an output's currency (the page's "currency"
	// may come after its records).
	setCurrency func(r *R, currency string)
}

// pageKey is one key of a page and the Go type the fast path decodes it as.
type pageKey struct {
	name string
	typ  reflect.Type
}

// The keys of every page, in pageKind.pageKeys order: the wire page type
// must declare them in this order (wStatus's promoted keys first).
const (
	keyErrorCode = iota
	keyErrorMsg
	keyRequestID
	keyTotalCount
	keyCurrency
	keyRecords
	numPageKeys
)

// newPageKind derives a page kind's tables from its wire types P (the
// page) and W (the record).
func newPageKind[P, W, R any](recordsKey string, convert func(*W, Month, string) (R, *errField), setCurrency func(*R, string)) *pageKind[W, R] {
	k := &pageKind[W, R]{
		recordsKey: recordsKey,
		pageKeys: [numPageKeys]pageKey{
			keyErrorCode:  {"error_code", stringType},
			keyErrorMsg:   {"error_msg", stringType},
			keyRequestID:  {"request_id", stringType},
			keyTotalCount: {"total_count", reflect.TypeFor[*wInt]()},
			keyCurrency:   {"currency", stringType},
			keyRecords:    {recordsKey, reflect.TypeFor[[]W]()},
		},
		foldedPageKeys: map[string]bool{},
		convert:        convert,
		setCurrency:    setCurrency,
	}
	for _, pk := range k.pageKeys {
		k.foldedPageKeys[string(upperASCII(nil, []byte(pk.name)))] = true
	}
	fields, err := recordFieldsOf(reflect.TypeFor[W]())
	k.rec = newRecordTable(fields)
	if err == nil {
		err = checkPageKeys(reflect.TypeFor[P](), k.pageKeys[:])
	}
	k.err = err
	return k
}

// checkPageKeys verifies that keys matches the JSON tags and field types
// of the wire page type t, in order.
func checkPageKeys(t reflect.Type, keys []pageKey) error {
	n := 0
	var walk func(t reflect.Type) error
	walk = func(t reflect.Type) error {
		for j := 0; j < t.NumField(); j++ {
			f := t.Field(j)
			if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
				if err := walk(f.Type); err != nil {
					return err
				}
				continue
			}
			name, ok := plainTag(f)
			if !ok {
				return fmt.Errorf("%s.%s: unsupported field or tag", t.Name(), f.Name)
			}
			if n >= len(keys) || keys[n].name != name || keys[n].typ != f.Type {
				return fmt.Errorf("%s.%s: key %q (%s) not in the table at %d", t.Name(), f.Name, name, f.Type, n)
			}
			n++
		}
		return nil
	}
	if err := walk(t); err != nil {
		return err
	}
	if n != len(keys) {
		return fmt.Errorf("%s has %d keys, table has %d", t.Name(), n, len(keys))
	}
	return nil
}

// maxRecordKeys bounds the record's fields: seen keys are one uint64 bitmask.
const maxRecordKeys = 64

// fieldKind is how the fast path decodes a field.
type fieldKind uint8

const (
	kindString fieldKind = iota + 1
	kindStr
	kindDec
	kindInt
	kindIntPtr // *wInt: nil when absent or null, as encoding/json leaves it
	kindTime
)

// recordField is one JSON key of the record and where its value goes.
type recordField struct {
	key    string
	kind   fieldKind
	offset uintptr
}

// recordFieldsOf derives the field table of a wire record type from its
// JSON tags and field types: field i of the table is struct field i, so
// adding a field to the wire struct needs no change here. A field of a
// type the fast path does not decode is an error (the fast path is off).
func recordFieldsOf(t reflect.Type) ([]recordField, error) {
	if t.NumField() > maxRecordKeys {
		return nil, fmt.Errorf("%s has %d fields, the fast path takes at most %d", t.Name(), t.NumField(), maxRecordKeys)
	}
	kinds := map[reflect.Type]fieldKind{
		stringType: kindString, reflect.TypeFor[wStr](): kindStr, reflect.TypeFor[wDec](): kindDec,
		reflect.TypeFor[wInt](): kindInt, reflect.TypeFor[*wInt](): kindIntPtr, reflect.TypeFor[wTime](): kindTime,
	}
	out := make([]recordField, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := plainTag(f)
		if !ok {
			return nil, fmt.Errorf("%s.%s: unsupported field or tag", t.Name(), f.Name)
		}
		k := kinds[f.Type]
		if k == 0 {
			return nil, fmt.Errorf("%s.%s: unsupported type %s", t.Name(), f.Name, f.Type)
		}
		out[i] = recordField{key: name, kind: k, offset: f.Offset}
	}
	return out, nil
}

// recordTable is a wire record's field table with its lookups.
type recordTable struct {
	fields []recordField
	// index maps a key of fields to its index.
	index map[string]int
	// folded holds the keys upper-cased (see pageKind.foldedPageKeys).
	folded map[string]bool
}

func newRecordTable(fields []recordField) recordTable {
	t := recordTable{fields: fields, index: make(map[string]int, len(fields)), folded: make(map[string]bool, len(fields))}
	for i, f := range fields {
		t.index[f.key] = i
		t.folded[string(upperASCII(nil, []byte(f.key)))] = true
	}
	return t
}

// plainTag returns the JSON name of an exported field tagged `json:"name"`
// without options.
func plainTag(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("json")
	if !f.IsExported() || f.Anonymous || tag == "" || tag == "-" {
		return "", false
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c == ',' || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return tag, true
}

// span is one known field of a record: the raw value is b[start:end].
type span struct {
	field      int8
	flags      uint8
	start, end int32
}

// recordDecoder decodes the records of one page; next[i] predicts the key
// that follows key i, as records of a page share their key order.
type recordDecoder struct {
	s     scanner
	t     *recordTable
	spans [maxRecordKeys]span
	next  [maxRecordKeys + 1]int8
	decs  decCache
	// ints backs the *wInt fields of the record being decoded (slot i for
	// field i), so they cost no allocation: the wire record only lives
	// until its conversion, which copies the values out.
	ints [maxRecordKeys]wInt
}

// decCache remembers recently decoded decimals by their raw JSON text:
// amounts and prices repeat a lot within a page, and each decoded decimal
// otherwise costs an allocation. Decimals are immutable, so records may
// share one (as they already share zeroDecimal).
type decCache [256]struct {
	n   uint8 // length of the raw text; 0 = empty slot
	raw [15]byte
	w   wDec
}

// decode sets *w as w.UnmarshalJSON(raw) would.
func (c *decCache) decode(w *wDec, raw []byte) error {
	if len(raw) > 15 {
		return w.UnmarshalJSON(raw)
	}
	h := uint32(len(raw))
	for _, b := range raw {
		h = h*31 + uint32(b)
	}
	e := &c[(h^h>>8)%uint32(len(c))]
	if int(e.n) == len(raw) && string(e.raw[:e.n]) == string(raw) {
		*w = e.w
		return nil
	}
	if err := w.UnmarshalJSON(raw); err != nil {
		return err
	}
	e.n = uint8(copy(e.raw[:], raw))
	e.w = *w
	return nil
}

// record decodes the object at d.s.i into the zero wire record at w, of
// the type d.t was derived from. Its *wInt fields point into d.ints until
// the next call.
func (d *recordDecoder) record(w unsafe.Pointer) bool {
	s := &d.s
	s.i++ // '{'
	n := 0
	var seen uint64
	prev := maxRecordKeys // the "before the first key" slot of next
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			// Records of a page share their key order: try the key that
			// followed the previous one last time by comparing bytes.
			idx := int(d.next[prev]) - 1
			if idx >= 0 && s.expectKey(d.t.fields[idx].key) {
				s.ws()
			} else if key, ok := s.key(); !ok {
				return false
			} else {
				var known bool
				if idx, known = d.t.index[string(key)]; !known {
					if !unknownKey(key, d.t.folded) || !s.skipValue(3) {
						return false
					}
					idx = -1
				}
			}
			if idx >= 0 {
				if seen&(1<<idx) != 0 {
					return false // duplicate key: encoding/json keeps the last
				}
				seen |= 1 << idx
				d.next[prev] = int8(idx + 1)
				prev = idx
				vs := s.i
				flags, ok := s.scalar()
				if !ok {
					return false
				}
				d.spans[n] = span{field: int8(idx), flags: uint8(flags), start: int32(vs), end: int32(s.i)}
				n++
			}
			switch s.peek() {
			case ',':
				s.i++
				continue
			case '}':
				s.i++
			default:
				return false
			}
			break
		}
	}
	// One string per record backs its plain string and wStr fields: their
	// values one after the other, without the keys, quotes and other
	// values of the record's text (about half of it).
	var (
		text string
		at   [maxRecordKeys]int32 // where the value of span i starts in text
	)
	size := 0
	for i, sp := range d.spans[:n] {
		if lo, hi, ok := d.textValue(sp); ok {
			at[i] = int32(size)
			size += hi - lo
		}
	}
	if size > 0 {
		var b strings.Builder
		b.Grow(size)
		for _, sp := range d.spans[:n] {
			if lo, hi, ok := d.textValue(sp); ok {
				b.Write(s.b[lo:hi])
			}
		}
		text = b.String()
	}
	for i, sp := range d.spans[:n] {
		raw := s.b[sp.start:sp.end]
		isNull := raw[0] == 'n'
		quoted := raw[0] == '"'
		plain := quoted && sp.flags&strEscaped == 0
		// text[lo:hi] is the value without its quotes, when textValue
		// took it.
		lo, hi := int(at[i]), int(at[i])+len(raw)
		if quoted {
			hi -= 2
		}
		f := d.t.fields[sp.field]
		ptr := unsafe.Add(w, f.offset) // the field at f.offset of *w, of f.kind's type
		switch f.kind {
		case kindString:
			p := (*string)(ptr)
			switch {
			case isNull: // encoding/json leaves a string unchanged on null
			case !quoted:
				return false
			case sp.flags&strNonASCII != 0 && !utf8.Valid(raw[1:len(raw)-1]):
				return false // encoding/json would substitute U+FFFD
			case plain:
				*p = text[lo:hi]
			default:
				v, ok := unquote(raw)
				if !ok {
					return false
				}
				*p = v
			}
		case kindStr:
			p := (*wStr)(ptr)
			if plain || (!quoted && !isNull) { // a number is kept as its text
				*p = wStr(text[lo:hi])
			} else if p.UnmarshalJSON(raw) != nil {
				return false
			}
		case kindDec:
			p := (*wDec)(ptr)
			if d.decs.decode(p, raw) != nil {
				return false
			}
		case kindInt:
			p := (*wInt)(ptr)
			if v, ok := plainInt(raw); ok {
				*p = wInt(v)
			} else if p.UnmarshalJSON(raw) != nil {
				return false
			}
		case kindIntPtr:
			p := (**wInt)(ptr)
			if isNull {
				*p = nil // encoding/json sets a pointer to nil on null
				break
			}
			v := &d.ints[sp.field]
			if n, ok := plainInt(raw); ok {
				*v = wInt(n)
			} else if v.UnmarshalJSON(raw) != nil {
				return false
			}
			*p = v
		case kindTime:
			p := (*wTime)(ptr)
			if t, ok := fastTime(raw); ok {
				*p = wTime(t)
			} else if p.UnmarshalJSON(raw) != nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// textValue returns the bounds in the page of the value of sp that its
// field takes from the record's text (see record): a plain string (quoted,
// no escapes) of a string or wStr field, or the unquoted non-null value of
// a wStr field (a number kept as its text).
func (d *recordDecoder) textValue(sp span) (lo, hi int, ok bool) {
	raw := d.s.b[sp.start:sp.end]
	quoted, plain := raw[0] == '"', raw[0] == '"' && sp.flags&strEscaped == 0
	switch d.t.fields[sp.field].kind {
	case kindString:
		ok = plain
	case kindStr:
		ok = plain || (!quoted && raw[0] != 'n')
	}
	lo, hi = int(sp.start), int(sp.end)
	if quoted {
		lo, hi = lo+1, hi-1
	}
	return lo, hi, ok
}

// plainInt parses an unquoted JSON integer of at most 18 digits, the
// common case of wInt, exactly as strconv.Atoi would.
func plainInt(b []byte) (int, bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		i, neg = 1, true
	}
	if i == len(b) || len(b)-i > 18 {
		return 0, false
	}
	n := 0
	for ; i < len(b); i++ {
		if !isDigit(b[i]) {
			return 0, false
		}
		n = n*10 + int(b[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// fastTime parses a quoted "YYYY-MM-DDTHH:MM:SSZ", the documented form and
// the first of timeLayouts, as ParseTime would; anything else (ok=false)
// is left to wTime.UnmarshalJSON.
func fastTime(raw []byte) (time.Time, bool) {
	if len(raw) != 22 || raw[0] != '"' || raw[21] != '"' {
		return time.Time{}, false
	}
	b := raw[1:21]
	if b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range b[i : i+n] {
			if !isDigit(c) {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), true
}

// daysIn returns the number of days of month m (1-12) of year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// fastPage decodes a page of kind pk as the kind's reference decoder would,
// or returns ok=false when it cannot be sure to (including every body that
// decoder rejects).
func fastPage[W, R any](pk *pageKind[W, R], body []byte, cycle Month, siteCurrency string) (recs []R, total int, currency string, ok bool) {
	if pk.err != nil || len(body) > math.MaxInt32 { // spans hold int32 offsets
		return nil, 0, "", false
	}
	d := &recordDecoder{s: scanner{b: body}, t: &pk.rec}
	s := &d.s
	if s.peek() != '{' {
		return nil, 0, "", false
	}
	s.i++
	var (
		st       wStatus
		tc       wInt
		seen     [numPageKeys]bool
		curUsed  string
		gotRecs  bool
		w        W
		pageCurr string
	)
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			key, ok := s.key()
			if !ok {
				return nil, 0, "", false
			}
			k := -1
			for i := range pk.pageKeys {
				if pk.pageKeys[i].name == string(key) {
					k = i
					break
				}
			}
			if k < 0 {
				if !unknownKey(key, pk.foldedPageKeys) || !s.skipValue(1) {
					return nil, 0, "", false
				}
			} else {
				if seen[k] {
					return nil, 0, "", false
				}
				seen[k] = true
				switch k {
				case keyErrorCode:
					ok = s.pageString(&st.ErrorCode)
				case keyErrorMsg:
					ok = s.pageString(&st.ErrorMsg)
				case keyRequestID:
					ok = s.pageString(&st.RequestID)
				case keyCurrency:
					ok = s.pageString(&pageCurr)
				case keyTotalCount:
					vs := s.i
					_, ok = s.scalar()
					// null would leave total_count missing: an error.
					ok = ok && s.b[vs] != 'n' && tc.UnmarshalJSON(s.b[vs:s.i]) == nil
				case keyRecords:
					if s.i >= len(s.b) || s.b[s.i] != '[' {
						return nil, 0, "", false
					}
					s.i++
					curUsed = pageCurr
					if curUsed == "" {
						curUsed = siteCurrency
					}
					if seen[keyTotalCount] && tc > 0 {
						recs = make([]R, 0, min(int(tc), maxLimit))
					}
					if s.peek() == ']' {
						s.i++
					} else {
						for {
							if s.peek() != '{' {
								return nil, 0, "", false // null elements included
							}
							var zero W
							w = zero
							if !d.record(unsafe.Pointer(&w)) {
								return nil, 0, "", false
							}
							r, ef := pk.convert(&w, cycle, curUsed)
							if ef != nil {
								return nil, 0, "", false
							}
							recs = append(recs, r)
							if c := s.peek(); c == ',' {
								s.i++
							} else if c == ']' {
								s.i++
								break
							} else {
								return nil, 0, "", false
							}
						}
					}
					gotRecs = true
				}
				if !ok {
					return nil, 0, "", false
				}
			}
			if c := s.peek(); c == ',' {
				s.i++
				continue
			} else if c != '}' {
				return nil, 0, "", false
			}
			s.i++
			break
		}
	}
	if s.peek() != 0 || s.i != len(s.b) {
		return nil, 0, "", false // trailing data
	}
	if st.apiError() != nil || !seen[keyTotalCount] || tc < 0 {
		return nil, 0, "", false
	}
	cur := pageCurr
	if cur == "" {
		cur = siteCurrency
	}
	if gotRecs && cur != curUsed { // currency came after the records
		for i := range recs {
			pk.setCurrency(&recs[i], cur)
		}
	}
	if recs == nil || cap(recs)-len(recs) > len(recs)/4 {
		recs = append(make([]R, 0, len(recs)), recs...)
	}
	return recs, int(tc), cur, true
}
