package bss

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"time"
	"unicode/utf8"
)

// The res-fee-records page is the daemon's hot path: encoding/json spends
// most of its time validating, reflecting and allocating one string per
// field. fastResourceRecordsPage is a strict hand-written scanner for the
// same page. It fills the same wire structs through the same wire types and
// then runs the same record() conversion, but it only answers when it is
// sure to agree with encoding/json: anything unusual (a syntax doubt, a
// duplicate or case-variant key, a null element, invalid UTF-8, a value a
// wire type rejects, an error_code, ...) makes it return ok=false, and the
// caller decodes the body again with decodeResourceRecordsPageSlow, which
// produces the reference result or error. FuzzFastDecodeMatchesSlow checks
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

// resFeeRecordKeys are the JSON keys of wResFeeRecord; fieldPtr(i) is the
// field of key i. fastTablesOK verifies both against the struct tags.
var resFeeRecordKeys = [...]string{
	"id", "bill_date", "bill_type", "customer_id", "account_name", "region", "region_name",
	"cloud_service_type", "cloud_service_type_name", "resource_type", "resource_type_name",
	"effective_time", "expire_time", "consume_time", "resource_id", "resource_name", "resource_tag",
	"product_id", "product_name", "product_spec_desc", "sku_code", "spec_size", "spec_size_measure_id",
	"trade_id", "trade_time", "enterprise_project_id", "enterprise_project_name", "charge_mode",
	"order_id", "relative_order_id", "period_type", "period_num", "usage_type", "usage", "usage_measure_id",
	"free_resource_usage", "free_resource_measure_id", "ri_usage", "ri_usage_measure_id", "unit_price",
	"unit", "official_amount", "discount_amount", "amount", "cash_amount", "credit_amount",
	"coupon_amount", "flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount",
	"adjustment_amount", "measure_id", "formula", "sub_service_type_code", "sub_service_type_name",
	"sub_resource_type_code", "sub_resource_type_name", "sub_resource_id", "sub_resource_name",
}

const numRecordKeys = len(resFeeRecordKeys)

// fieldPtr returns a pointer to the field of resFeeRecordKeys[i].
func (w *wResFeeRecord) fieldPtr(i int) any {
	switch i {
	case 0:
		return &w.ID
	case 1:
		return &w.BillDate
	case 2:
		return &w.BillType
	case 3:
		return &w.CustomerID
	case 4:
		return &w.AccountName
	case 5:
		return &w.Region
	case 6:
		return &w.RegionName
	case 7:
		return &w.CloudServiceType
	case 8:
		return &w.CloudServiceTypeName
	case 9:
		return &w.ResourceType
	case 10:
		return &w.ResourceTypeName
	case 11:
		return &w.EffectiveTime
	case 12:
		return &w.ExpireTime
	case 13:
		return &w.ConsumeTime
	case 14:
		return &w.ResourceID
	case 15:
		return &w.ResourceName
	case 16:
		return &w.ResourceTag
	case 17:
		return &w.ProductID
	case 18:
		return &w.ProductName
	case 19:
		return &w.ProductSpecDesc
	case 20:
		return &w.SkuCode
	case 21:
		return &w.SpecSize
	case 22:
		return &w.SpecSizeMeasureID
	case 23:
		return &w.TradeID
	case 24:
		return &w.TradeTime
	case 25:
		return &w.EnterpriseProjectID
	case 26:
		return &w.EnterpriseProjectName
	case 27:
		return &w.ChargeMode
	case 28:
		return &w.OrderID
	case 29:
		return &w.RelativeOrderID
	case 30:
		return &w.PeriodType
	case 31:
		return &w.PeriodNum
	case 32:
		return &w.UsageType
	case 33:
		return &w.Usage
	case 34:
		return &w.UsageMeasureID
	case 35:
		return &w.FreeResourceUsage
	case 36:
		return &w.FreeResourceMeasureID
	case 37:
		return &w.RIUsage
	case 38:
		return &w.RIUsageMeasureID
	case 39:
		return &w.UnitPrice
	case 40:
		return &w.Unit
	case 41:
		return &w.OfficialAmount
	case 42:
		return &w.DiscountAmount
	case 43:
		return &w.Amount
	case 44:
		return &w.CashAmount
	case 45:
		return &w.CreditAmount
	case 46:
		return &w.CouponAmount
	case 47:
		return &w.FlexipurchaseCouponAmount
	case 48:
		return &w.StoredCardAmount
	case 49:
		return &w.BonusAmount
	case 50:
		return &w.DebtAmount
	case 51:
		return &w.AdjustmentAmount
	case 52:
		return &w.MeasureID
	case 53:
		return &w.Formula
	case 54:
		return &w.SubServiceTypeCode
	case 55:
		return &w.SubServiceTypeName
	case 56:
		return &w.SubResourceTypeCode
	case 57:
		return &w.SubResourceTypeName
	case 58:
		return &w.SubResourceID
	case 59:
		return &w.SubResourceName
	}
	return nil
}

// pageKeys are the JSON keys of wResFeePage (with wStatus's promoted ones)
// and the Go types the fast path decodes them as.
var pageKeys = [...]struct {
	name string
	typ  reflect.Type
}{
	{"error_code", stringType},
	{"error_msg", stringType},
	{"request_id", stringType},
	{"total_count", reflect.TypeOf((*wInt)(nil))},
	{"currency", stringType},
	{"fee_records", reflect.TypeOf([]wResFeeRecord(nil))},
}

const (
	keyErrorCode = iota
	keyErrorMsg
	keyRequestID
	keyTotalCount
	keyCurrency
	keyFeeRecords
)

var (
	// recordKeyIndex maps a key of resFeeRecordKeys to its index.
	recordKeyIndex = func() map[string]int {
		m := make(map[string]int, numRecordKeys)
		for i, k := range resFeeRecordKeys {
			m[k] = i
		}
		return m
	}()
	// foldedRecordKeys and foldedPageKeys hold the known keys of a record
	// and of the page upper-cased: encoding/json also assigns a key that
	// matches a field name only case-insensitively, which the fast path
	// leaves to the slow one.
	foldedRecordKeys = func() map[string]bool {
		m := make(map[string]bool, numRecordKeys)
		for _, k := range resFeeRecordKeys {
			m[string(upperASCII(nil, []byte(k)))] = true
		}
		return m
	}()
	foldedPageKeys = func() map[string]bool {
		m := make(map[string]bool, len(pageKeys))
		for _, k := range pageKeys {
			m[string(upperASCII(nil, []byte(k.name)))] = true
		}
		return m
	}()
	// fastTablesOK is false when the tables above no longer describe the
	// wire structs (a field was added, renamed or retyped): the fast path
	// then always defers to encoding/json, which stays correct.
	fastTablesOK = checkFastTables() == nil
)

// checkFastTables verifies resFeeRecordKeys, fieldPtr and pageKeys against
// the JSON tags and field types of wResFeeRecord and wResFeePage.
func checkFastTables() error {
	var w wResFeeRecord
	v := reflect.ValueOf(&w).Elem()
	t := v.Type()
	if t.NumField() != numRecordKeys || numRecordKeys > 64 {
		return fmt.Errorf("wResFeeRecord has %d fields, table has %d", t.NumField(), numRecordKeys)
	}
	for j := 0; j < t.NumField(); j++ {
		f := t.Field(j)
		name, ok := plainTag(f)
		if !ok {
			return fmt.Errorf("wResFeeRecord.%s: unsupported field or tag", f.Name)
		}
		i, ok := recordKeyIndex[name]
		if !ok {
			return fmt.Errorf("wResFeeRecord.%s: key %q missing from the table", f.Name, name)
		}
		p := reflect.ValueOf(w.fieldPtr(i))
		if p.Kind() != reflect.Pointer || p.Pointer() != v.Field(j).Addr().Pointer() || p.Type().Elem() != f.Type {
			return fmt.Errorf("wResFeeRecord.%s: fieldPtr(%d) is not the field", f.Name, i)
		}
		switch w.fieldPtr(i).(type) {
		case *string, *wStr, *wDec, *wInt, *wTime:
		default:
			return fmt.Errorf("wResFeeRecord.%s: unsupported type %s", f.Name, f.Type)
		}
	}
	var got []string
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
				return fmt.Errorf("wResFeePage.%s: unsupported field or tag", f.Name)
			}
			k := len(got)
			if k >= len(pageKeys) || pageKeys[k].name != name || pageKeys[k].typ != f.Type {
				return fmt.Errorf("wResFeePage.%s: key %q (%s) not in the table at %d", f.Name, name, f.Type, k)
			}
			got = append(got, name)
		}
		return nil
	}
	if err := walk(reflect.TypeOf(wResFeePage{})); err != nil {
		return err
	}
	if len(got) != len(pageKeys) {
		return fmt.Errorf("wResFeePage has %d keys, table has %d", len(got), len(pageKeys))
	}
	return nil
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
	spans [numRecordKeys]span
	next  [numRecordKeys + 1]int8
	decs  decCache
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

// record decodes the object at d.s.i into *w (which must be zero).
func (d *recordDecoder) record(w *wResFeeRecord) bool {
	s := &d.s
	start := s.i
	s.i++ // '{'
	n := 0
	var seen uint64
	prev := numRecordKeys // the "before the first key" slot of next
	if s.peek() == '}' {
		s.i++
	} else {
		for {
			// Records of a page share their key order: try the key that
			// followed the previous one last time by comparing bytes.
			idx := int(d.next[prev]) - 1
			if idx >= 0 && s.expectKey(resFeeRecordKeys[idx]) {
				s.ws()
			} else if key, ok := s.key(); !ok {
				return false
			} else {
				var known bool
				if idx, known = recordKeyIndex[string(key)]; !known {
					if !unknownKey(key, foldedRecordKeys) || !s.skipValue(3) {
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
	// One string per record backs its plain string and wStr fields.
	var text string
	if n > 0 {
		text = string(s.b[start:s.i])
	}
	for _, sp := range d.spans[:n] {
		raw := s.b[sp.start:sp.end]
		isNull := raw[0] == 'n'
		quoted := raw[0] == '"'
		plain := quoted && sp.flags&strEscaped == 0
		// text[lo:hi] is the value without its quotes.
		lo, hi := int(sp.start)-start, int(sp.end)-start
		if quoted {
			lo, hi = lo+1, hi-1
		}
		switch p := w.fieldPtr(int(sp.field)).(type) {
		case *string:
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
		case *wStr:
			if plain || (!quoted && !isNull) { // a number is kept as its text
				*p = wStr(text[lo:hi])
			} else if p.UnmarshalJSON(raw) != nil {
				return false
			}
		case *wDec:
			if d.decs.decode(p, raw) != nil {
				return false
			}
		case *wInt:
			if v, ok := plainInt(raw); ok {
				*p = wInt(v)
			} else if p.UnmarshalJSON(raw) != nil {
				return false
			}
		case *wTime:
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

// fastResourceRecordsPage decodes a res-fee-records body as
// decodeResourceRecordsPageSlow would, or returns ok=false when it cannot
// be sure to (including every body that decoder rejects).
func fastResourceRecordsPage(body []byte, cycle Month, siteCurrency string) (recs []ResourceRecord, total int, currency string, ok bool) {
	if !fastTablesOK || len(body) > math.MaxInt32 { // spans hold int32 offsets
		return nil, 0, "", false
	}
	d := &recordDecoder{s: scanner{b: body}}
	s := &d.s
	if s.peek() != '{' {
		return nil, 0, "", false
	}
	s.i++
	var (
		st       wStatus
		tc       wInt
		seen     [len(pageKeys)]bool
		curUsed  string
		gotRecs  bool
		w        wResFeeRecord
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
			for i := range pageKeys {
				if pageKeys[i].name == string(key) {
					k = i
					break
				}
			}
			if k < 0 {
				if !unknownKey(key, foldedPageKeys) || !s.skipValue(1) {
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
				case keyFeeRecords:
					if s.i >= len(s.b) || s.b[s.i] != '[' {
						return nil, 0, "", false
					}
					s.i++
					curUsed = pageCurr
					if curUsed == "" {
						curUsed = siteCurrency
					}
					if seen[keyTotalCount] && tc > 0 {
						recs = make([]ResourceRecord, 0, min(int(tc), maxLimit))
					}
					if s.peek() == ']' {
						s.i++
					} else {
						for {
							if s.peek() != '{' {
								return nil, 0, "", false // null elements included
							}
							w = wResFeeRecord{}
							if !d.record(&w) {
								return nil, 0, "", false
							}
							r, ef := w.record(cycle, curUsed)
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
	if gotRecs && cur != curUsed { // currency came after fee_records
		for i := range recs {
			recs[i].Currency = cur
		}
	}
	if recs == nil || cap(recs)-len(recs) > len(recs)/4 {
		recs = append(make([]ResourceRecord, 0, len(recs)), recs...)
	}
	return recs, int(tc), cur, true
}
