package bsssim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// pageParams validates offset and limit (reference §3.2).
func pageParams(q url.Values, maxLimit, maxOffset int) (offset, limit int, status int, body []byte) {
	offset, limit = 0, 10
	if vs, ok := q["offset"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || vs[0] == "" || vs[0][0] == '+' || n < 0 || n > maxOffset {
			status, body = paramError("offset must be an integer between 0 and %d.", maxOffset)
			return
		}
		offset = n
	}
	if vs, ok := q["limit"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || vs[0] == "" || vs[0][0] == '+' || n < 1 || n > maxLimit {
			status, body = paramError("limit must be between 1 and %d.", maxLimit)
			return
		}
		limit = n
	}
	return
}

const maxInt32 = 1<<31 - 1

// resolveAccounts applies method / sub_customer_id (reference §0, §17).
func (s *Simulator) resolveAccounts(caller *account, q url.Values) ([]*account, int, []byte) {
	method := "all"
	if vs, ok := q["method"]; ok {
		method = vs[0]
	}
	switch method {
	case "oneself":
		return []*account{caller}, 0, nil
	case "sub_customer":
		id := q.Get("sub_customer_id")
		if id == "" {
			st, b := paramError("sub_customer_id is required when method is sub_customer.")
			return nil, st, b
		}
		if !caller.Master {
			st, b := accessDenied()
			return nil, st, b
		}
		a := s.t.byID[id]
		if a == nil || a.Master || !a.Authorized {
			st, b := accessDenied()
			return nil, st, b
		}
		return []*account{a}, 0, nil
	case "all":
		accts, ok := s.visibleForAll(caller)
		if !ok {
			return nil, http.StatusBadRequest, bssError("CBC.18000048",
				"The number of member accounts with independent accounting exceeds 1000. Specify a member account.")
		}
		return accts, 0, nil
	}
	st, b := paramError("method must be oneself, sub_customer or all.")
	return nil, st, b
}

// filter is the set of res-fee-records filters in a request.
type filter struct {
	svc, region, resID, ep, trade *string
	chargeMode                    int // 0 none
	billType                      int // -1 none
	includeZero                   *bool
	from, to                      int // bill date days; 0 none
}

func (f *filter) empty() bool {
	return f.svc == nil && f.region == nil && f.resID == nil && f.ep == nil && f.trade == nil &&
		f.chargeMode == 0 && f.billType < 0 && (f.includeZero == nil || *f.includeZero) && f.from == 0
}

func (f *filter) key() string {
	var b strings.Builder
	opt := func(name string, p *string) {
		if p != nil {
			b.WriteString(name + "=" + strconv.Quote(*p) + ";")
		}
	}
	opt("s", f.svc)
	opt("r", f.region)
	opt("i", f.resID)
	opt("e", f.ep)
	opt("t", f.trade)
	b.WriteString(strconv.Itoa(f.chargeMode) + ";" + strconv.Itoa(f.billType) + ";" + strconv.Itoa(f.from) + "-" + strconv.Itoa(f.to))
	if f.includeZero != nil {
		b.WriteString(strconv.FormatBool(*f.includeZero))
	}
	return b.String()
}

func (f *filter) match(rec *record) bool {
	res := rec.res
	if f.svc != nil && res.svc.code != *f.svc {
		return false
	}
	if f.region != nil && (res.region == nil || res.region.code != *f.region) {
		return false
	}
	if f.resID != nil && res.id != *f.resID {
		return false
	}
	if f.ep != nil {
		if res.ep == nil {
			if *f.ep != "-1" {
				return false
			}
		} else if res.ep.id != *f.ep {
			return false
		}
	}
	if f.chargeMode != 0 && res.chargeMode != f.chargeMode {
		return false
	}
	if f.billType >= 0 && rec.billType != f.billType {
		return false
	}
	if f.includeZero != nil && !*f.includeZero && rec.amount == 0 {
		return false
	}
	if f.from != 0 && (rec.day < f.from || rec.day > f.to) {
		return false
	}
	if f.trade != nil && string(rec.tradeID(nil)) != *f.trade {
		return false
	}
	return true
}

func optParam(q url.Values, k string) *string {
	if vs, ok := q[k]; ok {
		v := vs[0]
		return &v
	}
	return nil
}

// parseDate parses YYYY-MM-DD and returns the month and day.
func parseDate(s string) (month, int, bool) {
	if len(s) != 10 || s[7] != '-' {
		return 0, 0, false
	}
	m, ok := parseMonth(s[:7])
	if !ok {
		return 0, 0, false
	}
	d, err := strconv.Atoi(s[8:])
	if err != nil || d < 1 || d > m.daysIn() || s[8] == '+' {
		return 0, 0, false
	}
	return m, d, true
}

// handleResFeeRecords serves GET /v2/bills/customer-bills/res-fee-records
// (ListCustomerselfResourceRecords, reference §7.2).
func (s *Simulator) handleResFeeRecords(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	cycle := q.Get("cycle")
	m, ok := parseMonth(cycle)
	if _, present := q["cycle"]; !present || !ok {
		return paramError("cycle is required and must be in the format YYYY-MM.")
	}
	stat := 3
	if vs, ok := q["statistic_type"]; ok && vs[0] != "" {
		switch vs[0] {
		case "1":
			stat = 1
		case "3":
		default:
			return paramError("statistic_type must be 1 or 3.")
		}
	}
	f := filter{billType: -1}
	f.svc, f.region, f.resID = optParam(q, "cloud_service_type"), optParam(q, "region"), optParam(q, "resource_id")
	f.ep, f.trade = optParam(q, "enterprise_project_id"), optParam(q, "trade_id")
	if vs, ok := q["charge_mode"]; ok {
		switch vs[0] {
		case "1", "3", "10", "11":
			f.chargeMode, _ = strconv.Atoi(vs[0])
		default:
			return paramError("charge_mode must be 1, 3, 10 or 11.")
		}
	}
	if v := q.Get("bill_type"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return paramError("bill_type must be an integer.")
		}
		f.billType = n
	}
	if v := q.Get("include_zero_record"); v != "" {
		switch v {
		case "true", "false":
			b := v == "true"
			f.includeZero = &b
		default:
			return paramError("include_zero_record must be true or false.")
		}
	}
	_, hasBegin := q["bill_date_begin"]
	_, hasEnd := q["bill_date_end"]
	if hasBegin && hasEnd && stat == 3 {
		bm, bd, ok1 := parseDate(q.Get("bill_date_begin"))
		em, ed, ok2 := parseDate(q.Get("bill_date_end"))
		if !ok1 || !ok2 {
			return paramError("bill_date_begin and bill_date_end must be in the format YYYY-MM-DD.")
		}
		if bm != m || em != m {
			return paramError("bill_date_begin and bill_date_end must be in the month of cycle.")
		}
		if bd > ed {
			return paramError("bill_date_begin must not be after bill_date_end.")
		}
		f.from, f.to = bd, ed
	}
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	accts, st, body := s.resolveAccounts(rc.caller, q)
	if st != 0 {
		return st, body
	}
	snap := s.snapshot(m)
	extra := 0
	if stat == 3 {
		extra = s.driftExtra(m)
	}
	views := make([]view, len(accts))
	for i, a := range accts {
		views[i] = s.makeView(a, m, snap, extra)
	}
	buf := getBuf(512 + limit*1900)
	buf = append(buf, `{"total_count":`...)
	enc := recordEncoder{s: s, lang: rc.lang, currency: s.Currency()}
	if stat == 1 {
		rows := s.rollup(views, &f)
		buf = strconv.AppendInt(buf, int64(len(rows)), 10)
		buf = append(buf, `,"currency":"`+s.Currency()+`","fee_records":[`...)
		for i := offset; i < len(rows) && i < offset+limit; i++ {
			if i > offset {
				buf = append(buf, ',')
			}
			buf = enc.appendRollup(buf, &rows[i])
		}
		buf = append(buf, "]}"...)
		return http.StatusOK, buf
	}
	var rec record
	if f.empty() {
		total := 0
		for i := range views {
			total += views[i].count()
		}
		buf = strconv.AppendInt(buf, int64(total), 10)
		buf = append(buf, `,"currency":"`+s.Currency()+`","fee_records":[`...)
		k, pos := 0, offset
		for k < len(views) && pos >= views[k].count() {
			pos -= views[k].count()
			k++
		}
		for n := 0; n < limit && k < len(views); n++ {
			if pos >= views[k].count() {
				k, pos = k+1, 0
				n--
				continue
			}
			idx, late := s.locate(&views[k], pos)
			s.gen(&views[k], idx, late, &rec)
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = enc.appendRecord(buf, &rec)
			pos++
		}
		buf = append(buf, "]}"...)
		return http.StatusOK, buf
	}
	matches := s.matches(views, &f)
	buf = strconv.AppendInt(buf, int64(len(matches)), 10)
	buf = append(buf, `,"currency":"`+s.Currency()+`","fee_records":[`...)
	for i := offset; i < len(matches) && i < offset+limit; i++ {
		mt := matches[i]
		v := &views[mt.k]
		idx, late := s.locate(v, int(mt.pos))
		s.gen(v, idx, late, &rec)
		if i > offset {
			buf = append(buf, ',')
		}
		buf = enc.appendRecord(buf, &rec)
	}
	buf = append(buf, "]}"...)
	return http.StatusOK, buf
}

type match struct {
	k   int32
	pos int32
}

func viewsKey(views []view) string {
	var b strings.Builder
	for i := range views {
		v := &views[i]
		b.WriteString(v.a.ID[:8] + ":" + v.m.String() + ":" + strconv.Itoa(v.days) + ":" + strconv.Itoa(v.version) + ":" + strconv.Itoa(v.late) + "|")
	}
	return b.String()
}

// scan calls fn for every line of the view, in order.
func (s *Simulator) scan(v *view, fn func(pos int, rec *record)) {
	var rec record
	n := v.count()
	for pos := 0; pos < n; pos++ {
		idx, late := s.locate(v, pos)
		s.gen(v, idx, late, &rec)
		fn(pos, &rec)
	}
}

// matches lists the filtered lines of the views (cached).
func (s *Simulator) matches(views []view, f *filter) []match {
	key := "m|" + viewsKey(views) + f.key()
	return s.cached(key, func() any {
		var out []match
		for k := range views {
			s.scan(&views[k], func(pos int, rec *record) {
				if f.match(rec) {
					out = append(out, match{int32(k), int32(pos)})
				}
			})
		}
		return out
	}).([]match)
}

// rollupRow is one statistic_type=1 row: a resource's lines of one bill
// type summed over the cycle.
type rollupRow struct {
	a        *account
	res      *resource
	m        month
	billType int
	period   int
	hasUsage bool
	price    int64
	lines    int
	usage    int64
	free     int64
	ri       int64
	official int64
	discount int64
	amount   int64
	split    [8]int64
}

func (s *Simulator) rollup(views []view, f *filter) []rollupRow {
	f2 := *f
	f2.from, f2.to = 0, 0
	z := f2.includeZero
	f2.includeZero = nil
	key := "r|" + viewsKey(views) + f2.key()
	rows := s.cached(key, func() any {
		var out []rollupRow
		for k := range views {
			v := &views[k]
			idx := make(map[[2]int]int)
			start := len(out)
			s.scan(v, func(_ int, rec *record) {
				if !f2.match(rec) {
					return
				}
				rk := [2]int{rec.resIndex(), rec.billType}
				i, ok := idx[rk]
				if !ok {
					i = len(out)
					idx[rk] = i
					out = append(out, rollupRow{a: rec.a, res: rec.res, m: rec.m, billType: rec.billType,
						period: rec.period, hasUsage: rec.hasUsage, price: rec.price})
				}
				r := &out[i]
				r.lines++
				r.usage += rec.usage
				r.free += rec.free
				r.ri += rec.ri
				r.official += rec.official
				r.discount += rec.discount
				r.amount += rec.amount
				for j := range r.split {
					r.split[j] += rec.split[j]
				}
			})
			part := out[start:]
			sort.Slice(part, func(i, j int) bool {
				a, b := &part[i], &part[j]
				if a.res != b.res {
					return a.res.id < b.res.id
				}
				return a.billType < b.billType
			})
		}
		return out
	}).([]rollupRow)
	if z != nil && !*z {
		var out []rollupRow
		for _, r := range rows {
			if r.amount != 0 {
				out = append(out, r)
			}
		}
		return out
	}
	return rows
}

func (rec *record) resIndex() int { return rec.resIdx }
