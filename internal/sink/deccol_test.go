package sink

import (
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/shopspring/decimal"
)

// decimalText is the text appendTSV may produce: plain notation with at
// most moneyScale fractional digits, which Decimal(38, 8) parses exactly on
// both engines (no exponent, no digits it would have to drop).
var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,8})?$`)

// edgeDecimals are values that fit Decimal(38, 8) at the edges of decCol's
// compact form, with whether they are stored compactly.
func edgeDecimals() []struct {
	d       decimal.Decimal
	compact bool
} {
	type edge = struct {
		d       decimal.Decimal
		compact bool
	}
	var out []edge
	for _, s := range []string{
		"0", "-0", "0.00000000", "1", "-1", "0.00000001", "-0.00000001", "123.45", "-123.45",
		"1.50000000", "-0.10000000", "100", "12345678901.2345678", // 18 digits
		"999999999999999999", "-999999999999999999", "9999999999.99999999", "-0.99999999",
	} {
		out = append(out, edge{decimal.RequireFromString(s), true})
	}
	for _, s := range []string{
		"1234567890123456789", "-1234567890123456789", // 19 digits
		"9223372036854775807", "-9223372036854775808", // the int64 limits have 19 digits
		"12345678901.23456789", "-92233720368.54775808",
		"123456789012345678901234567890",                                                      // 30 digits, integer
		"1234567890123456789012.34567890",                                                     // 30 digits, exponent -8
		"999999999999999999999999999999.99999999", "-999999999999999999999999999999.99999999", // Decimal(38, 8) max and min
	} {
		out = append(out, edge{decimal.RequireFromString(s), false})
	}
	// Exponents -8..+10 with 1-, 18- and 19-digit coefficients.
	for exp := int32(-8); exp <= 10; exp++ {
		out = append(out,
			edge{decimal.New(7, exp), true},
			edge{decimal.New(-7, exp), true},
			edge{decimal.New(123456789012345678, exp), true},
			edge{decimal.New(-999999999999999999, exp), true},
			edge{decimal.New(1234567890123456789, exp), false},
			edge{decimal.New(math.MinInt64, exp), false},
		)
	}
	// Zeros beyond the scale, which checkDecimal accepts: trimmed to the
	// compact form when the coefficient allows.
	out = append(out,
		edge{decimal.New(15_000_000_000, -10), true},          // 1.5
		edge{decimal.New(-3_000_000_000_000, -20), true},      // -0.00000003
		edge{decimal.New(999_999_990_000_000_000, -18), true}, // 0.99999999
		edge{decimal.New(0, -40), true},
		edge{decimal.New(0, 40), true},
		edge{decimal.RequireFromString("1234567890123456789012345678.90000000000"), false},
	)
	return out
}

func TestDecColExact(t *testing.T) {
	edges := edgeDecimals()
	c := &decCol{}
	for block := range 2 { // the second block reuses the first one's buffers
		wide := 0
		for _, e := range edges {
			if err := checkDecimal("x", e.d); err != nil {
				t.Fatalf("edge value %s does not fit the column: %v", e.d, err)
			}
			c.add(e.d)
			if got := c.exp[len(c.exp)-1] != wideExp; got != e.compact {
				t.Errorf("%s (coefficient %s, exponent %d): compact = %v, want %v", e.d, e.d.Coefficient(), e.d.Exponent(), got, e.compact)
			}
			if !e.compact {
				wide++
			}
		}
		if len(c.wide) != wide {
			t.Errorf("block %d: %d wide values, want %d", block, len(c.wide), wide)
		}
		vals := c.values().([]decimal.Decimal)
		if len(vals) != len(edges) {
			t.Fatalf("block %d: values() has %d values, want %d", block, len(vals), len(edges))
		}
		for i, e := range edges {
			if !vals[i].Equal(e.d) {
				t.Errorf("values()[%d] = %s, want %s", i, vals[i], e.d)
			}
			text := string(c.appendTSV([]byte("x\t"), i))
			text, ok := strings.CutPrefix(text, "x\t")
			if !ok {
				t.Fatalf("appendTSV dropped what dst held: %q", text)
			}
			got, err := decimal.NewFromString(text)
			if err != nil || !got.Equal(e.d) || !decimalText.MatchString(text) {
				t.Errorf("appendTSV(%s) = %q, want exact plain text with at most 8 decimals", e.d, text)
			}
		}
		c.reset()
		if len(c.coef) != 0 || len(c.exp) != 0 || len(c.wide) != 0 || len(c.wideText) != 0 {
			t.Fatalf("reset left %d values, %d wide", len(c.coef), len(c.wide))
		}
	}
}

// TestDecColAllocs: buffering and encoding a compact value allocates
// nothing once the column's slices have grown (by the block before).
func TestDecColAllocs(t *testing.T) {
	var vals []decimal.Decimal
	for _, e := range edgeDecimals() {
		if e.compact {
			vals = append(vals, e.d)
		}
	}
	c := &decCol{}
	var dst []byte
	fill := func() {
		c.reset()
		for _, d := range vals {
			c.add(d)
		}
		dst = dst[:0]
		for i := range vals {
			dst = c.appendTSV(dst, i)
		}
	}
	fill()
	if n := testing.AllocsPerRun(100, fill); n != 0 {
		t.Errorf("a block of %d compact values: %v allocations to buffer and encode, want 0", len(vals), n)
	}
}

// FuzzDecCol: every value that fits Decimal(38, 8) comes back exactly from
// values() and as text from appendTSV, whether stored compactly or not.
func FuzzDecCol(f *testing.F) {
	for _, e := range edgeDecimals() {
		f.Add(e.d.String())
	}
	f.Add("1e20")
	f.Add("-12.5e-3")
	f.Add("100000000000000000000e-20")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := decimal.NewFromString(s)
		if err != nil || checkDecimal("x", d) != nil {
			return
		}
		c := &decCol{}
		c.add(decimal.New(1, 0))
		c.add(d)
		if got := c.values().([]decimal.Decimal)[1]; !got.Equal(d) {
			t.Fatalf("values() gave %s for %s", got, d)
		}
		text := string(c.appendTSV(nil, 1))
		got, err := decimal.NewFromString(text)
		if err != nil || !got.Equal(d) || !decimalText.MatchString(text) {
			t.Fatalf("appendTSV(%s) = %q", d, text)
		}
		if d.NumDigits() <= 18 && d.Exponent() >= -moneyScale && c.exp[1] == wideExp {
			t.Fatalf("%s (%d digits, exponent %d) stored wide", d, d.NumDigits(), d.Exponent())
		}
	})
}

// plainDecCol buffers decimal.Decimal as decCol did before it went compact:
// the baseline of BenchmarkDecCol.
type plainDecCol struct{ v []decimal.Decimal }

func (c *plainDecCol) add(d decimal.Decimal) { c.v = append(c.v, d) }
func (c *plainDecCol) reset()                { clear(c.v); c.v = c.v[:0] }
func (c *plainDecCol) values() any           { return c.v }
func (c *plainDecCol) appendTSV(dst []byte, i int) []byte {
	return append(dst, c.v[i].String()...)
}

// BenchmarkDecCol measures one 50,000-row block of money values (a quarter
// zero, up to 8 decimals, some negative) buffered, then handed to
// clickhouse-go as a Decimal(38, 8) column (server) or encoded as
// TabSeparated (embedded), compact against the decimal.Decimal baseline.
func BenchmarkDecCol(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]decimal.Decimal, 50_000)
	for i := range vals {
		if i%4 != 0 {
			vals[i] = decimal.New(r.Int64N(20_000_000_000)-2_000_000_000, -int32(r.IntN(9)))
		}
	}
	type col interface {
		colBuf
		add(decimal.Decimal)
	}
	for _, impl := range []struct {
		name string
		col  col
	}{{"decimal", &plainDecCol{}}, {"compact", &decCol{}}} {
		c := impl.col
		fill := func() {
			c.reset()
			for _, d := range vals {
				c.add(d)
			}
		}
		b.Run("server/"+impl.name, func(b *testing.B) {
			ch, err := column.Type("Decimal(38, 8)").Column("x", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				fill()
				ch.Reset()
				if _, err := ch.Append(c.values()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("tsv/"+impl.name, func(b *testing.B) {
			var dst []byte
			b.ReportAllocs()
			for b.Loop() {
				fill()
				dst = dst[:0]
				for i := range vals {
					dst = c.appendTSV(dst, i)
				}
			}
		})
	}
}

// EdgeDecimals returns the edge values of decCol's compact form, for the
// round trip through both engines (sink_test.TestDecimalRoundTrip).
func EdgeDecimals() []decimal.Decimal {
	var out []decimal.Decimal
	for _, e := range edgeDecimals() {
		out = append(out, e.d)
	}
	return out
}
