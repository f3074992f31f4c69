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

// OpAmortizedCosts is the official SDK's name of the monthly amortised-cost
// breakdown (Cost Center).
var OpAmortizedCosts = operation("ListCustomerBillsMonthlyBreakDown")

// CodeCostCenterDisabled is answered by the Cost Center operations
// (amortised cost, cost analysis) when the account has not enabled Cost
// Center: not retryable, and not a failure of the daemon (reference §5.2).
const CodeCostCenterDisabled = "CBC.18000014"

// AmortizedHistoryMonths is how far back the amortised-cost breakdown goes:
// the last 18 shared months, counting the current one (reference §7.5, §15).
const AmortizedHistoryMonths = 18

// AmortizedCostOptions select a ListCustomerBillsMonthlyBreakDown query.
type AmortizedCostOptions struct {
	SharedMonth   Month  // the month whose amortised cost is asked for (UTC+8)
	Method        Method // "" means all
	SubCustomerID string // required with MethodSubCustomer
	// Members, with Method oneself, fans out as in ResourceRecordOptions.
	Members []string
}

// AmortizedCost is one detail of ListCustomerBillsMonthlyBreakDown
// (reference §7.5): the share of one charge (of bill cycle BillCycle) that
// falls in SharedMonth. ConsumeAmount is the charge's whole amount due;
// PastMonthsAmount + CurrentMonthAmount + FutureMonthsAmount equals it, and
// CurrentMonthAmount is the sum of the six Amortized* payment amounts.
// Amounts are in currency units. EnterpriseProjectID is
// UnassignedEnterpriseProject when the service sent null, "" or "-1".
type AmortizedCost struct {
	SharedMonth           Month
	BillCycle             Month
	BillType              int
	CustomerID            string
	RegionCode            string
	RegionName            string
	ServiceTypeCode       string
	ServiceTypeName       string
	ResourceTypeCode      string
	ResourceTypeName      string
	EffectiveTime         time.Time
	ExpireTime            time.Time
	ResourceID            string
	ResourceName          string
	ResourceTag           string
	ProductSpecDesc       string
	EnterpriseProjectID   string
	EnterpriseProjectName string
	ChargingMode          int // 1 yearly/monthly, 3 pay-per-use, 10 RI, 11 savings plan
	OrderID               string
	PeriodType            int // 19 year, 20 month, 24 day, 25 hour, 5 one-off; 0 absent
	UsageType             string
	Usage                 decimal.Decimal
	UsageMeasureID        int
	FreeResourceUsage     decimal.Decimal
	FreeResourceMeasureID int
	RIUsage               decimal.Decimal
	RIUsageMeasureID      int

	ConsumeAmount                   decimal.Decimal
	PastMonthsAmount                decimal.Decimal
	CurrentMonthAmount              decimal.Decimal
	FutureMonthsAmount              decimal.Decimal
	AmortizedCashAmount             decimal.Decimal
	AmortizedCreditAmount           decimal.Decimal
	AmortizedCouponAmount           decimal.Decimal
	AmortizedFlexipurchaseCoupon    decimal.Decimal
	AmortizedStoredValueCardAmount  decimal.Decimal
	AmortizedBonusAmount            decimal.Decimal
	Currency                        string
	SubServiceTypeCode              string
	SubServiceTypeName              string
	SubResourceTypeCode             string
	SubResourceTypeName             string
	SubResourceID                   string
	SubResourceName                 string
	CostTagKeys, CostTagValues      []string // effective_tag_pairs, parallel
	CostUnitNames, CostUnitRuleVals []string // cost_unit_pairs, parallel
}

type wTagPair struct {
	TagKey   string `json:"tag_key"`
	TagValue string `json:"tag_value"`
}

type wCostUnitPair struct {
	CostUnitName      string `json:"cost_unit_name"`
	CostUnitRuleValue string `json:"cost_unit_rule_value"`
}

type wAmortized struct {
	SharedMonth                        string          `json:"shared_month"`
	BillCycle                          string          `json:"bill_cycle"`
	BillType                           wInt            `json:"bill_type"`
	CustomerID                         string          `json:"customer_id"`
	RegionCode                         string          `json:"region_code"`
	RegionName                         string          `json:"region_name"`
	ServiceTypeCode                    string          `json:"service_type_code"`
	ResourceTypeCode                   string          `json:"resource_type_code"`
	ServiceTypeName                    string          `json:"service_type_name"`
	ResourceTypeName                   string          `json:"resource_type_name"`
	EffectiveTime                      wTime           `json:"effective_time"`
	ExpireTime                         wTime           `json:"expire_time"`
	ResourceID                         string          `json:"resource_id"`
	ResourceName                       string          `json:"resource_name"`
	ResourceTag                        string          `json:"resource_tag"`
	ProductSpecDesc                    string          `json:"product_spec_desc"`
	EnterpriseProjectID                string          `json:"enterprise_project_id"`
	EnterpriseProjectName              string          `json:"enterprise_project_name"`
	ChargingMode                       wInt            `json:"charging_mode"`
	OrderID                            string          `json:"order_id"`
	PeriodType                         wInt            `json:"period_type"`
	UsageType                          string          `json:"usage_type"`
	Usage                              wDec            `json:"usage"`
	UsageMeasureID                     wInt            `json:"usage_measure_id"`
	FreeResourceUsage                  wDec            `json:"free_resource_usage"`
	FreeResourceMeasureID              wInt            `json:"free_resource_measure_id"`
	RIUsage                            wDec            `json:"ri_usage"`
	RIUsageMeasureID                   wInt            `json:"ri_usage_measure_id"`
	ConsumeAmount                      wDec            `json:"consume_amount"`
	PastMonthsAmortizedAmount          wDec            `json:"past_months_amortized_amount"`
	CurrentMonthAmortizedAmount        wDec            `json:"current_month_amortized_amount"`
	FutureMonthsAmortizedAmount        wDec            `json:"future_months_amortized_amount"`
	AmortizedCashAmount                wDec            `json:"amortized_cash_amount"`
	AmortizedCreditAmount              wDec            `json:"amortized_credit_amount"`
	AmortizedCouponAmount              wDec            `json:"amortized_coupon_amount"`
	AmortizedFlexipurchaseCouponAmount wDec            `json:"amortized_flexipurchase_coupon_amount"`
	AmortizedStoredValueCardAmount     wDec            `json:"amortized_stored_value_card_amount"`
	AmortizedBonusAmount               wDec            `json:"amortized_bonus_amount"`
	SubServiceTypeCode                 string          `json:"sub_service_type_code"`
	SubServiceTypeName                 string          `json:"sub_service_type_name"`
	SubResourceTypeCode                string          `json:"sub_resource_type_code"`
	SubResourceTypeName                string          `json:"sub_resource_type_name"`
	SubResourceID                      string          `json:"sub_resource_id"`
	SubResourceName                    string          `json:"sub_resource_name"`
	EffectiveTagPairs                  []wTagPair      `json:"effective_tag_pairs"`
	CostUnitPairs                      []wCostUnitPair `json:"cost_unit_pairs"`
}

type wAmortizedPage struct {
	wStatus
	Currency   string       `json:"currency"`
	TotalCount *wInt        `json:"total_count"`
	Details    []wAmortized `json:"details"`
}

// decodeAmortizedPage decodes one monthly-breakdown body. A detail whose
// shared_month is not the month asked for, or whose amounts break the
// documented identities (consume = past + current + future, current = the
// sum of the six amortised payment amounts), is a malformed answer.
func decodeAmortizedPage(body []byte, shared Month, siteCurrency string) ([]AmortizedCost, int, string, error) {
	var p wAmortizedPage
	if err := decodeBody(body, &p, "details", func() any { return new(wAmortized) }); err != nil {
		return nil, 0, "", err
	}
	if p.TotalCount == nil || *p.TotalCount < 0 {
		return nil, 0, "", &DecodeError{Field: "total_count", Offset: -1, Err: errors.New("missing or negative")}
	}
	cur := p.Currency
	if cur == "" {
		cur = siteCurrency
	}
	out := make([]AmortizedCost, len(p.Details))
	for i := range p.Details {
		w := &p.Details[i]
		fail := func(f string, err error) error {
			return &DecodeError{Field: fmt.Sprintf("details[%d].%s", i, f), Offset: elemOffset(body, "details", i), Err: err}
		}
		sm, err := ParseMonth(w.SharedMonth)
		if err != nil {
			return nil, 0, "", fail("shared_month", err)
		}
		if sm != shared {
			return nil, 0, "", fail("shared_month", fmt.Errorf("%s in the answer for %s", sm, shared))
		}
		bc, err := ParseMonth(w.BillCycle)
		if err != nil {
			return nil, 0, "", fail("bill_cycle", err)
		}
		a := AmortizedCost{
			SharedMonth: sm, BillCycle: bc, BillType: int(w.BillType), CustomerID: w.CustomerID,
			RegionCode: w.RegionCode, RegionName: w.RegionName,
			ServiceTypeCode: w.ServiceTypeCode, ServiceTypeName: w.ServiceTypeName,
			ResourceTypeCode: w.ResourceTypeCode, ResourceTypeName: w.ResourceTypeName,
			EffectiveTime: timeOf(w.EffectiveTime), ExpireTime: timeOf(w.ExpireTime),
			ResourceID: w.ResourceID, ResourceName: w.ResourceName, ResourceTag: w.ResourceTag, ProductSpecDesc: w.ProductSpecDesc,
			EnterpriseProjectID: normaliseEnterpriseProject(w.EnterpriseProjectID), EnterpriseProjectName: w.EnterpriseProjectName,
			ChargingMode: int(w.ChargingMode), OrderID: w.OrderID, PeriodType: int(w.PeriodType),
			UsageType: w.UsageType, Usage: w.Usage.d, UsageMeasureID: int(w.UsageMeasureID),
			FreeResourceUsage: w.FreeResourceUsage.d, FreeResourceMeasureID: int(w.FreeResourceMeasureID),
			RIUsage: w.RIUsage.d, RIUsageMeasureID: int(w.RIUsageMeasureID),
			ConsumeAmount: w.ConsumeAmount.d, PastMonthsAmount: w.PastMonthsAmortizedAmount.d,
			CurrentMonthAmount: w.CurrentMonthAmortizedAmount.d, FutureMonthsAmount: w.FutureMonthsAmortizedAmount.d,
			AmortizedCashAmount: w.AmortizedCashAmount.d, AmortizedCreditAmount: w.AmortizedCreditAmount.d,
			AmortizedCouponAmount: w.AmortizedCouponAmount.d, AmortizedFlexipurchaseCoupon: w.AmortizedFlexipurchaseCouponAmount.d,
			AmortizedStoredValueCardAmount: w.AmortizedStoredValueCardAmount.d, AmortizedBonusAmount: w.AmortizedBonusAmount.d,
			Currency:           cur,
			SubServiceTypeCode: w.SubServiceTypeCode, SubServiceTypeName: w.SubServiceTypeName,
			SubResourceTypeCode: w.SubResourceTypeCode, SubResourceTypeName: w.SubResourceTypeName,
			SubResourceID: w.SubResourceID, SubResourceName: w.SubResourceName,
		}
		if sum := a.PastMonthsAmount.Add(a.CurrentMonthAmount).Add(a.FutureMonthsAmount); !sum.Equal(a.ConsumeAmount) {
			return nil, 0, "", fail("consume_amount", fmt.Errorf("%s is not past + current + future months (%s)", a.ConsumeAmount, sum))
		}
		split := a.AmortizedCashAmount.Add(a.AmortizedCreditAmount).Add(a.AmortizedCouponAmount).
			Add(a.AmortizedFlexipurchaseCoupon).Add(a.AmortizedStoredValueCardAmount).Add(a.AmortizedBonusAmount)
		if !split.Equal(a.CurrentMonthAmount) {
			return nil, 0, "", fail("current_month_amortized_amount", fmt.Errorf("%s is not the sum of the amortised payment amounts (%s)", a.CurrentMonthAmount, split))
		}
		for _, t := range w.EffectiveTagPairs {
			a.CostTagKeys = append(a.CostTagKeys, t.TagKey)
			a.CostTagValues = append(a.CostTagValues, t.TagValue)
		}
		for _, u := range w.CostUnitPairs {
			a.CostUnitNames = append(a.CostUnitNames, u.CostUnitName)
			a.CostUnitRuleVals = append(a.CostUnitRuleVals, u.CostUnitRuleValue)
		}
		out[i] = a
	}
	return out, int(*p.TotalCount), cur, nil
}

func (o AmortizedCostOptions) validate() error {
	var errs []error
	if !o.SharedMonth.Valid() {
		errs = append(errs, fmt.Errorf("shared month %q is not a valid month", o.SharedMonth))
	}
	errs = append(errs, validateMethod(o.Method, o.SubCustomerID, o.Members))
	return errors.Join(errs...)
}

// ListAmortizedCosts fetches one page of the monthly amortised-cost
// breakdown: GET /v2/costs/cost-analysed-bills/monthly-breakdown
// (https://support.huaweicloud.com/api-oce/mbc_00014.html). It needs Cost
// Center (else an *Error with CodeCostCenterDisabled). The operation exists
// on the China site only (absent from the international SDK): on the intl
// site it returns an *UnsupportedError (errors.ErrUnsupported) without
// sending a request. A zero Limit means 1000. Jobs use AmortizedCosts instead.
func (c *Client) ListAmortizedCosts(ctx context.Context, opts AmortizedCostOptions, lo ListOptions) ([]AmortizedCost, *Response, error) {
	if c.cfg.Site == SiteInternational {
		return nil, nil, &UnsupportedError{Operation: OpAmortizedCosts, Site: c.cfg.Site}
	}
	if err := errors.Join(opts.validate(), onePage(opts.Members)); err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpAmortizedCosts, err)
	}
	lo, err := lo.normalise(maxLimit)
	if err != nil {
		return nil, nil, fmt.Errorf("bss %s: %w", OpAmortizedCosts, err)
	}
	var q query
	q.add("shared_month", opts.SharedMonth.String())
	addMethod(&q, opts.Method, opts.SubCustomerID)
	q.add("offset", strconv.Itoa(lo.Offset))
	q.add("limit", strconv.Itoa(lo.Limit))
	var cur string
	rows, resp, err := getPage(ctx, c, call{op: OpAmortizedCosts, method: "GET", path: "v2/costs/cost-analysed-bills/monthly-breakdown", query: q, offset: lo.Offset},
		"details", lo.Limit, func(b []byte) (rows []AmortizedCost, total int, err error) {
			rows, total, cur, err = decodeAmortizedPage(b, opts.SharedMonth, c.currency)
			return rows, total, err
		})
	if err != nil {
		return nil, nil, err
	}
	resp.Currency = cur
	return rows, resp, nil
}

// AmortizedCosts iterates over every amortised-cost detail of a shared
// month, with the paging, drift and CBC.18000048 member fan-out behaviour
// of ResourceRecords. The maximum page size of this operation is not
// documented: it pages at 1000 and falls back to 100 if the service answers
// CBC.0100.
func (c *Client) AmortizedCosts(ctx context.Context, opts AmortizedCostOptions) iter.Seq2[AmortizedCost, error] {
	o := opts
	one := func(ctx context.Context, o AmortizedCostOptions) iter.Seq2[AmortizedCost, error] {
		return paginateSeq(ctx, OpAmortizedCosts, withLimitFallback(func(ctx context.Context, off, limit int) ([]AmortizedCost, *Response, error) {
			return c.ListAmortizedCosts(ctx, o, ListOptions{Offset: off, Limit: limit})
		}))
	}
	return fanOut(ctx, c, OpAmortizedCosts, o.validate(), o, o.Method, o.Members, one, func(m Method, sub string) AmortizedCostOptions {
		p := o
		p.Method, p.SubCustomerID, p.Members = m, sub, nil
		return p
	})
}
