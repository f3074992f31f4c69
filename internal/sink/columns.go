package sink

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
)

// moneyScale is the scale of every Decimal(38, 8) column. A value with more
// fractional digits, or with more than 30 integer digits, does not fit and is
// rejected (see checkDecimal) rather than silently truncated: money is exact.
const moneyScale = 8

// maxDecimal is the smallest magnitude Decimal(38, 8) cannot hold (10^30).
var maxDecimal = decimal.New(1, 38-moneyScale)

// checkDecimal reports whether d fits a Decimal(38, 8) column exactly.
// It runs for every money value written, so the common case (at most 8
// fractional digits in the representation, a coefficient of at most 30
// integer digits) is decided from the exponent and digit count alone, without
// allocating.
func checkDecimal(column string, d decimal.Decimal) error {
	exp := int(d.Exponent())
	if exp < -moneyScale && !d.Equal(d.Truncate(moneyScale)) {
		return fmt.Errorf("column %s: %s has more than %d decimal places", column, d, moneyScale)
	}
	if d.NumDigits()+exp > 38-moneyScale && d.Abs().GreaterThanOrEqual(maxDecimal) {
		return fmt.Errorf("column %s: %s does not fit Decimal(38, %d)", column, d, moneyScale)
	}
	return nil
}

// epoch replaces zero times, which DateTime cannot hold.
var epoch = time.Unix(0, 0).UTC()

// colBuf is one column of a block being buffered for insert. Its values are
// handed to clickhouse-go as one typed slice (columnar append) or encoded as
// TabSeparated text for the embedded engine.
type colBuf interface {
	reset()
	values() any
	appendTSV(dst []byte, i int) []byte
}

// strCol copies every string it buffers into chunks of its own, so that a
// buffered row keeps only its values alive (not, say, the whole API
// response it was decoded from), and the chunks are reused by the next
// block instead of being garbage. Values repeated within a block (regions,
// service names, currencies…) are stored once while the column has at most
// maxInterned distinct values.
type strCol struct {
	v      []string
	seen   map[string]string // value -> its copy; nil once the column proved high-cardinality
	cur    []byte            // chunk being filled
	full   [][]byte          // chunks filled in this block
	spare  [][]byte          // chunks free for reuse
	strict bool              // seen was dropped in this block
}

const (
	strChunk    = 64 << 10
	maxInterned = 1024
)

func (c *strCol) reset() {
	clear(c.v)
	c.v = c.v[:0]
	// Nothing refers to the chunks any more: clickhouse-go and the TSV
	// encoder copy the values they send.
	for _, ch := range c.full {
		c.spare = append(c.spare, ch[:0])
	}
	if c.cur != nil {
		c.spare = append(c.spare, c.cur[:0])
	}
	c.full, c.cur = c.full[:0], nil
	if c.seen == nil || c.strict {
		c.seen, c.strict = make(map[string]string), false
	} else {
		clear(c.seen)
	}
}

func (c *strCol) add(s string) {
	if s == "" {
		c.v = append(c.v, "")
		return
	}
	if c.seen != nil {
		if v, ok := c.seen[s]; ok {
			c.v = append(c.v, v)
			return
		}
	}
	v := c.copyOf(s)
	switch {
	case c.seen == nil:
	case len(c.seen) < maxInterned:
		c.seen[v] = v
	default:
		c.seen, c.strict = nil, true
	}
	c.v = append(c.v, v)
}

// copyOf returns a copy of s held in the column's chunks.
func (c *strCol) copyOf(s string) string {
	if len(s) > strChunk/4 {
		return strings.Clone(s)
	}
	if len(c.cur)+len(s) > cap(c.cur) {
		if c.cur != nil {
			c.full = append(c.full, c.cur)
		}
		if n := len(c.spare); n > 0 {
			c.cur, c.spare = c.spare[n-1], c.spare[:n-1]
		} else {
			c.cur = make([]byte, 0, strChunk)
		}
	}
	start := len(c.cur)
	c.cur = append(c.cur, s...)
	return unsafe.String(&c.cur[start], len(s))
}

func (c *strCol) values() any { return c.v }
func (c *strCol) appendTSV(dst []byte, i int) []byte {
	return appendEscaped(dst, c.v[i])
}

// decCol holds a Decimal(38, 8) column compactly. A value whose
// coefficient has at most 18 digits (all but freak money values) is stored
// as an int64 coefficient and an int32 exponent in pointer-free slices: 12
// bytes, where a buffered decimal.Decimal takes 16 and keeps a big.Int of
// about 40 more alive for the GC to scan. Wider values are kept exactly on
// the side, in wide.
type decCol struct {
	coef     []int64 // coefficient; for a wide value, its index in wide
	exp      []int32 // exponent, -moneyScale..maxCompactExp (0 for zero), or wideExp
	wide     []wideDec
	wideText []byte // the text of the wide values
}

// wideDec is a value whose coefficient does not fit the compact form.
type wideDec struct {
	d          decimal.Decimal
	start, end int // its text in wideText
}

const (
	// wideExp marks a wide value in decCol.exp; no compact value has it.
	wideExp = math.MinInt32
	// maxCompactExp bounds the exponent of a compact value: a non-zero
	// value with a larger one does not fit Decimal(38, 8).
	maxCompactExp = 38 - moneyScale
)

// pow10 holds the powers of ten that fit int64.
var pow10 = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

func (c *decCol) add(d decimal.Decimal) {
	if d.NumDigits() <= 18 {
		coef, exp := d.CoefficientInt64(), d.Exponent()
		switch {
		case coef == 0:
			exp = 0
		case exp < -moneyScale && exp >= -moneyScale-18 && coef%pow10[-moneyScale-exp] == 0:
			// Zeros beyond the column's scale, which checkDecimal lets
			// through: dropped, so that every compact value has at most
			// moneyScale fractional digits.
			coef, exp = coef/pow10[-moneyScale-exp], -moneyScale
		}
		if exp >= -moneyScale && exp <= maxCompactExp {
			c.coef = append(c.coef, coef)
			c.exp = append(c.exp, exp)
			return
		}
	}
	// Rare (more than 18 significant digits), so allocating is fine.
	start := len(c.wideText)
	c.wideText = append(c.wideText, d.String()...)
	c.coef = append(c.coef, int64(len(c.wide)))
	c.exp = append(c.exp, wideExp)
	c.wide = append(c.wide, wideDec{d: d, start: start, end: len(c.wideText)})
}

func (c *decCol) reset() {
	c.coef, c.exp = c.coef[:0], c.exp[:0]
	clear(c.wide)
	c.wide, c.wideText = c.wide[:0], c.wideText[:0]
}

// values returns the column as []decimal.Decimal, the cheapest exact form
// clickhouse-go takes for a Decimal column ([]string costs half as much
// again to convert, see BenchmarkDecCol). Zeros need no big.Int; every
// other compact value gets one. The slice is not kept: clickhouse-go
// converts it as it is appended to the batch, so it and its big.Ints are
// garbage before the next column is converted, instead of every decimal
// column of the block staying alive until the insert ends.
func (c *decCol) values() any {
	v := make([]decimal.Decimal, len(c.coef))
	for i, coef := range c.coef {
		switch exp := c.exp[i]; {
		case exp == wideExp:
			v[i] = c.wide[coef].d
		case coef == 0:
			v[i] = decimal.Decimal{}
		default:
			v[i] = atScale(coef, exp)
		}
	}
	return v
}

// atScale returns coef×10^exp with exponent -moneyScale when the scaled
// coefficient fits int64 (every amount below 92 billion): clickhouse-go
// rescales each value to the column's scale through big.Int, and a value
// already at that scale is only copied, not multiplied by a power of ten
// it first computes. Otherwise it returns decimal.New(coef, exp), the same
// number.
func atScale(coef int64, exp int32) decimal.Decimal {
	if s, ok := atMoneyScale(coef, exp); ok {
		return decimal.New(s, -moneyScale)
	}
	return decimal.New(coef, exp)
}

// atMoneyScale returns coef×10^(exp+moneyScale), the coefficient of the
// same number at exponent -moneyScale, and whether it fits int64 (exp is at
// least -moneyScale).
func atMoneyScale(coef int64, exp int32) (int64, bool) {
	shift := exp + moneyScale
	if shift < 0 || shift > 18 {
		return 0, false
	}
	p := pow10[shift]
	s := coef * p
	return s, s/p == coef
}

// scaled appends to dst the column as the integers value×10^moneyScale,
// the form the server engine's wire tables take (see wire), and reports
// whether every value fit int64: false for a value of 92,233,720,368.54775808
// or more in magnitude (or a wide one), which must travel as a decimal.
func (c *decCol) scaled(dst []int64) ([]int64, bool) {
	for i, coef := range c.coef {
		exp := c.exp[i]
		switch {
		case exp == wideExp:
			return dst, false
		case coef == 0:
			dst = append(dst, 0)
			continue
		}
		s, ok := atMoneyScale(coef, exp)
		if !ok {
			return dst, false
		}
		dst = append(dst, s)
	}
	return dst, true
}

func (c *decCol) appendTSV(dst []byte, i int) []byte {
	if c.exp[i] == wideExp {
		w := &c.wide[c.coef[i]]
		return append(dst, c.wideText[w.start:w.end]...)
	}
	return appendDecimal(dst, c.coef[i], c.exp[i])
}

// zeros is enough zeros for any compact exponent.
const zeros = "000000000000000000000000000000"

// appendDecimal appends coef×10^exp in plain notation (-12.5, 0.00000001,
// 1200), which both engines parse exactly into Decimal(38, 8). exp must be
// in -moneyScale..maxCompactExp.
func appendDecimal(dst []byte, coef int64, exp int32) []byte {
	u := uint64(coef)
	if coef < 0 {
		dst = append(dst, '-')
		u = -u
	}
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], u, 10)
	if exp >= 0 {
		dst = append(dst, digits...)
		return append(dst, zeros[:exp]...)
	}
	frac := int(-exp)
	if n := len(digits); n > frac {
		dst = append(dst, digits[:n-frac]...)
		dst = append(dst, '.')
		return append(dst, digits[n-frac:]...)
	}
	dst = append(dst, "0."...)
	dst = append(dst, zeros[:frac-len(digits)]...)
	return append(dst, digits...)
}

type int32Col struct{ v []int32 }

func (c *int32Col) reset()      { c.v = c.v[:0] }
func (c *int32Col) values() any { return c.v }
func (c *int32Col) appendTSV(dst []byte, i int) []byte {
	return strconv.AppendInt(dst, int64(c.v[i]), 10)
}

type uint64Col struct{ v []uint64 }

func (c *uint64Col) reset()      { c.v = c.v[:0] }
func (c *uint64Col) values() any { return c.v }
func (c *uint64Col) appendTSV(dst []byte, i int) []byte {
	return strconv.AppendUint(dst, c.v[i], 10)
}

// dateCol holds civil dates (Date): the year, month and day of each time as
// given, never converted between zones.
type dateCol struct{ v []time.Time }

func (c *dateCol) reset()      { c.v = c.v[:0] }
func (c *dateCol) values() any { return c.v }
func (c *dateCol) appendTSV(dst []byte, i int) []byte {
	return c.v[i].AppendFormat(dst, time.DateOnly)
}

// nullDateCol holds Nullable(Date); nil is NULL.
type nullDateCol struct{ v []*time.Time }

func (c *nullDateCol) reset()      { clear(c.v); c.v = c.v[:0] }
func (c *nullDateCol) values() any { return c.v }
func (c *nullDateCol) appendTSV(dst []byte, i int) []byte {
	if c.v[i] == nil {
		return append(dst, `\N`...)
	}
	return c.v[i].AppendFormat(dst, time.DateOnly)
}

// nullTimeCol holds Nullable(DateTime('UTC')) instants in UTC; nil is NULL.
type nullTimeCol struct{ v []*time.Time }

func (c *nullTimeCol) reset()      { clear(c.v); c.v = c.v[:0] }
func (c *nullTimeCol) values() any { return c.v }
func (c *nullTimeCol) appendTSV(dst []byte, i int) []byte {
	if c.v[i] == nil {
		return append(dst, `\N`...)
	}
	return c.v[i].AppendFormat(dst, time.DateTime)
}

// timeCol holds DateTime('UTC') instants, already converted to UTC.
type timeCol struct{ v []time.Time }

func (c *timeCol) reset()      { c.v = c.v[:0] }
func (c *timeCol) values() any { return c.v }
func (c *timeCol) appendTSV(dst []byte, i int) []byte {
	return c.v[i].AppendFormat(dst, time.DateTime)
}

// field maps one column of a table to a field of its row type R.
type field[R any] struct {
	name   string
	newCol func() colBuf
	add    func(c colBuf, r *R)
	check  func(r *R) error // nil when every value of the Go type fits the column
	typ    string           // the ClickHouse type of the column, as system.columns shows it
}

func strField[R any](name string, get func(*R) string) field[R] {
	return field[R]{name, func() colBuf { return &strCol{seen: make(map[string]string)} }, func(c colBuf, r *R) {
		c.(*strCol).add(get(r))
	}, nil, "String"}
}

func decField[R any](name string, get func(*R) decimal.Decimal) field[R] {
	return field[R]{name, func() colBuf { return &decCol{} }, func(c colBuf, r *R) {
		c.(*decCol).add(get(r))
	}, func(r *R) error { return checkDecimal(name, get(r)) }, "Decimal(38, 8)"}
}

func int32Field[R any](name string, get func(*R) int32) field[R] {
	return field[R]{name, func() colBuf { return &int32Col{} }, func(c colBuf, r *R) {
		s := c.(*int32Col)
		s.v = append(s.v, get(r))
	}, nil, "Int32"}
}

func uint64Field[R any](name string, get func(*R) uint64) field[R] {
	return field[R]{name, func() colBuf { return &uint64Col{} }, func(c colBuf, r *R) {
		s := c.(*uint64Col)
		s.v = append(s.v, get(r))
	}, nil, "UInt64"}
}

// civil returns the civil date of t (its own year, month and day) as
// midnight UTC, so no zone conversion can shift it.
func civil(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateField[R any](name string, get func(*R) time.Time) field[R] {
	return field[R]{name, func() colBuf { return &dateCol{} }, func(c colBuf, r *R) {
		s := c.(*dateCol)
		s.v = append(s.v, civil(get(r)))
	}, nil, "Date"}
}

func nullDateField[R any](name string, get func(*R) time.Time) field[R] {
	return field[R]{name, func() colBuf { return &nullDateCol{} }, func(c colBuf, r *R) {
		s := c.(*nullDateCol)
		t := get(r)
		if t.IsZero() {
			s.v = append(s.v, nil)
			return
		}
		d := civil(t)
		s.v = append(s.v, &d)
	}, nil, "Nullable(Date)"}
}

// utc converts t to a whole-second UTC instant; the zero time becomes the
// epoch.
func utc(t time.Time) time.Time {
	if t.IsZero() || t.Before(epoch) {
		return epoch
	}
	return t.UTC().Truncate(time.Second)
}

// nullTimeField writes the zero time as NULL.
func nullTimeField[R any](name string, get func(*R) time.Time) field[R] {
	return field[R]{name, func() colBuf { return &nullTimeCol{} }, func(c colBuf, r *R) {
		s := c.(*nullTimeCol)
		t := get(r)
		if t.IsZero() {
			s.v = append(s.v, nil)
			return
		}
		u := utc(t)
		s.v = append(s.v, &u)
	}, nil, "Nullable(DateTime('UTC'))"}
}

func timeField[R any](name string, get func(*R) time.Time) field[R] {
	return field[R]{name, func() colBuf { return &timeCol{} }, func(c colBuf, r *R) {
		s := c.(*timeCol)
		s.v = append(s.v, utc(get(r)))
	}, nil, "DateTime('UTC')"}
}

// tableSpec describes one table: its name and the columns syncd writes.
type tableSpec[R any] struct {
	table  string
	fields []field[R]
}

func (t *tableSpec[R]) types() []string {
	out := make([]string, len(t.fields))
	for i, f := range t.fields {
		out[i] = f.typ
	}
	return out
}

func (t *tableSpec[R]) columns() []string {
	out := make([]string, len(t.fields))
	for i, f := range t.fields {
		out[i] = f.name
	}
	return out
}

// block is a columnar buffer of up to cap rows for one table.
type block struct {
	table   string
	columns []string
	types   []string // ClickHouse types of columns
	cols    []colBuf
	rows    int
	scratch []byte // encoding buffer reused across inserts (embedded engine)
}

func (b *block) reset() {
	for _, c := range b.cols {
		c.reset()
	}
	b.rows = 0
}

// rowBlock appends rows of type R to a block.
type rowBlock[R any] struct {
	spec *tableSpec[R]
	block
}

func newRowBlock[R any](spec *tableSpec[R]) *rowBlock[R] {
	b := &rowBlock[R]{spec: spec}
	b.table = spec.table
	b.columns = spec.columns()
	b.types = spec.types()
	b.cols = make([]colBuf, len(spec.fields))
	for i, f := range spec.fields {
		b.cols[i] = f.newCol()
	}
	return b
}

// check validates r against the column types without buffering it.
func (t *tableSpec[R]) check(r *R) error {
	for _, f := range t.fields {
		if f.check != nil {
			if err := f.check(r); err != nil {
				return fmt.Errorf("%s: %w", t.table, err)
			}
		}
	}
	return nil
}

// add validates r and appends it; a row that does not fit leaves the block
// unchanged.
func (b *rowBlock[R]) add(r *R) error {
	if err := b.spec.check(r); err != nil {
		return err
	}
	for i, f := range b.spec.fields {
		f.add(b.cols[i], r)
	}
	b.rows++
	return nil
}

// appendEscaped appends s escaped for the TabSeparated format.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc byte
		switch s[i] {
		case '\\':
			esc = '\\'
		case '\t':
			esc = 't'
		case '\n':
			esc = 'n'
		case '\r':
			esc = 'r'
		case 0:
			esc = '0'
		case '\b':
			esc = 'b'
		case '\f':
			esc = 'f'
		default:
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendTSV encodes the block as TabSeparated rows.
func (b *block) appendTSV(dst []byte) []byte {
	for i := 0; i < b.rows; i++ {
		for j, c := range b.cols {
			if j > 0 {
				dst = append(dst, '\t')
			}
			dst = c.appendTSV(dst, i)
		}
		dst = append(dst, '\n')
	}
	return dst
}
