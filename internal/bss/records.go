package bss

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strconv"
	"time"
)

// Page sizes: the documented maxima (§3.2).
const (
	maxLimit            = 1000
	maxSubCustomerLimit = 100
	maxUsageBatch       = 100
)

type wResFeeRecord struct {
	ID                        string `json:"id"`
	BillDate                  string `json:"bill_date"`
	BillType                  wInt   `json:"bill_type"`
	CustomerID                string `json:"customer_id"`
	AccountName               string `json:"account_name"`
	Region                    string `json:"region"`
	RegionName                string `json:"region_name"`
	CloudServiceType          string `json:"cloud_service_type"`
	CloudServiceTypeName      string `json:"cloud_service_type_name"`
	ResourceType              string `json:"resource_type"`
	ResourceTypeName          string `json:"resource_type_name"`
	EffectiveTime             wTime  `json:"effective_time"`
	ExpireTime                wTime  `json:"expire_time"`
	ConsumeTime               wTime  `json:"consume_time"`
	ResourceID                string `json:"resource_id"`
	ResourceName              string `json:"resource_name"`
	ResourceTag               string `json:"resource_tag"`
	ProductID                 string `json:"product_id"`
	ProductName               string `json:"product_name"`
	ProductSpecDesc           string `json:"product_spec_desc"`
	SkuCode                   string `json:"sku_code"`
	SpecSize                  wDec   `json:"spec_size"`
	SpecSizeMeasureID         wInt   `json:"spec_size_measure_id"`
	TradeID                   string `json:"trade_id"`
	TradeTime                 wTime  `json:"trade_time"`
	EnterpriseProjectID       string `json:"enterprise_project_id"`
	EnterpriseProjectName     string `json:"enterprise_project_name"`
	ChargeMode                wStr   `json:"charge_mode"`
	OrderID                   string `json:"order_id"`
	RelativeOrderID           string `json:"relative_order_id"`
	PeriodType                wStr   `json:"period_type"`
	PeriodNum                 wDec   `json:"period_num"`
	UsageType                 string `json:"usage_type"`
	Usage                     wDec   `json:"usage"`
	UsageMeasureID            wInt   `json:"usage_measure_id"`
	FreeResourceUsage         wDec   `json:"free_resource_usage"`
	FreeResourceMeasureID     wInt   `json:"free_resource_measure_id"`
	RIUsage                   wDec   `json:"ri_usage"`
	RIUsageMeasureID          wInt   `json:"ri_usage_measure_id"`
	UnitPrice                 wDec   `json:"unit_price"`
	Unit                      string `json:"unit"`
	OfficialAmount            wDec   `json:"official_amount"`
	DiscountAmount            wDec   `json:"discount_amount"`
	Amount                    wDec   `json:"amount"`
	CashAmount                wDec   `json:"cash_amount"`
	CreditAmount              wDec   `json:"credit_amount"`
	CouponAmount              wDec   `json:"coupon_amount"`
	FlexipurchaseCouponAmount wDec   `json:"flexipurchase_coupon_amount"`
	StoredCardAmount          wDec   `json:"stored_card_amount"`
	BonusAmount               wDec   `json:"bonus_amount"`
	DebtAmount                wDec   `json:"debt_amount"`
	AdjustmentAmount          wDec   `json:"adjustment_amount"`
	MeasureID                 wInt   `json:"measure_id"`
	Formula                   string `json:"formula"`
	SubServiceTypeCode        string `json:"sub_service_type_code"`
	SubServiceTypeName        string `json:"sub_service_type_name"`
	SubResourceTypeCode       string `json:"sub_resource_type_code"`
	SubResourceTypeName       string `json:"sub_resource_type_name"`
	SubResourceID             string `json:"sub_resource_id"`
	SubResourceName           string `json:"sub_resource_name"`
}

type wResFeePage struct {
	wStatus
	TotalCount *wInt           `json:"total_count"`
	Currency   string          `json:"currency"`
	FeeRecords []wResFeeRecord `json:"fee_records"`
}

// errField is a record-level validation failure found after decoding.
type errField struct {
	field string
	err   error
}

func (w *wResFeeRecord) record(cycle Month, currency string) (ResourceRecord, *errField) {
	shift, ok := moneyScale(int(w.MeasureID))
	if !ok {
		return ResourceRecord{}, &errField{"measure_id", fmt.Errorf("unsupported money measure_id %d (want 1, 2 or 3)", w.MeasureID)}
	}
	if w.BillDate != "" && !validDate(w.BillDate) {
		return ResourceRecord{}, &errField{"bill_date", fmt.Errorf("invalid date %q (want YYYY-MM-DD)", w.BillDate)}
	}
	return ResourceRecord{
		BillCycle: cycle, ID: w.ID, BillDate: w.BillDate, BillType: int(w.BillType),
		CustomerID: w.CustomerID, AccountName: w.AccountName, Region: w.Region, RegionName: w.RegionName,
		ServiceTypeCode: w.CloudServiceType, ServiceTypeName: w.CloudServiceTypeName,
		ResourceTypeCode: w.ResourceType, ResourceTypeName: w.ResourceTypeName,
		EffectiveTime: timeOf(w.EffectiveTime), ExpireTime: timeOf(w.ExpireTime), ConsumeTime: timeOf(w.ConsumeTime),
		ResourceID: w.ResourceID, ResourceName: w.ResourceName, ResourceTag: w.ResourceTag,
		ProductID: w.ProductID, ProductName: w.ProductName, ProductSpecDesc: w.ProductSpecDesc, SkuCode: w.SkuCode,
		SpecSize: w.SpecSize.d, SpecSizeMeasureID: int(w.SpecSizeMeasureID),
		TradeID: w.TradeID, TradeTime: timeOf(w.TradeTime),
		EnterpriseProjectID: normaliseEnterpriseProject(w.EnterpriseProjectID), EnterpriseProjectName: w.EnterpriseProjectName,
		ChargeMode: string(w.ChargeMode), OrderID: w.OrderID, RelativeOrderID: w.RelativeOrderID,
		PeriodType: string(w.PeriodType), PeriodNum: w.PeriodNum.d,
		UsageType: w.UsageType, Usage: w.Usage.d, UsageMeasureID: int(w.UsageMeasureID),
		FreeResourceUsage: w.FreeResourceUsage.d, FreeResourceMeasureID: int(w.FreeResourceMeasureID),
		RIUsage: w.RIUsage.d, RIUsageMeasureID: int(w.RIUsageMeasureID),
		UnitPrice: w.UnitPrice.d, Unit: w.Unit,
		OfficialAmount:            money(w.OfficialAmount, shift),
		DiscountAmount:            money(w.DiscountAmount, shift),
		Amount:                    money(w.Amount, shift),
		CashAmount:                money(w.CashAmount, shift),
		CreditAmount:              money(w.CreditAmount, shift),
		CouponAmount:              money(w.CouponAmount, shift),
		FlexipurchaseCouponAmount: money(w.FlexipurchaseCouponAmount, shift),
		StoredCardAmount:          money(w.StoredCardAmount, shift),
		BonusAmount:               money(w.BonusAmount, shift),
		DebtAmount:                money(w.DebtAmount, shift),
		AdjustmentAmount:          money(w.AdjustmentAmount, shift),
		MeasureID:                 int(w.MeasureID), Formula: w.Formula, Currency: currency,
		SubServiceTypeCode: w.SubServiceTypeCode, SubServiceTypeName: w.SubServiceTypeName,
		SubResourceTypeCode: w.SubResourceTypeCode, SubResourceTypeName: w.SubResourceTypeName,
		SubResourceID: w.SubResourceID, SubResourceName: w.SubResourceName,
	}, nil
}

func timeOf(w wTime) time.Time { return time.Time(w) }

// decodeResourceRecordsPage decodes one res-fee-records body; it is the
// unit the fuzz target and the decode benchmark exercise.
func decodeResourceRecordsPage(body []byte, cycle Month, siteCurrency string) ([]ResourceRecord, int, string, error) {
	// The hand-written scanner answers only when it is sure to agree with
	// encoding/json; anything else (every error included) takes the
	// reference decoder (fastdecode.go).
	if recs, total, cur, ok := fastResourceRecordsPage(body, cycle, siteCurrency); ok {
		return recs, total, cur, nil
	}
	return decodeResourceRecordsPageSlow(body, cycle, siteCurrency)
}

func (o ResourceRecordOptions) validate() error {
	var errs []error
	if !o.Cycle.Valid() {
		errs = append(errs, fmt.Errorf("cycle %q is not a valid month", o.Cycle))
	}
	if o.StatisticType != 0 && o.StatisticType != StatisticItemised && o.StatisticType != StatisticPerCycle {
		errs = append(errs, fmt.Errorf("statistic type %d: want 1 (per cycle) or 3 (itemised)", o.StatisticType))
	}
	errs = append(errs, validateMethod(o.Method, o.SubCustomerID, o.Members))
	return errors.Join(errs...)
}

// onePage rejects a member list on a single-page call: fanning out to
// members is what the iterators (ResourceRecords, MonthlySums) do.
func onePage(members []string) error {
	if len(members) > 0 {
		return errors.New("a member list is for the iterator, not for one page")
	}
	return nil
}

func validateMethod(m Method, sub string, members []string) error {
	if len(members) > 0 && m != MethodOneself {
		return fmt.Errorf("a member list needs method %q (the master's own rows, then each member's), not %q", MethodOneself, m)
	}
	switch m {
	case "", MethodAll, MethodOneself:
		if sub != "" {
			return fmt.Errorf("sub-customer ID %q needs method %q, not %q", sub, MethodSubCustomer, m)
		}
	case MethodSubCustomer:
		if sub == "" {
			return fmt.Errorf("method %q needs a sub-customer ID", m)
		}
	default:
		return fmt.Errorf("method %q: want %q, %q or %q", string(m), MethodAll, MethodOneself, MethodSubCustomer)
	}
	return nil
}

// ListResourceRecords fetches one page of resource consumption records:
// GET /v2/bills/customer-bills/res-fee-records
// (https://support.huaweicloud.com/api-oce/mbc_00004.html). A zero Limit
// means 1000. Jobs use ResourceRecords instead.
func (c *Client) ListResourceRecords(ctx context.Context, opts ResourceRecordOptions, lo ListOptions) ([]ResourceRecord, *Response, error) {
	if err := errors.Join(opts.validate(), onePage(opts.Members)); err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpResourceRecords, err)
	}
	lo, err := lo.normalise(maxLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpResourceRecords, err)
	}
	st := opts.StatisticType
	if st == 0 {
		st = StatisticItemised
	}
	var q query
	q.add("cycle", opts.Cycle.String())
	q.add("statistic_type", strconv.Itoa(st))
	q.add("include_zero_record", strconv.FormatBool(opts.IncludeZero))
	addMethod(&q, opts.Method, opts.SubCustomerID)
	q.add("offset", strconv.Itoa(lo.Offset))
	q.add("limit", strconv.Itoa(lo.Limit))
	var cur string
	recs, resp, err := getPage(ctx, c, call{op: OpResourceRecords, method: "GET", path: "v2/bills/customer-bills/res-fee-records", query: q, offset: lo.Offset},
		"fee_records", lo.Limit, func(b []byte) (recs []ResourceRecord, total int, err error) {
			recs, total, cur, err = decodeResourceRecordsPage(b, opts.Cycle, c.currency)
			return recs, total, err
		})
	if err != nil {
		return nil, nil, err
	}
	resp.Currency = cur
	return recs, resp, nil
}

func addMethod(q *query, m Method, sub string) {
	if m == "" {
		m = MethodAll
	}
	q.add("method", string(m))
	if m == MethodSubCustomer {
		q.add("sub_customer_id", sub)
	}
}

func (lo ListOptions) normalise(max int) (ListOptions, error) {
	if lo.Offset < 0 {
		return lo, fmt.Errorf("offset %d is negative", lo.Offset)
	}
	if lo.Limit == 0 {
		lo.Limit = max
	}
	if lo.Limit < 1 || lo.Limit > max {
		return lo, fmt.Errorf("limit %d out of range 1..%d", lo.Limit, max)
	}
	return lo, nil
}

// ResourceRecords iterates over all resource consumption records of a
// billing cycle, paging by offset at limit 1000. It copies opts. When it
// finishes without error it has yielded exactly the stable total_count
// records; if total_count changes while paging it ends with a *DriftError
// (re-read the month). With Method "" or "all", an enterprise master whose
// "all" query is refused with CBC.18000048 (more than 1000 independent
// members) is served by fanning out instead: its own records
// (method=oneself), then each member's (method=sub_customer), each listing
// checked for drift on its own; members that refuse access (CBC.0151, an
// independent member that did not authorise viewing) are skipped and logged.
func (c *Client) ResourceRecords(ctx context.Context, opts ResourceRecordOptions) iter.Seq2[ResourceRecord, error] {
	o := opts
	one := func(ctx context.Context, o ResourceRecordOptions) iter.Seq2[ResourceRecord, error] {
		return paginate(ctx, OpResourceRecords, c.cfg.ahead(OpResourceRecords), maxLimit, func(ctx context.Context, off int) ([]ResourceRecord, *Response, error) {
			return c.ListResourceRecords(ctx, o, ListOptions{Offset: off, Limit: maxLimit})
		})
	}
	return fanOut(ctx, c, OpResourceRecords, o.validate(), o, o.Method, o.Members, one, func(m Method, sub string) ResourceRecordOptions {
		p := o
		p.Method, p.SubCustomerID, p.Members = m, sub, nil
		return p
	})
}

// fanOut returns the iterator of a bills listing (resource records or
// monthly sums): invalid, if not nil, is its only (wrapped) error.
// Otherwise it runs one(opts), whose method is m; with members it runs
// one(with(oneself, "")) and then one(with(sub_customer, id)) for each
// member instead, and so it does when m is all (or unset) and the service
// refuses that with CBC.18000048 before any record, for every member the
// master has. This is the one place where bills are fanned out to members.
func fanOut[T, O any](ctx context.Context, c *Client, op string, invalid error, opts O, m Method, members []string,
	one func(context.Context, O) iter.Seq2[T, error], with func(Method, string) O) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if invalid != nil {
			var zero T
			yield(zero, fmt.Errorf("bss %s: %w", op, invalid))
			return
		}
		if len(members) > 0 {
			eachMember(ctx, c, members, one, with, yield)
			return
		}
		fanOutYield(ctx, c, opts, m, one, with, yield)
	}
}

func fanOutYield[T, O any](ctx context.Context, c *Client, opts O, m Method, one func(context.Context, O) iter.Seq2[T, error],
	with func(Method, string) O, yield func(T, error) bool) {
	refused := false
	started := false
	for v, err := range one(ctx, opts) {
		if err != nil && !started && (m == "" || m == MethodAll) && HasCode(err, CodeTooManyMembers) {
			refused = true
			break
		}
		started = true
		if !yield(v, err) || err != nil {
			return
		}
	}
	if !refused {
		return
	}
	c.logger.LogAttrs(ctx, slog.LevelWarn, "bss method=all refused with CBC.18000048 (too many independent members); querying members one by one")
	var zero T
	var members []string
	for sc, err := range c.SubCustomers(ctx, SubCustomerOptions{}) {
		if err != nil {
			yield(zero, fmt.Errorf("list members for fan-out: %w", err))
			return
		}
		members = append(members, sc.ID)
	}
	eachMember(ctx, c, members, one, with, yield)
}

// eachMember yields the master's own rows, then each member's, skipping
// members that refuse access.
func eachMember[T, O any](ctx context.Context, c *Client, members []string, one func(context.Context, O) iter.Seq2[T, error],
	with func(Method, string) O, yield func(T, error) bool) {
	for v, err := range one(ctx, with(MethodOneself, "")) {
		if !yield(v, err) || err != nil {
			return
		}
	}
	for _, id := range members {
		started := false
		for v, err := range one(ctx, with(MethodSubCustomer, id)) {
			if err != nil && !started && HasCode(err, CodeAccessDenied) {
				// An independent member that has not let the master view
				// its consumption; method=all leaves it out as well.
				c.logger.LogAttrs(ctx, slog.LevelWarn, "bss member skipped: access denied (independent accounting, not authorised)", slog.String("sub_customer_id", id))
				break
			}
			started = true
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}
