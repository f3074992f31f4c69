package bsssim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"
)

// sumKey groups monthly summary rows (reference §7.1, §14).
type sumKey struct {
	svc, rt    string
	chargeMode int
	billType   int
}

// sums are int64 cents.
type sums struct {
	lines                             int
	official, discount, trunc, amount int64
	split                             [8]int64
}

func (a *sums) add(rec *record) {
	a.lines++
	a.official += rec.official
	a.discount += rec.discount
	a.trunc += rec.trunc
	a.amount += rec.amount
	for i := range a.split {
		a.split[i] += rec.split[i]
	}
}

func (a *sums) merge(b *sums) {
	a.lines += b.lines
	a.official += b.official
	a.discount += b.discount
	a.trunc += b.trunc
	a.amount += b.amount
	for i := range a.split {
		a.split[i] += b.split[i]
	}
}

// monthAgg aggregates one account's month.
type monthAgg struct {
	total   sums
	zero    int
	rows    map[sumKey]*sums
	rollups int
}

func (s *Simulator) aggregate(v *view, ep *string) *monthAgg {
	key := "a|" + viewsKey([]view{*v})
	if ep != nil {
		key += "ep=" + strconv.Quote(*ep)
	}
	return s.cached(key, func() any {
		agg := &monthAgg{rows: make(map[sumKey]*sums)}
		roll := make(map[[2]int]bool)
		f := filter{billType: -1, ep: ep}
		if ep != nil && *ep == "null" {
			m := "-1"
			f.ep = &m
		}
		s.scan(v, func(_ int, rec *record) {
			if ep != nil && !f.match(rec) {
				return
			}
			agg.total.add(rec)
			if rec.amount == 0 {
				agg.zero++
			}
			k := sumKey{rec.res.svc.code, rec.res.rt.code, rec.res.chargeMode, summaryBillType(rec.billType)}
			r := agg.rows[k]
			if r == nil {
				r = &sums{}
				agg.rows[k] = r
			}
			r.add(rec)
			roll[[2]int{rec.resIdx, rec.billType}] = true
		})
		agg.rollups = len(roll)
		return agg
	}).(*monthAgg)
}

// MonthlySumRow is one expected bill_sums row of ShowCustomerMonthlySum
// (without a service filter: the resource type of single-type services such
// as OBS is null on the wire and "" here).
type MonthlySumRow struct {
	BillCycle                 string
	CustomerID, AccountName   string
	ServiceTypeCode           string
	ResourceTypeCode          string
	ChargingMode              int
	BillType                  int
	OfficialAmount            decimal.Decimal
	OfficialDiscountAmount    decimal.Decimal
	TruncatedAmount           decimal.Decimal
	ConsumeAmount             decimal.Decimal
	CouponAmount              decimal.Decimal
	FlexipurchaseCouponAmount decimal.Decimal
	StoredValueCardAmount     decimal.Decimal
	DebtAmount                decimal.Decimal
	WriteoffAmount            decimal.Decimal
	CashAmount                decimal.Decimal
	CreditAmount              decimal.Decimal
}

// Truth is the exact content a correct client must obtain for one scope and
// billing cycle.
type Truth struct {
	Cycle string
	// Scope is "" for the master's method=all view, or one account ID.
	Scope string
	// CustomerIDs lists the accounts covered, in the order the API pages them.
	CustomerIDs []string
	// Records is the itemised (statistic_type=3) total_count with zero lines
	// included; ZeroRecords of them have amount 0.
	Records     int
	ZeroRecords int
	// RollupRecords is the statistic_type=1 total_count (zero rows included).
	RollupRecords int
	// Sums over the itemised records.
	OfficialAmount            decimal.Decimal
	DiscountAmount            decimal.Decimal
	Amount                    decimal.Decimal
	CashAmount                decimal.Decimal
	CreditAmount              decimal.Decimal
	CouponAmount              decimal.Decimal
	FlexipurchaseCouponAmount decimal.Decimal
	StoredCardAmount          decimal.Decimal
	BonusAmount               decimal.Decimal
	DebtAmount                decimal.Decimal
	AdjustmentAmount          decimal.Decimal
	// TruncatedAmount is the truncation included in DiscountAmount.
	TruncatedAmount decimal.Decimal
	// MonthlySums are the expected monthly summary rows, in API order.
	MonthlySums []MonthlySumRow
	// PerCustomer holds the same totals per account (PerCustomer entries
	// have no PerCustomer or MonthlySums of their own).
	PerCustomer map[string]Truth
}

func cents(v int64) decimal.Decimal { return decimal.New(v, -2) }

// Truth computes the expected totals of cycle ("2006-01") for scope: "" or
// "all" means what the master sees with method=all (itself, unified members
// and authorised independent members); an account ID means that account
// alone. Drift (SetDrift) is not included: Truth is the settled state. The
// result reflects the simulator clock and re-issue version at call time.
// It panics on a malformed cycle or an unknown account ID (test bugs).
func (s *Simulator) Truth(scope, cycle string) Truth {
	m, ok := parseMonth(cycle)
	if !ok {
		panic(errBadCycle(cycle))
	}
	var accts []*account
	switch scope {
	case "", "all":
		scope = ""
		accts, _ = s.visibleForAll(s.t.accounts[0])
	default:
		a := s.t.byID[scope]
		if a == nil {
			panic(fmt.Errorf("bsssim: unknown account %q", scope))
		}
		accts = []*account{a}
	}
	snap := s.snapshot(m)
	t := Truth{Cycle: cycle, Scope: scope, PerCustomer: make(map[string]Truth)}
	var total sums
	for _, a := range accts {
		v := s.makeView(a, m, snap, 0)
		agg := s.aggregate(&v, nil)
		ct := Truth{Cycle: cycle, Scope: a.ID, CustomerIDs: []string{a.ID}}
		fillTruth(&ct, &agg.total, agg.zero, agg.rollups)
		t.PerCustomer[a.ID] = ct
		t.CustomerIDs = append(t.CustomerIDs, a.ID)
		total.merge(&agg.total)
		t.ZeroRecords += agg.zero
		t.RollupRecords += agg.rollups
		for _, r := range s.sumRows(a, m, agg, nil) {
			t.MonthlySums = append(t.MonthlySums, r.toTruth(a, m))
		}
	}
	fillTruth(&t, &total, t.ZeroRecords, t.RollupRecords)
	return t
}

func fillTruth(t *Truth, a *sums, zero, rollups int) {
	t.Records, t.ZeroRecords, t.RollupRecords = a.lines, zero, rollups
	t.OfficialAmount = cents(a.official)
	t.DiscountAmount = cents(a.discount)
	t.TruncatedAmount = cents(a.trunc)
	t.Amount = cents(a.amount)
	t.CashAmount = cents(a.split[spCash])
	t.CreditAmount = cents(a.split[spCredit])
	t.CouponAmount = cents(a.split[spCoupon])
	t.FlexipurchaseCouponAmount = cents(a.split[spFlexi])
	t.StoredCardAmount = cents(a.split[spStored])
	t.BonusAmount = cents(a.split[spBonus])
	t.DebtAmount = cents(a.split[spDebt])
	t.AdjustmentAmount = cents(a.split[spAdjust])
}

// sumRow is one monthly summary row in cents.
type sumRow struct {
	k      sumKey
	nullRT bool
	v      sums
}

func (r *sumRow) toTruth(a *account, m month) MonthlySumRow {
	rt := r.k.rt
	if r.nullRT {
		rt = ""
	}
	return MonthlySumRow{
		BillCycle: m.String(), CustomerID: a.ID, AccountName: a.Name,
		ServiceTypeCode: r.k.svc, ResourceTypeCode: rt, ChargingMode: r.k.chargeMode, BillType: r.k.billType,
		OfficialAmount:            cents(r.v.official),
		OfficialDiscountAmount:    cents(r.v.discount - r.v.trunc),
		TruncatedAmount:           cents(r.v.trunc),
		ConsumeAmount:             cents(r.v.amount),
		CouponAmount:              cents(r.v.split[spCoupon]),
		FlexipurchaseCouponAmount: cents(r.v.split[spFlexi]),
		StoredValueCardAmount:     cents(r.v.split[spStored]),
		DebtAmount:                cents(r.v.split[spDebt]),
		WriteoffAmount:            cents(r.v.split[spAdjust]),
		CashAmount:                cents(r.v.split[spCash]),
		CreditAmount:              cents(r.v.split[spCredit]),
	}
}

// singleTypeService reports services with exactly one resource type, whose
// summary rows carry a null resource type unless a service filter is given.
func singleTypeService(code string) bool {
	n := 0
	for i := range catalogResourceTypes {
		if catalogResourceTypes[i].service == code {
			n++
		}
	}
	return n == 1 && code == "hws.service.type.obs"
}

// sumRows orders an account's summary rows, optionally for one service.
func (s *Simulator) sumRows(a *account, m month, agg *monthAgg, svc *string) []sumRow {
	var out []sumRow
	for k, v := range agg.rows {
		if svc != nil && k.svc != *svc {
			continue
		}
		out = append(out, sumRow{k: k, v: *v, nullRT: svc == nil && singleTypeService(k.svc)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].k, out[j].k
		if a.svc != b.svc {
			return a.svc < b.svc
		}
		if a.rt != b.rt {
			return a.rt < b.rt
		}
		if a.chargeMode != b.chargeMode {
			return a.chargeMode < b.chargeMode
		}
		return a.billType < b.billType
	})
	return out
}

// handleMonthlySum serves GET /v2/bills/customer-bills/monthly-sum
// (ShowCustomerMonthlySum, reference §7.1).
func (s *Simulator) handleMonthlySum(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	m, ok := parseMonth(q.Get("bill_cycle"))
	if !ok {
		return paramError("bill_cycle is required and must be in the format YYYY-MM.")
	}
	var svc, ep *string
	if v := q.Get("service_type_code"); v != "" {
		svc = &v
	}
	if vs, ok := q["enterprise_project_id"]; ok {
		if vs[0] == "" {
			return paramError("enterprise_project_id must not be an empty string.")
		}
		v := vs[0]
		ep = &v
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
	type acctRow struct {
		a *account
		r sumRow
	}
	var rows []acctRow
	var tot sums
	for _, a := range accts {
		v := s.makeView(a, m, snap, 0)
		agg := s.aggregate(&v, ep)
		for _, r := range s.sumRows(a, m, agg, svc) {
			rows = append(rows, acctRow{a, r})
			tot.merge(&r.v)
		}
	}
	buf := make([]byte, 0, 1024+limit*700)
	buf = append(buf, `{"total_count":`...)
	buf = strconv.AppendInt(buf, int64(len(rows)), 10)
	buf = append(buf, `,"bill_sums":[`...)
	for i := offset; i < len(rows) && i < offset+limit; i++ {
		if i > offset {
			buf = append(buf, ',')
		}
		a, r := rows[i].a, &rows[i].r
		svcT := serviceByCode(r.k.svc)
		buf = append(buf, `{"bill_cycle":"`...)
		buf = append(buf, m.String()...)
		buf = append(buf, '"')
		buf = kStr(buf, "customer_id", a.ID)
		buf = kStr(buf, "account_name", a.Name)
		buf = kStr(buf, "service_type_code", r.k.svc)
		buf = kStr(buf, "service_type_name", pick(rc.lang, svcT.nameEN, svcT.nameZH))
		if r.nullRT {
			buf = kNull(buf, "resource_type_code")
			buf = kNull(buf, "resource_type_name")
		} else {
			rt := resourceTypeByCode(r.k.rt)
			buf = kStr(buf, "resource_type_code", rt.code)
			buf = kStr(buf, "resource_type_name", pick(rc.lang, rt.nameEN, rt.nameZH))
		}
		buf = kInt(buf, "charging_mode", int64(r.k.chargeMode))
		buf = kInt(buf, "bill_type", int64(r.k.billType))
		buf = kCents(buf, "official_amount", r.v.official)
		buf = kCents(buf, "official_discount_amount", r.v.discount-r.v.trunc)
		buf = kCents(buf, "truncated_amount", r.v.trunc)
		buf = kCents(buf, "consume_amount", r.v.amount)
		buf = appendSumSplit(buf, &r.v)
		buf = append(buf, '}')
	}
	buf = append(buf, ']')
	buf = kCents(buf, "consume_amount", tot.amount)
	buf = appendSumSplit(buf, &tot)
	buf = kStr(buf, "currency", s.Currency())
	buf = append(buf, '}')
	return http.StatusOK, buf
}

func appendSumSplit(buf []byte, v *sums) []byte {
	buf = kCents(buf, "coupon_amount", v.split[spCoupon])
	buf = kCents(buf, "flexipurchase_coupon_amount", v.split[spFlexi])
	buf = kCents(buf, "stored_value_card_amount", v.split[spStored])
	buf = kCents(buf, "debt_amount", v.split[spDebt])
	buf = kCents(buf, "writeoff_amount", v.split[spAdjust])
	buf = kCents(buf, "cash_amount", v.split[spCash])
	buf = kCents(buf, "credit_amount", v.split[spCredit])
	return kInt(buf, "measure_id", 1)
}

func pick(lang, en, zh string) string {
	if lang == langZH {
		return zh
	}
	return en
}

func resourceTypeByCode(code string) *resourceType {
	for i := range catalogResourceTypes {
		if catalogResourceTypes[i].code == code {
			return &catalogResourceTypes[i]
		}
	}
	return nil
}
