package bss

import (
	"fmt"
	"time"
)

// beijing is the fixed UTC+8 zone in which Huawei defines billing months and
// billing dates. A fixed zone avoids a tzdata dependency.
var beijing = time.FixedZone("UTC+8", 8*60*60)

// Month is a Huawei billing month (bill_cycle), defined in UTC+8.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth parses "2006-01".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Month{}, fmt.Errorf("parse month %q: want YYYY-MM", s)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// isMonth reports whether s is cycle's "YYYY-MM", which ParseMonth would
// parse to cycle: the common case, checked without time.Parse.
func isMonth(s string, cycle Month) bool {
	if len(s) != 7 || s[4] != '-' || !cycle.Valid() {
		return false
	}
	n := 0
	for i, c := range []byte(s) {
		if i == 4 {
			continue
		}
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n == cycle.Year*100+int(cycle.Month)
}

// MonthOf returns the billing month (UTC+8) that contains the instant t.
func MonthOf(t time.Time) Month {
	b := t.In(beijing)
	return Month{Year: b.Year(), Month: b.Month()}
}

// String formats the month as "2006-01", the wire form of bill_cycle.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// IsZero reports whether m is the zero Month.
func (m Month) IsZero() bool { return m.Year == 0 && m.Month == 0 }

// Valid reports whether m is a real calendar month.
func (m Month) Valid() bool { return m.Year >= 1 && m.Year <= 9999 && m.Month >= 1 && m.Month <= 12 }

// Start returns the instant the month begins: 00:00 UTC+8 on day 1, in UTC
// (16:00 UTC on the last day of the previous month).
func (m Month) Start() time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, beijing).UTC()
}

// Date returns the civil date of day 1 as midnight UTC, the form stored as a
// ClickHouse Date. It is not shifted: 2024-05 gives 2024-05-01T00:00:00Z.
func (m Month) Date() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Next returns the following month.
func (m Month) Next() Month {
	t := time.Date(m.Year, m.Month+1, 1, 0, 0, 0, 0, time.UTC)
	return Month{Year: t.Year(), Month: t.Month()}
}

// Prev returns the preceding month.
func (m Month) Prev() Month {
	t := time.Date(m.Year, m.Month-1, 1, 0, 0, 0, 0, time.UTC)
	return Month{Year: t.Year(), Month: t.Month()}
}

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || (m.Year == o.Year && m.Month < o.Month)
}

// MarshalText implements encoding.TextMarshaler ("2006-01").
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, so Month works with envconfig and JSON.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
