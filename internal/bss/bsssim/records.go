package bsssim

import (
	"fmt"
	"strconv"
	"time"
)

const timeSecond = time.Second

// utc8 is Beijing time, the zone of billing cycles and bill dates.
var utc8 = time.FixedZone("UTC+8", 8*3600)

// month is a billing month as year*12 + (month-1).
type month int

func monthOf(t time.Time) month {
	t = t.In(utc8)
	return month(t.Year()*12 + int(t.Month()) - 1)
}

// parseMonth parses "YYYY-MM" strictly.
func parseMonth(s string) (month, bool) {
	if len(s) != 7 || s[4] != '-' {
		return 0, false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 1970 || s[0] == '+' || s[5] == '+' {
		return 0, false
	}
	return month(y*12 + m - 1), true
}

func (m month) year() int       { return int(m) / 12 }
func (m month) mon() time.Month { return time.Month(int(m)%12 + 1) }
func (m month) String() string  { return fmt.Sprintf("%04d-%02d", m.year(), int(m.mon())) }
func (m month) daysIn() int     { return time.Date(m.year(), m.mon()+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func (m month) appendDate(buf []byte, day int) []byte {
	buf = appendPadded(buf, int64(m.year()), 4)
	buf = append(buf, '-')
	buf = appendInt2(buf, int(m.mon()))
	buf = append(buf, '-')
	return appendInt2(buf, day)
}

// finalAt is when Huawei finalises the month: 10:00 UTC+8 on the 3rd of the next month.
func (m month) finalAt() time.Time {
	return time.Date(m.year(), m.mon()+1, 3, 10, 0, 0, 0, utc8)
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

const removalBlock = 50 // re-issues remove one line in every 50 (2%)

// view is the shape of one account's itemised records for one month at the
// moment of a request: n base lines (minus removed ones) plus late lines.
type view struct {
	a       *account
	m       month
	days    int // days of the month with data
	n       int // base lines
	version int
	late    int // late lines (re-issues and drift)
	removed int
	// reissuedAt[k] is when re-issue k+1 was made (see monthState); the late
	// lines of re-issue k+1 are traded then.
	reissuedAt []time.Time
}

func (v *view) count() int { return v.n - v.removed + v.late }

// baseCount is the nominal number of lines for (account, month) before the
// current-month cut.
func (s *Simulator) baseCount(a *account, m month) int {
	per := s.cfg.Scale.RecordsPerMonth
	h := mix(uint64(s.cfg.Seed), 600, uint64(a.idx), uint64(m))
	n := per * (80 + int(h%41)) / 100
	if n < 1 {
		n = 1
	}
	return n
}

func (s *Simulator) removalPos(v *view, block int) int {
	return int(mix(uint64(s.cfg.Seed), 601, uint64(v.a.idx), uint64(v.m), uint64(block), uint64(v.version)) % removalBlock)
}

// makeView computes the record layout of (a, m) given the month state.
// Callers hold no lock; st is a snapshot.
func (s *Simulator) makeView(a *account, m month, st monthSnapshot, extra int) view {
	v := view{a: a, m: m, version: st.version, days: st.days, reissuedAt: st.reissuedAt}
	if v.days <= 0 {
		return v
	}
	base := s.baseCount(a, m)
	v.n = base * v.days / m.daysIn()
	if v.n < 1 {
		v.n = 1
	}
	if v.version > 0 {
		full := v.n / removalBlock
		v.removed = full
		if rem := v.n % removalBlock; rem > 0 && s.removalPos(&v, full) < rem {
			v.removed++
		}
		per := v.n / 100
		if per < 1 {
			per = 1
		}
		v.late = v.version * per
	}
	v.late += extra
	return v
}

// locate maps a position within the view to (index, late).
func (s *Simulator) locate(v *view, pos int) (int, bool) {
	surv := v.n - v.removed
	if pos >= surv {
		return pos - surv, true
	}
	if v.version == 0 {
		return pos, false
	}
	full := v.n / removalBlock
	per := removalBlock - 1
	var b, k int
	if pos < full*per {
		b, k = pos/per, pos%per
		if k >= s.removalPos(v, b) {
			k++
		}
	} else {
		b, k = full, pos-full*per
		rem := v.n % removalBlock
		if r := s.removalPos(v, b); r < rem && k >= r {
			k++
		}
	}
	return b*removalBlock + k, false
}

// record is one generated itemised line, in compact form.
type record struct {
	a        *account
	res      *resource
	resIdx   int
	m        month
	idx      int
	late     bool
	day      int
	sec      int // second of the bill date (UTC+8) of consumption
	billType int
	period   int // period_type; 0 = none
	periods  int
	usage    int64 // 1e-4 units
	free     int64
	ri       int64
	hasUsage bool
	price    int64 // unit price, 1e-4 currency units; 0 = none
	official int64 // cents (all money below too)
	discount int64
	trunc    int64 // truncation included in discount
	amount   int64
	split    [8]int64 // cash, credit, coupon, flexipurchase, stored card, bonus, debt, adjustment
	trade    uint64
	posted   time.Time // a re-issue's late line: when the re-issue was made (zero: at consumption)
}

// Payment split slots.
const (
	spCash = iota
	spCredit
	spCoupon
	spFlexi
	spStored
	spBonus
	spDebt
	spAdjust
)

// gen generates line idx (or late line idx) of view v deterministically from
// (seed, account, month, idx, version).
func (s *Simulator) gen(v *view, idx int, late bool, out *record) {
	seed := uint64(s.cfg.Seed)
	lf := uint64(0)
	if late {
		lf = 1
	}
	r := rng{s: mix(seed, 610, uint64(v.a.idx), uint64(v.m), uint64(idx), lf)}
	*out = record{a: v.a, m: v.m, idx: idx, late: late}
	out.resIdx = r.intn(len(v.a.resources))
	res := &v.a.resources[out.resIdx]
	out.res = res
	if late {
		out.day = v.days
		// Late line k belongs to re-issue k/per+1 (makeView adds per lines per version).
		if per := max(v.n/100, 1); idx < v.version*per && idx/per < len(v.reissuedAt) {
			out.posted = v.reissuedAt[idx/per]
		}
	} else {
		out.day = 1 + int(int64(idx)*int64(v.days)/int64(v.n))
	}
	out.sec = r.intn(86400)
	factor := int64(100)
	if v.version > 0 && !late && mix(seed, 700, uint64(v.a.idx), uint64(v.m), uint64(idx), uint64(v.version))%100 < 5 {
		factor = 50 + int64(mix(seed, 701, uint64(v.a.idx), uint64(v.m), uint64(idx), uint64(v.version))%101)
		if factor == 100 {
			factor = 133
		}
	}
	rt := res.rt
	neg := false
	switch res.chargeMode {
	case 3, 11:
		out.billType = 5
		if res.chargeMode == 11 {
			out.billType = 23
		}
		p := r.intn(100)
		if res.chargeMode == 3 && p < 2 {
			out.billType, neg = 9, true
		} else if res.chargeMode == 3 && p < 4 {
			out.billType = 16
		}
		out.hasUsage = true
		out.usage = r.between(1, 240000)
		out.price = rt.ppuPrice
		if r.intn(100) < 5 {
			out.free = out.usage
		} else {
			out.official = (out.usage*out.price + 500000) / 1000000
		}
		if res.chargeMode == 11 {
			out.ri = out.usage / 2
		}
		if res.ri != nil && out.billType == 5 {
			// The reserved instance covers up to one hour (usage is in hours) of the
			// line; the rest is billed at the pay-per-use price.
			out.ri, out.free = min(out.usage, 10000), 0
			out.official = ((out.usage-out.ri)*out.price + 500000) / 1000000
		}
	default: // 1 yearly/monthly, 10 reserved instance
		p := r.intn(100)
		switch {
		case p < 35:
			out.billType = 1
		case p < 65:
			out.billType = 2
		case p < 90:
			out.billType = 8
		default:
			out.billType, neg = 4, true
		}
		out.period, out.periods = 20, 1+r.intn(3)
		out.official = rt.monthPrice * int64(out.periods)
		if rt.specSize {
			out.official = out.official * res.specSize / 40
		}
		if res.chargeMode == 10 || r.intn(5) == 0 {
			out.period, out.periods = 19, 1
			out.official = rt.monthPrice * 10
		}
		out.price = rt.monthPrice * 100
	}
	out.official = out.official * factor / 100
	pcts := [...]int64{0, 0, 0, 5, 10, 15, 20}
	out.discount = out.official * pcts[r.intn(len(pcts))] / 100
	if out.hasUsage && out.official-out.discount >= 2 && r.intn(10) == 0 {
		out.trunc = 1
		out.discount++
	}
	out.amount = out.official - out.discount
	a := out.amount
	switch p := r.intn(100); {
	case a == 0:
	case p < 55 || neg:
		out.split[spCash] = a
	case p < 75:
		out.split[spCredit] = a
	case p < 83:
		c := a * r.between(10, 100) / 100
		out.split[spCoupon], out.split[spCash] = c, a-c
	case p < 87:
		out.split[spDebt] = a
	case p < 90:
		w := a / 2
		out.split[spAdjust], out.split[spDebt] = w, a-w
	case p < 92:
		out.split[spFlexi] = a
	case p < 94:
		out.split[spStored] = a
	default:
		c := a / 2
		out.split[spCash], out.split[spCredit] = c, a-c
	}
	if neg {
		out.official, out.discount, out.amount = -out.official, -out.discount, -out.amount
		out.trunc = -out.trunc
		for k := range out.split {
			out.split[k] = -out.split[k]
		}
	}
	out.trade = r.next()
}

// summaryBillType maps an itemised bill type to the monthly summary's
// 1 expenditure / 2 refund / 3 adjustment.
func summaryBillType(bt int) int {
	switch bt {
	case 4, 20, 24:
		return 2
	case 9, 16:
		return 3
	}
	return 1
}

func (rec *record) id(buf []byte) []byte {
	buf = append(buf, "fr-"...)
	buf = appendInt2(buf, rec.m.year()%100)
	buf = appendInt2(buf, int(rec.m.mon()))
	buf = append(buf, '-')
	buf = append(buf, rec.a.ID[:12]...)
	buf = append(buf, '-')
	if rec.late {
		buf = append(buf, 'L')
	}
	return appendPadded(buf, int64(rec.idx), 10)
}

func (rec *record) tradeID(buf []byte) []byte {
	if rec.res.chargeMode == 1 || rec.res.chargeMode == 10 {
		buf = append(buf, "CS"...)
	} else {
		buf = append(buf, "BL"...)
	}
	buf = appendInt2(buf, rec.m.year()%100)
	buf = appendInt2(buf, int(rec.m.mon()))
	buf = appendInt2(buf, rec.day)
	return appendPadded(buf, int64(rec.trade%100000000000), 11)
}

func appendInt2(buf []byte, v int) []byte {
	return append(buf, byte('0'+v/10%10), byte('0'+v%10))
}

func appendPadded(buf []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// consumeTime is the UTC instant of the record's consumption.
func (rec *record) consumeTime() time.Time {
	return time.Date(rec.m.year(), rec.m.mon(), rec.day, 0, 0, rec.sec, 0, utc8)
}
