package bsssim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The monthly amortised-cost breakdown (ListCustomerBillsMonthlyBreakDown,
// reference §7.5), derived from the same itemised lines as the bills:
//
//   - A purchase (bill types 1 new, 2 renewal, 8 auto-renewal) of a
//     yearly/monthly resource or a reserved instance is spread over the
//     months it pays for, starting with its own bill month: 12 for a yearly
//     period, period_num months for a monthly one. Each (purchase, shared
//     month) is one detail with its order_id; the shares are exact to the
//     cent and add up to the purchase's amount (each payment amount is
//     spread on its own: share k of n is T*(k+1)/n - T*k/n).
//   - Every other line (usage, savings-plan deductions, refunds,
//     adjustments) is amortised into its own month: one detail per
//     (resource, bill type) of the month, past and future 0.
//   - The breakdown has only six payment amounts (cash, credit, coupon,
//     flexi-purchase coupon, stored-value card, bonus): a line's arrears and
//     adjustment amounts count as cash, so that the documented identity
//     current = sum of the six holds.
//   - Lag: the amortisation is refreshed once a day, at 00:00 UTC+8, with
//     the lines consumed until 24 h before: a line appears 24-48 h after
//     its consumption (amortizedCutoff); until then it is missing from
//     every shared month.
//   - History: the last AmortizedHistoryMonths (18) shared months, counting
//     the current one; older or later months answer CBC.0100.
//   - Cost Center: an account listed by SetCostCenter(id, false) is answered
//     CBC.18000014. The operation exists on the China site only.

// amortizedCutoff is the consumption time up to which the breakdown holds
// lines at now: 24 h before the last 00:00 UTC+8 refresh.
func amortizedCutoff(now time.Time) time.Time {
	b := now.In(utc8)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, utc8).Add(-24 * time.Hour)
}

// AmortizedHistoryMonths is how many shared months the breakdown serves,
// counting the current one.
const AmortizedHistoryMonths = 18

// amortDetail is one detail of a shared month, in cents.
type amortDetail struct {
	a        *account
	res      *resource
	bill     month // bill_cycle of the line(s)
	billType int
	period   int // period_type; 0 none
	order    []byte
	hasUsage bool
	usage    int64
	free     int64
	ri       int64
	consume  int64
	past     int64
	current  int64
	future   int64
	split    [6]int64 // cash (+debt, adjustment), credit, coupon, flexi, stored card, bonus
	begin    time.Time
	end      time.Time
}

// amortMonths is how many months a line is spread over (1: its own).
func amortMonths(rec *record) int {
	if rec.hasUsage || (rec.billType != 1 && rec.billType != 2 && rec.billType != 8) {
		return 1
	}
	if rec.period == 19 {
		return 12
	}
	return max(rec.periods, 1)
}

// amortSplit folds a line's eight payment slots into the breakdown's six.
func amortSplit(rec *record) [6]int64 {
	return [6]int64{rec.split[spCash] + rec.split[spDebt] + rec.split[spAdjust], rec.split[spCredit], rec.split[spCoupon],
		rec.split[spFlexi], rec.split[spStored], rec.split[spBonus]}
}

// share is the k-th of n exact shares of total.
func share(total int64, k, n int) int64 {
	return total*int64(k+1)/int64(n) - total*int64(k)/int64(n)
}

// amortized returns the details of account a for shared month sm, in API
// order: the month's own lines by resource and bill type, then the spread
// purchases by bill month and line (cached).
func (s *Simulator) amortized(a *account, sm month) []amortDetail {
	cutoff := amortizedCutoff(s.cfg.Now())
	var views []view
	for b := sm - 11; b <= sm; b++ {
		views = append(views, s.makeView(a, b, s.snapshot(b), 0))
	}
	key := "am|" + viewsKey(views) + strconv.FormatInt(cutoff.Unix(), 10)
	return s.cached(key, func() any {
		var own, spread []amortDetail
		idx := make(map[[2]int]int)
		for i := range views {
			v := &views[i]
			s.scan(v, func(_ int, rec *record) {
				if rec.consumeTime().After(cutoff) {
					return
				}
				n := amortMonths(rec)
				k := int(sm - v.m)
				if k >= n {
					return
				}
				sp := amortSplit(rec)
				if n == 1 {
					rk := [2]int{rec.resIdx, rec.billType}
					j, ok := idx[rk]
					if !ok {
						j = len(own)
						idx[rk] = j
						own = append(own, amortDetail{a: a, res: rec.res, bill: v.m, billType: rec.billType, period: rec.period, hasUsage: rec.hasUsage})
					}
					d := &own[j]
					d.usage += rec.usage
					d.free += rec.free
					d.ri += rec.ri
					d.consume += rec.amount
					d.current += rec.amount
					for x := range sp {
						d.split[x] += sp[x]
					}
					return
				}
				d := amortDetail{a: a, res: rec.res, bill: v.m, billType: rec.billType, period: rec.period, consume: rec.amount,
					order: rec.tradeID(nil)}
				for x := range sp {
					d.split[x] = share(sp[x], k, n)
					d.current += d.split[x]
					d.past += sp[x] * int64(k) / int64(n)
				}
				d.future = d.consume - d.past - d.current
				d.begin = rec.consumeTime().Truncate(time.Second)
				d.end = d.begin.AddDate(0, n, 0)
				spread = append(spread, d)
			})
		}
		sort.SliceStable(own, func(i, j int) bool {
			if own[i].res.id != own[j].res.id {
				return own[i].res.id < own[j].res.id
			}
			return own[i].billType < own[j].billType
		})
		return append(own, spread...)
	}).([]amortDetail)
}

// amortFilter holds the monthly-breakdown query filters.
type amortFilter struct {
	svc, rt, region, resID, resName, ep *string
	chargeMode, billType                int // 0 / -1 none
}

func (f *amortFilter) match(d *amortDetail) bool {
	res := d.res
	switch {
	case f.svc != nil && *f.svc != "" && res.svc.code != *f.svc, f.svc != nil && *f.svc == "":
		return false // an empty string is a filter that no detail matches
	case f.rt != nil && *f.rt != "" && res.rt.code != *f.rt, f.rt != nil && *f.rt == "":
		return false
	case f.region != nil && *f.region != "" && (res.region == nil || res.region.code != *f.region):
		return false
	case f.resID != nil && *f.resID != "" && res.id != *f.resID:
		return false
	case f.resName != nil && *f.resName != "" && res.name != *f.resName:
		return false
	case f.chargeMode != 0 && res.chargeMode != f.chargeMode:
		return false
	case f.billType >= 0 && d.billType != f.billType:
		return false
	}
	if f.ep != nil && *f.ep != "" {
		if res.ep == nil {
			return *f.ep == "null" || *f.ep == "-1"
		}
		return res.ep.id == *f.ep
	}
	return true
}

// handleMonthlyBreakdown serves GET /v2/costs/cost-analysed-bills/monthly-breakdown.
func (s *Simulator) handleMonthlyBreakdown(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	sm, ok := parseMonth(q.Get("shared_month"))
	if !ok {
		return paramError("shared_month is required and must be in the format YYYY-MM.")
	}
	cur := monthOf(s.cfg.Now())
	if sm > cur || sm <= cur-AmortizedHistoryMonths {
		return paramError("shared_month must be one of the last %d months (%s to %s).", AmortizedHistoryMonths,
			(cur - AmortizedHistoryMonths + 1).String(), cur.String())
	}
	f := amortFilter{billType: -1}
	f.svc, f.rt, f.region = optParam(q, "service_type_code"), optParam(q, "resource_type_code"), optParam(q, "region_code")
	f.resID, f.resName, f.ep = optParam(q, "resource_id"), optParam(q, "resource_name"), optParam(q, "enterprise_project_id")
	if v := q.Get("charging_mode"); v != "" {
		switch v {
		case "1", "3", "10", "11":
			f.chargeMode, _ = strconv.Atoi(v)
		default:
			return paramError("charging_mode must be 1, 3, 10 or 11.")
		}
	}
	if v := q.Get("bill_type"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return paramError("bill_type must be an integer.")
		}
		f.billType = n
	}
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	if !s.costCenter(rc.caller) {
		return http.StatusBadRequest, bssError("CBC.18000014", "Cost Center is not enabled. Enable it in the Billing Center first.")
	}
	accts, st, body := s.resolveAccounts(rc.caller, q)
	if st != 0 {
		return st, body
	}
	var rows []*amortDetail
	for _, a := range accts {
		ds := s.amortized(a, sm)
		for i := range ds {
			if f.match(&ds[i]) {
				rows = append(rows, &ds[i])
			}
		}
	}
	buf := make([]byte, 0, 512+limit*1500)
	buf = append(buf, `{"currency":"`+s.Currency()+`","total_count":`...)
	buf = strconv.AppendInt(buf, int64(len(rows)), 10)
	buf = append(buf, `,"details":[`...)
	for i := offset; i < len(rows) && i < offset+limit; i++ {
		if i > offset {
			buf = append(buf, ',')
		}
		buf = s.appendAmortDetail(buf, rc.lang, sm, rows[i])
	}
	buf = append(buf, "]}"...)
	return http.StatusOK, buf
}

func (s *Simulator) appendAmortDetail(buf []byte, lang string, sm month, d *amortDetail) []byte {
	res, rt := d.res, d.res.rt
	buf = append(buf, `{"shared_month":"`...)
	buf = append(buf, sm.String()...)
	buf = append(buf, '"')
	buf = kStr(buf, "bill_cycle", d.bill.String())
	buf = kInt(buf, "bill_type", int64(d.billType))
	buf = kStr(buf, "customer_id", d.a.ID)
	if res.region == nil {
		buf = kNull(buf, "region_code")
		buf = kNull(buf, "region_name")
	} else {
		buf = kStr(buf, "region_code", res.region.code)
		buf = kStr(buf, "region_name", pick(lang, res.region.nameEN, res.region.nameZH))
	}
	buf = kStr(buf, "service_type_code", res.svc.code)
	buf = kStr(buf, "resource_type_code", rt.code)
	buf = kStr(buf, "service_type_name", pick(lang, res.svc.nameEN, res.svc.nameZH))
	buf = kStr(buf, "resource_type_name", pick(lang, rt.nameEN, rt.nameZH))
	if d.begin.IsZero() {
		buf = kNull(buf, "effective_time")
		buf = kNull(buf, "expire_time")
	} else {
		buf = appendTime(kRaw(buf, "effective_time"), d.begin)
		buf = appendTime(kRaw(buf, "expire_time"), d.end)
	}
	buf = kStr(buf, "resource_id", res.id)
	buf = kStr(buf, "resource_name", res.name)
	buf = kStrOrNull(buf, "resource_tag", res.tag, res.tag == "")
	buf = kStr(buf, "product_spec_desc", pick(lang, rt.nameEN, rt.nameZH)+" | "+res.sku)
	if res.ep == nil {
		buf = kNull(buf, "enterprise_project_id")
		buf = kNull(buf, "enterprise_project_name")
	} else {
		buf = kStr(buf, "enterprise_project_id", res.ep.id)
		buf = kStr(buf, "enterprise_project_name", res.ep.name)
	}
	buf = kInt(buf, "charging_mode", int64(res.chargeMode))
	if d.order == nil {
		buf = kNull(buf, "order_id")
	} else {
		buf = kStr(buf, "order_id", string(d.order))
	}
	if d.period == 0 {
		buf = kNull(buf, "period_type")
	} else {
		buf = kInt(buf, "period_type", int64(d.period))
	}
	if d.hasUsage {
		mid := int64(rt.usageMeasure)
		buf = kStr(buf, "usage_type", rt.usageType)
		buf = appendFixed(kRaw(buf, "usage"), d.usage, 4)
		buf = kInt(buf, "usage_measure_id", mid)
		buf = appendFixed(kRaw(buf, "free_resource_usage"), d.free, 4)
		buf = kInt(buf, "free_resource_measure_id", mid)
		buf = appendFixed(kRaw(buf, "ri_usage"), d.ri, 4)
		buf = kInt(buf, "ri_usage_measure_id", mid)
	} else {
		for _, k := range [...]string{"usage_type", "usage", "usage_measure_id", "free_resource_usage",
			"free_resource_measure_id", "ri_usage", "ri_usage_measure_id"} {
			buf = kNull(buf, k)
		}
	}
	buf = kCents(buf, "consume_amount", d.consume)
	buf = kCents(buf, "past_months_amortized_amount", d.past)
	buf = kCents(buf, "current_month_amortized_amount", d.current)
	buf = kCents(buf, "future_months_amortized_amount", d.future)
	buf = kCents(buf, "amortized_cash_amount", d.split[0])
	buf = kCents(buf, "amortized_credit_amount", d.split[1])
	buf = kCents(buf, "amortized_coupon_amount", d.split[2])
	buf = kCents(buf, "amortized_flexipurchase_coupon_amount", d.split[3])
	buf = kCents(buf, "amortized_stored_value_card_amount", d.split[4])
	buf = kCents(buf, "amortized_bonus_amount", d.split[5])
	buf = appendSubNulls(buf)
	buf = append(kRaw(buf, "effective_tag_pairs"), '[')
	for i, kv := range tagPairs(res.tag) {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"tag_key":`...)
		buf = appendJSONString(buf, kv[0])
		buf = append(buf, `,"tag_value":`...)
		buf = appendJSONString(buf, kv[1])
		buf = append(buf, '}')
	}
	buf = append(buf, ']')
	buf = append(kRaw(buf, "cost_unit_pairs"), '[')
	if res.ep != nil && res.ep.id != "0" {
		buf = append(buf, `{"cost_unit_name":`...)
		buf = appendJSONString(buf, "unit-"+res.ep.name)
		buf = append(buf, `,"cost_unit_rule_value":`...)
		buf = appendJSONString(buf, "enterprise_project="+res.ep.name)
		buf = append(buf, '}')
	}
	buf = append(buf, ']')
	return append(buf, '}')
}

// tagPairs splits a resource tag "k=v;k2=v2" into pairs.
func tagPairs(tag string) [][2]string {
	var out [][2]string
	for _, kv := range strings.Split(tag, ";") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, [2]string{k, v})
	}
	return out
}

// costCenter reports whether a has Cost Center enabled.
func (s *Simulator) costCenter(a *account) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.noCostCenter[a.ID]
}

// SetCostCenter enables or disables Cost Center for an account (all are
// enabled at first, unless listed in Config.NoCostCenter). Without it, the
// amortised-cost breakdown answers CBC.18000014.
func (s *Simulator) SetCostCenter(accountID string, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if enabled {
		delete(s.noCostCenter, accountID)
	} else {
		s.noCostCenter[accountID] = true
	}
}

// AmortizedTruth is what a correct client must read from the amortised
// breakdown of one shared month, at the simulator clock.
type AmortizedTruth struct {
	SharedMonth string
	// Details is the total_count of the breakdown (no filter).
	Details int
	// Sums over the details.
	ConsumeAmount, PastMonthsAmount, CurrentMonthAmount, FutureMonthsAmount decimal.Decimal
	CashAmount, CreditAmount, CouponAmount, FlexipurchaseCouponAmount       decimal.Decimal
	StoredValueCardAmount, BonusAmount                                      decimal.Decimal
	// PerCustomer holds the same per account.
	PerCustomer map[string]AmortizedTruth
}

// AmortizedTruth computes the expected breakdown of sharedMonth ("2006-01")
// for scope ("" or "all": the master's method=all view; else one account
// ID). It panics on a malformed month or unknown account (test bugs).
func (s *Simulator) AmortizedTruth(scope, sharedMonth string) AmortizedTruth {
	m, ok := parseMonth(sharedMonth)
	if !ok {
		panic(errBadCycle(sharedMonth))
	}
	var accts []*account
	switch scope {
	case "", "all":
		accts, _ = s.visibleForAll(s.t.accounts[0])
	default:
		a := s.t.byID[scope]
		if a == nil {
			panic(fmt.Errorf("bsssim: unknown account %q", scope))
		}
		accts = []*account{a}
	}
	t := AmortizedTruth{SharedMonth: sharedMonth, PerCustomer: make(map[string]AmortizedTruth)}
	var all []amortDetail
	for _, a := range accts {
		ds := s.amortized(a, m)
		all = append(all, ds...)
		ct := AmortizedTruth{SharedMonth: sharedMonth}
		fillAmortTruth(&ct, ds)
		t.PerCustomer[a.ID] = ct
	}
	fillAmortTruth(&t, all)
	return t
}

func fillAmortTruth(t *AmortizedTruth, ds []amortDetail) {
	var c, p, cu, f int64
	var sp [6]int64
	for i := range ds {
		d := &ds[i]
		c, p, cu, f = c+d.consume, p+d.past, cu+d.current, f+d.future
		for x := range sp {
			sp[x] += d.split[x]
		}
	}
	t.Details = len(ds)
	t.ConsumeAmount, t.PastMonthsAmount, t.CurrentMonthAmount, t.FutureMonthsAmount = cents(c), cents(p), cents(cu), cents(f)
	t.CashAmount, t.CreditAmount, t.CouponAmount = cents(sp[0]), cents(sp[1]), cents(sp[2])
	t.FlexipurchaseCouponAmount, t.StoredValueCardAmount, t.BonusAmount = cents(sp[3]), cents(sp[4]), cents(sp[5])
}
