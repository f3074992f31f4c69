package bss

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// OpTransactionBills is the official SDK's name of the transaction ("flow")
// bills (reference §7.3).
var OpTransactionBills = operation("ListCustomerBillsFeeRecords")

// The provider_type values of a transaction bill (reference §3.6).
const (
	ProviderHuaweiCloud = 1 // sold by Huawei Cloud
	ProviderKooGallery  = 2 // sold on the KooGallery marketplace (云商店)
)

// The status values of a transaction bill (reference §3.6).
const (
	TransactionPaid             = 1 // paid
	TransactionNotFullySettled  = 2 // not fully settled
	TransactionNotYetSettled    = 3 // not yet billed / settled
	transactionStatusMax        = TransactionNotYetSettled
	transactionProviderTypesMax = ProviderKooGallery
)

// TransactionBillOptions select a ListCustomerBillsFeeRecords query: one
// billing month, optionally of one provider type or status (0: both/all).
type TransactionBillOptions struct {
	Cycle         Month
	Method        Method // "" means all
	SubCustomerID string // required with MethodSubCustomer
	// Members, with Method oneself, fans out as in ResourceRecordOptions.
	Members      []string
	ProviderType int // 0 both, ProviderHuaweiCloud or ProviderKooGallery
	Status       int // 0 every status, or one of the Transaction* statuses
	// IncludeZero includes transactions whose amount due is 0. It is
	// always sent explicitly, as for the itemised records.
	IncludeZero bool
}

// TransactionBill is one record of ListCustomerBillsFeeRecords (reference
// §7.3): one charge transaction of BillCycle with its payment status, its
// provider (Huawei Cloud or KooGallery) and its payment split. Amounts are
// in currency units; OfficialAmount = OfficialDiscountAmount + EraseAmount
// + ConsumeAmount and ConsumeAmount is the sum of the eight payment
// amounts (checked when decoding). EnterpriseProjectID is
// UnassignedEnterpriseProject when the service sent null, "" or "-1". The
// record's id is reserved by Huawei and not kept.
type TransactionBill struct {
	BillCycle                 Month
	CustomerID                string
	AccountName               string
	ProviderType              int
	ServiceTypeCode           string
	ServiceTypeName           string
	ResourceTypeCode          string
	ResourceTypeName          string
	RegionCode                string
	RegionName                string
	EnterpriseProjectID       string
	EnterpriseProjectName     string
	ChargingMode              int
	ConsumeTime               time.Time
	TradeTime                 time.Time
	TradeID                   string
	BillType                  int
	Status                    int
	OfficialAmount            decimal.Decimal
	OfficialDiscountAmount    decimal.Decimal
	EraseAmount               decimal.Decimal
	ConsumeAmount             decimal.Decimal
	CashAmount                decimal.Decimal
	CreditAmount              decimal.Decimal
	CouponAmount              decimal.Decimal
	FlexipurchaseCouponAmount decimal.Decimal
	StoredValueCardAmount     decimal.Decimal
	BonusAmount               decimal.Decimal
	DebtAmount                decimal.Decimal
	WriteoffAmount            decimal.Decimal
	Currency                  string
}

type wTransaction struct {
	BillCycle                 string `json:"bill_cycle"`
	CustomerID                string `json:"customer_id"`
	AccountName               string `json:"account_name"`
	ProviderType              *wInt  `json:"provider_type"`
	ServiceTypeCode           string `json:"service_type_code"`
	ServiceTypeName           string `json:"service_type_name"`
	ResourceTypeCode          string `json:"resource_type_code"`
	ResourceTypeName          string `json:"resource_type_name"`
	RegionCode                string `json:"region_code"`
	RegionName                string `json:"region_name"`
	EnterpriseProjectID       string `json:"enterprise_project_id"`
	EnterpriseProjectName     string `json:"enterprise_project_name"`
	ChargingMode              wInt   `json:"charging_mode"`
	ConsumeTime               wTime  `json:"consume_time"`
	TradeTime                 wTime  `json:"trade_time"`
	TradeID                   string `json:"trade_id"`
	BillType                  *wInt  `json:"bill_type"`
	Status                    *wInt  `json:"status"`
	OfficialAmount            wDec   `json:"official_amount"`
	OfficialDiscountAmount    wDec   `json:"official_discount_amount"`
	EraseAmount               wDec   `json:"erase_amount"`
	ConsumeAmount             wDec   `json:"consume_amount"`
	CashAmount                wDec   `json:"cash_amount"`
	CreditAmount              wDec   `json:"credit_amount"`
	CouponAmount              wDec   `json:"coupon_amount"`
	FlexipurchaseCouponAmount wDec   `json:"flexipurchase_coupon_amount"`
	StoredValueCardAmount     wDec   `json:"stored_value_card_amount"`
	BonusAmount               wDec   `json:"bonus_amount"`
	DebtAmount                wDec   `json:"debt_amount"`
	WriteoffAmount            wDec   `json:"writeoff_amount"`
}

type wTransactionPage struct {
	wStatus
	TotalCount *wInt          `json:"total_count"`
	Currency   string         `json:"currency"`
	Records    []wTransaction `json:"records"`
}

// decodeTransactionPage decodes one fee-records body. The hand-written
// scanner answers only when it is sure to agree with encoding/json;
// anything else (every error included) takes the reference decoder
// (fastdecode.go).
func decodeTransactionPage(body []byte, cycle Month, siteCurrency string) ([]TransactionBill, int, string, error) {
	if bills, total, cur, ok := fastTransactionPage(body, cycle, siteCurrency); ok {
		return bills, total, cur, nil
	}
	return decodeTransactionPageSlow(body, cycle, siteCurrency)
}

// decodeTransactionPageSlow is the reference decoder of a fee-records
// body: encoding/json through decodeBody, then bill on each record.
func decodeTransactionPageSlow(body []byte, cycle Month, siteCurrency string) ([]TransactionBill, int, string, error) {
	var p wTransactionPage
	if err := decodeBody(body, &p, "records", func() any { return new(wTransaction) }); err != nil {
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
	out := make([]TransactionBill, len(p.Records))
	for i := range p.Records {
		t, ef := p.Records[i].bill(cycle, cur)
		if ef != nil {
			return nil, 0, "", &DecodeError{Field: fmt.Sprintf("records[%d].%s", i, ef.field), Offset: elemOffset(body, "records", i), Err: ef.err}
		}
		out[i] = t
	}
	return out, total, cur, nil
}

// bill converts a decoded wire transaction of the page for cycle. A
// record must name its month (the one asked for), customer, trade, bill
// type, status and provider (known values only) and carry its amounts;
// amounts that break the documented identities are a malformed answer.
// Both decoders of a fee-records page run it.
func (w *wTransaction) bill(cycle Month, currency string) (TransactionBill, *errField) {
	fail := func(f string, err error) (TransactionBill, *errField) { return TransactionBill{}, &errField{f, err} }
	missing := func(f string) (TransactionBill, *errField) { return fail(f, errors.New("missing")) }
	bc, err := cycle, error(nil)
	if !isMonth(w.BillCycle, cycle) {
		bc, err = ParseMonth(w.BillCycle)
	}
	switch {
	case w.BillCycle == "":
		return missing("bill_cycle")
	case err != nil:
		return fail("bill_cycle", err)
	case bc != cycle:
		return fail("bill_cycle", fmt.Errorf("%s in the answer for %s", bc, cycle))
	case w.CustomerID == "":
		return missing("customer_id")
	case w.TradeID == "":
		return missing("trade_id")
	case w.BillType == nil:
		return missing("bill_type")
	case w.Status == nil:
		return missing("status")
	case *w.Status < TransactionPaid || *w.Status > transactionStatusMax:
		return fail("status", fmt.Errorf("unknown status %d (want 1 paid, 2 not fully settled or 3 not yet settled)", *w.Status))
	case w.ProviderType == nil:
		return missing("provider_type")
	case *w.ProviderType < ProviderHuaweiCloud || *w.ProviderType > transactionProviderTypesMax:
		return fail("provider_type", fmt.Errorf("unknown provider type %d (want 1 Huawei Cloud or 2 KooGallery)", *w.ProviderType))
	case !w.ConsumeAmount.set:
		return missing("consume_amount")
	case !w.OfficialAmount.set:
		return missing("official_amount")
	}
	t := TransactionBill{BillCycle: bc, CustomerID: w.CustomerID, AccountName: w.AccountName, ProviderType: int(*w.ProviderType),
		ServiceTypeCode: w.ServiceTypeCode, ServiceTypeName: w.ServiceTypeName,
		ResourceTypeCode: w.ResourceTypeCode, ResourceTypeName: w.ResourceTypeName,
		RegionCode: w.RegionCode, RegionName: w.RegionName,
		EnterpriseProjectID: normaliseEnterpriseProject(w.EnterpriseProjectID), EnterpriseProjectName: w.EnterpriseProjectName,
		ChargingMode: int(w.ChargingMode), ConsumeTime: timeOf(w.ConsumeTime), TradeTime: timeOf(w.TradeTime),
		TradeID: w.TradeID, BillType: int(*w.BillType), Status: int(*w.Status),
		OfficialAmount: w.OfficialAmount.d, OfficialDiscountAmount: w.OfficialDiscountAmount.d, EraseAmount: w.EraseAmount.d,
		ConsumeAmount: w.ConsumeAmount.d, CashAmount: w.CashAmount.d, CreditAmount: w.CreditAmount.d, CouponAmount: w.CouponAmount.d,
		FlexipurchaseCouponAmount: w.FlexipurchaseCouponAmount.d, StoredValueCardAmount: w.StoredValueCardAmount.d,
		BonusAmount: w.BonusAmount.d, DebtAmount: w.DebtAmount.d, WriteoffAmount: w.WriteoffAmount.d, Currency: currency}
	pay := [...]decimal.Decimal{t.CashAmount, t.CreditAmount, t.CouponAmount, t.FlexipurchaseCouponAmount,
		t.StoredValueCardAmount, t.BonusAmount, t.DebtAmount, t.WriteoffAmount}
	if !sumEquals(t.ConsumeAmount, pay[:]) {
		return fail("consume_amount", fmt.Errorf("%s is not the sum of the payment amounts (%s)", t.ConsumeAmount, sum(pay[:])))
	}
	if parts := [...]decimal.Decimal{t.OfficialDiscountAmount, t.EraseAmount, t.ConsumeAmount}; !sumEquals(t.OfficialAmount, parts[:]) {
		return fail("official_amount", fmt.Errorf("%s is not discount + erase + consume (%s)", t.OfficialAmount, sum(parts[:])))
	}
	return t, nil
}

func (o TransactionBillOptions) validate() error {
	var errs []error
	if !o.Cycle.Valid() {
		errs = append(errs, fmt.Errorf("cycle %q is not a valid month", o.Cycle))
	}
	if o.ProviderType != 0 && (o.ProviderType < ProviderHuaweiCloud || o.ProviderType > transactionProviderTypesMax) {
		errs = append(errs, fmt.Errorf("provider type %d: want 0 (both), 1 (Huawei Cloud) or 2 (KooGallery)", o.ProviderType))
	}
	if o.Status != 0 && (o.Status < TransactionPaid || o.Status > transactionStatusMax) {
		errs = append(errs, fmt.Errorf("status %d: want 0 (every status), 1 (paid), 2 (not fully settled) or 3 (not yet settled)", o.Status))
	}
	errs = append(errs, validateMethod(o.Method, o.SubCustomerID, o.Members))
	return errors.Join(errs...)
}

// ListTransactionBills fetches one page of transaction bills: GET
// /v2/bills/customer-bills/fee-records (reference §7.3). The operation
// exists on the China site only (absent from the international SDK): on
// the intl site it returns an *UnsupportedError (errors.ErrUnsupported)
// without sending a request. A zero Limit means 1000. Jobs use
// TransactionBills instead.
func (c *Client) ListTransactionBills(ctx context.Context, opts TransactionBillOptions, lo ListOptions) ([]TransactionBill, *Response, error) {
	if c.cfg.Site == SiteInternational {
		return nil, nil, &UnsupportedError{Operation: OpTransactionBills, Site: c.cfg.Site}
	}
	if err := errors.Join(opts.validate(), onePage(opts.Members)); err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpTransactionBills, err)
	}
	lo, err := lo.normalise(maxLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpTransactionBills, err)
	}
	var q query
	q.add("bill_cycle", opts.Cycle.String())
	if opts.ProviderType != 0 {
		q.add("provider_type", strconv.Itoa(opts.ProviderType))
	}
	if opts.Status != 0 {
		q.add("status", strconv.Itoa(opts.Status))
	}
	q.add("include_zero_record", strconv.FormatBool(opts.IncludeZero))
	addMethod(&q, opts.Method, opts.SubCustomerID)
	q.add("offset", strconv.Itoa(lo.Offset))
	q.add("limit", strconv.Itoa(lo.Limit))
	var (
		rows  []TransactionBill
		total int
		cur   string
	)
	resp, err := c.do(ctx, call{op: OpTransactionBills, method: "GET", path: "v2/bills/customer-bills/fee-records", query: q, offset: lo.Offset},
		func(b []byte) (err error) {
			rows, total, cur, err = decodeTransactionPage(b, opts.Cycle, c.currency)
			return err
		})
	if err != nil {
		return nil, nil, err
	}
	if err := checkPageSize(OpTransactionBills, "records", lo.Offset, lo.Limit, len(rows)); err != nil {
		return nil, nil, err
	}
	resp.TotalCount, resp.NextOffset, resp.Currency = total, lo.Offset+len(rows), cur
	return rows, resp, nil
}

// TransactionBills iterates over every transaction bill of a month, with
// the paging, drift and member fan-out (Members, CBC.18000048) behaviour of
// ResourceRecords, and read-ahead (Config.Prefetch, in proportion to the pace).
// The maximum page size is not documented: it pages at 1000 and falls back
// to 100 if the service answers CBC.0100 (paginateFallback). On the
// international site the first (and only) error is an *UnsupportedError.
func (c *Client) TransactionBills(ctx context.Context, opts TransactionBillOptions) iter.Seq2[TransactionBill, error] {
	o := opts
	if c.cfg.Site == SiteInternational {
		return func(yield func(TransactionBill, error) bool) {
			yield(TransactionBill{}, &UnsupportedError{Operation: OpTransactionBills, Site: c.cfg.Site})
		}
	}
	one := func(ctx context.Context, o TransactionBillOptions) iter.Seq2[TransactionBill, error] {
		return paginateFallback(ctx, OpTransactionBills, c.cfg.ahead(OpTransactionBills), func(ctx context.Context, off, limit int) ([]TransactionBill, *Response, error) {
			return c.ListTransactionBills(ctx, o, ListOptions{Offset: off, Limit: limit})
		})
	}
	return fanOut(ctx, c, OpTransactionBills, o.validate(), o, o.Method, o.Members, one, func(m Method, sub string) TransactionBillOptions {
		p := o
		p.Method, p.SubCustomerID, p.Members = m, sub, nil
		return p
	})
}
