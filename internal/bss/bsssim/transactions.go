package bsssim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// OpFeeRecords is the transaction ("flow") bills (reference §7.3).
const OpFeeRecords = "ListCustomerBillsFeeRecords"

// The simulator's transaction bills are its itemised records seen as
// transactions: every itemised line is one charge transaction with the
// same trade_id, customer, service, resource type, region, enterprise
// project, charging mode, bill type and consume time, so for every
// (account, month) the fee records' Σ consume_amount equals the itemised
// records' Σ amount, line for line (official_discount_amount + erase_amount
// is the itemised discount_amount, erase_amount its truncation, and the
// payment split is the same, writeoff_amount being the itemised
// adjustment_amount). On the live service one order can span several
// resources and so several itemised lines; the month totals agree all the
// same (reference §3.5 identities).
//
// Provider: the prepaid resources of a fixed one in eight (per account)
// are KooGallery marketplace purchases (provider_type 2).
//
// Status: a line carrying arrears (debt_amount > 0) is not settled. While
// its month is open it is 3 (not yet settled), or 2 (not fully settled)
// when part of it was written off; once the month is final only the
// partly written-off ones stay 2. Everything else is 1 (paid).

// Transaction is one expected record of ListCustomerBillsFeeRecords,
// amounts in currency units, times as the wire sends them (UTC).
type Transaction struct {
	BillCycle, CustomerID, AccountName                    string
	ProviderType, Status, BillType, ChargingMode          int
	ServiceTypeCode, ResourceTypeCode, RegionCode         string
	EnterpriseProjectID, TradeID, ConsumeTime, TradeTime  string
	OfficialAmount, OfficialDiscountAmount, EraseAmount   decimal.Decimal
	ConsumeAmount, CashAmount, CreditAmount, CouponAmount decimal.Decimal
	FlexipurchaseCouponAmount, StoredValueCardAmount      decimal.Decimal
	BonusAmount, DebtAmount, WriteoffAmount               decimal.Decimal
}

// provider is the record's provider_type.
func (s *Simulator) provider(rec *record) int {
	if rec.res.chargeMode == 1 && mix(uint64(s.cfg.Seed), 720, uint64(rec.a.idx), uint64(rec.resIdx))%8 == 0 {
		return 2
	}
	return 1
}

// txnStatus is the record's status given whether its month is final.
func txnStatus(rec *record, closed bool) int {
	if rec.split[spDebt] <= 0 {
		return 1
	}
	switch {
	case rec.split[spAdjust] > 0:
		return 2
	case !closed:
		return 3
	}
	return 1
}

// txnFilter is the set of fee-records filters in a request.
type txnFilter struct {
	filter
	rt       *string
	provider int // 0 none
	status   int // 0 none
}

func (f *txnFilter) empty() bool {
	return f.filter.empty() && f.rt == nil && f.provider == 0 && f.status == 0
}

func (f *txnFilter) key() string {
	k := f.filter.key() + "|p" + strconv.Itoa(f.provider) + "|st" + strconv.Itoa(f.status)
	if f.rt != nil {
		k += "|rt=" + strconv.Quote(*f.rt)
	}
	return k
}

func (s *Simulator) txnMatch(f *txnFilter, rec *record, closed bool) bool {
	return f.match(rec) && (f.rt == nil || rec.res.rt.code == *f.rt) &&
		(f.provider == 0 || s.provider(rec) == f.provider) && (f.status == 0 || txnStatus(rec, closed) == f.status)
}

// transaction turns an itemised record into its transaction.
func (s *Simulator) transaction(rec *record, closed bool) Transaction {
	t := Transaction{BillCycle: rec.m.String(), CustomerID: rec.a.ID, AccountName: rec.a.Name,
		ProviderType: s.provider(rec), Status: txnStatus(rec, closed), BillType: rec.billType, ChargingMode: rec.res.chargeMode,
		ServiceTypeCode: rec.res.svc.code, ResourceTypeCode: rec.res.rt.code,
		TradeID: string(rec.tradeID(nil)), ConsumeTime: fmtTime(rec.consumeTime()),
		TradeTime:      fmtTime(rec.consumeTime().Add(time.Duration(rec.trade%3600) * time.Second)),
		OfficialAmount: cents(rec.official), OfficialDiscountAmount: cents(rec.discount - rec.trunc), EraseAmount: cents(rec.trunc),
		ConsumeAmount: cents(rec.amount), CashAmount: cents(rec.split[spCash]), CreditAmount: cents(rec.split[spCredit]),
		CouponAmount: cents(rec.split[spCoupon]), FlexipurchaseCouponAmount: cents(rec.split[spFlexi]),
		StoredValueCardAmount: cents(rec.split[spStored]), BonusAmount: cents(rec.split[spBonus]),
		DebtAmount: cents(rec.split[spDebt]), WriteoffAmount: cents(rec.split[spAdjust])}
	if rec.res.region != nil {
		t.RegionCode = rec.res.region.code
	}
	if rec.res.ep != nil {
		t.EnterpriseProjectID = rec.res.ep.id
	}
	return t
}

// txnViews resolves the accounts of a request to their month views.
func (s *Simulator) txnViews(accts []*account, m month) []view {
	snap := s.snapshot(m)
	views := make([]view, len(accts))
	for i, a := range accts {
		views[i] = s.makeView(a, m, snap, 0)
	}
	return views
}

// txnMatches lists the filtered lines of the views (cached).
func (s *Simulator) txnMatches(views []view, f *txnFilter, closed bool) []match {
	key := "t|" + viewsKey(views) + f.key() + strconv.FormatBool(closed)
	return s.cached(key, func() any {
		var out []match
		for k := range views {
			s.scan(&views[k], func(pos int, rec *record) {
				if s.txnMatch(f, rec, closed) {
					out = append(out, match{int32(k), int32(pos)})
				}
			})
		}
		return out
	}).([]match)
}

// Transactions is the truth of ListCustomerBillsFeeRecords for scope ("" or
// "all": the master's method=all view; else one account ID) and cycle, in
// the order the endpoint pages them (zero-amount records included). It
// panics on a malformed cycle or an unknown account (test bugs).
func (s *Simulator) Transactions(scope, cycle string) []Transaction {
	m, ok := parseMonth(cycle)
	if !ok {
		panic(errBadCycle(cycle))
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
	closed := s.MonthClosed(cycle)
	var out []Transaction
	for _, v := range s.txnViews(accts, m) {
		s.scan(&v, func(_ int, rec *record) { out = append(out, s.transaction(rec, closed)) })
	}
	return out
}

// wireTxn is one MonthlyBillRecord on the wire.
type wireTxn struct {
	ID                        *string     `json:"id"`
	BillCycle                 string      `json:"bill_cycle"`
	CustomerID                string      `json:"customer_id"`
	AccountName               string      `json:"account_name"`
	ProviderType              int         `json:"provider_type"`
	ServiceTypeCode           string      `json:"service_type_code"`
	ServiceTypeName           string      `json:"service_type_name"`
	ResourceTypeCode          string      `json:"resource_type_code"`
	ResourceTypeName          string      `json:"resource_type_name"`
	RegionCode                *string     `json:"region_code"`
	RegionName                *string     `json:"region_name"`
	EnterpriseProjectID       *string     `json:"enterprise_project_id"`
	EnterpriseProjectName     *string     `json:"enterprise_project_name"`
	ChargingMode              int         `json:"charging_mode"`
	ConsumeTime               string      `json:"consume_time"`
	TradeTime                 string      `json:"trade_time"`
	TradeID                   string      `json:"trade_id"`
	BillType                  int         `json:"bill_type"`
	Status                    int         `json:"status"`
	OfficialAmount            json.Number `json:"official_amount"`
	OfficialDiscountAmount    json.Number `json:"official_discount_amount"`
	EraseAmount               json.Number `json:"erase_amount"`
	ConsumeAmount             json.Number `json:"consume_amount"`
	CashAmount                json.Number `json:"cash_amount"`
	CreditAmount              json.Number `json:"credit_amount"`
	CouponAmount              json.Number `json:"coupon_amount"`
	FlexipurchaseCouponAmount json.Number `json:"flexipurchase_coupon_amount"`
	StoredValueCardAmount     json.Number `json:"stored_value_card_amount"`
	BonusAmount               json.Number `json:"bonus_amount"`
	DebtAmount                json.Number `json:"debt_amount"`
	WriteoffAmount            json.Number `json:"writeoff_amount"`
}

func centsNumber(v int64) json.Number { return json.Number(appendCents(nil, v)) }

func (e *recordEncoder) wireTxn(t *Transaction, rec *record) wireTxn {
	res := rec.res
	w := wireTxn{BillCycle: t.BillCycle, CustomerID: t.CustomerID, AccountName: t.AccountName, ProviderType: t.ProviderType,
		ServiceTypeCode: t.ServiceTypeCode, ServiceTypeName: e.name(res.svc.nameEN, res.svc.nameZH),
		ResourceTypeCode: t.ResourceTypeCode, ResourceTypeName: e.name(res.rt.nameEN, res.rt.nameZH),
		ChargingMode: t.ChargingMode, ConsumeTime: t.ConsumeTime, TradeTime: t.TradeTime, TradeID: t.TradeID,
		BillType: t.BillType, Status: t.Status,
		OfficialAmount: centsNumber(rec.official), OfficialDiscountAmount: centsNumber(rec.discount - rec.trunc),
		EraseAmount: centsNumber(rec.trunc), ConsumeAmount: centsNumber(rec.amount),
		CashAmount: centsNumber(rec.split[spCash]), CreditAmount: centsNumber(rec.split[spCredit]),
		CouponAmount: centsNumber(rec.split[spCoupon]), FlexipurchaseCouponAmount: centsNumber(rec.split[spFlexi]),
		StoredValueCardAmount: centsNumber(rec.split[spStored]), BonusAmount: centsNumber(rec.split[spBonus]),
		DebtAmount: centsNumber(rec.split[spDebt]), WriteoffAmount: centsNumber(rec.split[spAdjust])}
	if res.region != nil {
		name := e.name(res.region.nameEN, res.region.nameZH)
		w.RegionCode, w.RegionName = &res.region.code, &name
	}
	if res.ep != nil {
		w.EnterpriseProjectID, w.EnterpriseProjectName = &res.ep.id, &res.ep.name
	}
	return w
}

// txnFilterOf validates the filters of a fee-records request (reference
// §7.3): bill_date_begin/end both or neither and in the month of
// bill_cycle.
func txnFilterOf(q url.Values, m month) (txnFilter, int, []byte) {
	f := txnFilter{filter: filter{billType: -1}}
	nonEmpty := func(k string) *string { // absent or empty: no filter
		if p := optParam(q, k); p != nil && *p != "" {
			return p
		}
		return nil
	}
	f.svc, f.rt, f.region, f.trade = nonEmpty("service_type_code"), nonEmpty("resource_type_code"), nonEmpty("region_code"), nonEmpty("trade_id")
	if p := optParam(q, "enterprise_project_id"); p != nil {
		switch *p {
		case "":
			st, b := paramError("enterprise_project_id must not be an empty string.")
			return f, st, b
		case "null":
		default:
			f.ep = p
		}
	}
	ints := []struct {
		name string
		ok   func(int) bool
		to   *int
		want string
	}{
		{"provider_type", func(n int) bool { return n == 1 || n == 2 }, &f.provider, "1 or 2"},
		{"status", func(n int) bool { return n >= 1 && n <= 3 }, &f.status, "1, 2 or 3"},
		{"charging_mode", func(n int) bool { return n == 1 || n == 3 || n == 10 || n == 11 }, &f.chargeMode, "1, 3, 10 or 11"},
		{"bill_type", func(n int) bool { return n >= 0 }, &f.billType, "a bill type"},
	}
	for _, p := range ints {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || v[0] == '+' || !p.ok(n) {
			st, b := paramError("%s must be %s.", p.name, p.want)
			return f, st, b
		}
		*p.to = n
	}
	if v := q.Get("include_zero_record"); v != "" {
		if v != "true" && v != "false" {
			st, b := paramError("include_zero_record must be true or false.")
			return f, st, b
		}
		z := v == "true"
		f.includeZero = &z
	}
	_, hasBegin := q["bill_date_begin"]
	_, hasEnd := q["bill_date_end"]
	switch {
	case hasBegin != hasEnd:
		st, b := paramError("bill_date_begin and bill_date_end must be sent together.")
		return f, st, b
	case hasBegin:
		bm, bd, ok1 := parseDate(q.Get("bill_date_begin"))
		em, ed, ok2 := parseDate(q.Get("bill_date_end"))
		switch {
		case !ok1 || !ok2:
			st, b := paramError("bill_date_begin and bill_date_end must be in the format YYYY-MM-DD.")
			return f, st, b
		case bm != m || em != m:
			st, b := paramError("bill_date_begin and bill_date_end must be in the month of bill_cycle.")
			return f, st, b
		case bd > ed:
			st, b := paramError("bill_date_begin must not be after bill_date_end.")
			return f, st, b
		}
		f.from, f.to = bd, ed
	}
	return f, 0, nil
}

// handleFeeRecords serves GET /v2/bills/customer-bills/fee-records
// (ListCustomerBillsFeeRecords, reference §7.3; China site only).
func (s *Simulator) handleFeeRecords(rc *reqCtx) (int, []byte) {
	q := parseQuery(rc.r.URL.RawQuery)
	m, ok := parseMonth(q.Get("bill_cycle"))
	if !ok {
		return paramError("bill_cycle is required and must be in the format YYYY-MM.")
	}
	f, st, body := txnFilterOf(q, m)
	if st != 0 {
		return st, body
	}
	offset, limit, st, body := pageParams(q, 1000, maxInt32)
	if st != 0 {
		return st, body
	}
	accts, st, body := s.resolveAccounts(rc.caller, q)
	if st != 0 {
		return st, body
	}
	closed := s.MonthClosed(m.String())
	views := s.txnViews(accts, m)
	var page []record
	total := 0
	if f.empty() {
		for i := range views {
			total += views[i].count()
		}
		k, pos := 0, offset
		for k < len(views) && pos >= views[k].count() {
			pos -= views[k].count()
			k++
		}
		for len(page) < limit && k < len(views) {
			if pos >= views[k].count() {
				k, pos = k+1, 0
				continue
			}
			var rec record
			idx, late := s.locate(&views[k], pos)
			s.gen(&views[k], idx, late, &rec)
			page = append(page, rec)
			pos++
		}
	} else {
		matches := s.txnMatches(views, &f, closed)
		total = len(matches)
		for i := offset; i < len(matches) && i < offset+limit; i++ {
			var rec record
			v := &views[matches[i].k]
			idx, late := s.locate(v, int(matches[i].pos))
			s.gen(v, idx, late, &rec)
			page = append(page, rec)
		}
	}
	enc := recordEncoder{s: s, lang: rc.lang, currency: s.Currency()}
	out := make([]wireTxn, len(page))
	for i := range page {
		t := s.transaction(&page[i], closed)
		out[i] = enc.wireTxn(&t, &page[i])
	}
	return marshal(struct {
		TotalCount int       `json:"total_count"`
		Currency   string    `json:"currency"`
		Records    []wireTxn `json:"records"`
	}{total, s.Currency(), out})
}
