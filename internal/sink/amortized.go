package sink

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Amortised cost tables (issue 15).
const (
	TableAmortizedCosts     = "amortized_costs"
	TableAmortizedManifests = "amortized_manifests"
)

// amortizedKey is the natural key of an amortised detail within a
// (scope, shared_month) (reference §14).
const amortizedKey = "shared_month, bill_cycle, customer_id, resource_id, service_type_code, resource_type_code, region_code, " +
	"charging_mode, bill_type, order_id, usage_type, enterprise_project_id, sub_resource_id"

// AmortizedCost is one detail of ListCustomerBillsMonthlyBreakDown, stored
// in amortized_costs: the share of one charge of BillCycle that falls in
// SharedMonth. Both months are civil first days (00:00 UTC), never
// shifted. CostTags and CostUnits are "key=value" pairs separated by ";".
type AmortizedCost struct {
	Scope                              string
	SharedMonth                        time.Time
	BillCycle                          time.Time
	BillType                           int32
	CustomerID                         string
	RegionCode                         string
	RegionName                         string
	ServiceTypeCode                    string
	ServiceTypeName                    string
	ResourceTypeCode                   string
	ResourceTypeName                   string
	ResourceID                         string
	ResourceName                       string
	ResourceTags                       string
	ProductSpecDesc                    string
	EnterpriseProjectID                string
	EnterpriseProjectName              string
	ChargingMode                       int32
	OrderID                            string
	PeriodType                         int32
	EffectiveTime                      time.Time
	ExpireTime                         time.Time
	UsageType                          string
	Usage                              decimal.Decimal
	UsageUnit                          string
	FreeResourceUsage                  decimal.Decimal
	FreeResourceUnit                   string
	RIUsage                            decimal.Decimal
	RIUsageUnit                        string
	ConsumeAmount                      decimal.Decimal
	PastMonthsAmortizedAmount          decimal.Decimal
	CurrentMonthAmortizedAmount        decimal.Decimal
	FutureMonthsAmortizedAmount        decimal.Decimal
	AmortizedCashAmount                decimal.Decimal
	AmortizedCreditAmount              decimal.Decimal
	AmortizedCouponAmount              decimal.Decimal
	AmortizedFlexipurchaseCouponAmount decimal.Decimal
	AmortizedStoredValueCardAmount     decimal.Decimal
	AmortizedBonusAmount               decimal.Decimal
	Currency                           string
	SubServiceTypeCode                 string
	SubResourceTypeCode                string
	SubResourceID                      string
	SubResourceName                    string
	CostTags                           string
	CostUnits                          string
}

var amortizedSpec = dataTable(&tableSpec[AmortizedCost]{table: TableAmortizedCosts, fields: []field[AmortizedCost]{
	strField("scope", func(r *AmortizedCost) string { return r.Scope }),
	dateField("shared_month", func(r *AmortizedCost) time.Time { return r.SharedMonth }),
	dateField("bill_cycle", func(r *AmortizedCost) time.Time { return r.BillCycle }),
	int32Field("bill_type", func(r *AmortizedCost) int32 { return r.BillType }),
	strField("customer_id", func(r *AmortizedCost) string { return r.CustomerID }),
	strField("region_code", func(r *AmortizedCost) string { return r.RegionCode }),
	strField("region_name", func(r *AmortizedCost) string { return r.RegionName }),
	strField("service_type_code", func(r *AmortizedCost) string { return r.ServiceTypeCode }),
	strField("service_type_name", func(r *AmortizedCost) string { return r.ServiceTypeName }),
	strField("resource_type_code", func(r *AmortizedCost) string { return r.ResourceTypeCode }),
	strField("resource_type_name", func(r *AmortizedCost) string { return r.ResourceTypeName }),
	strField("resource_id", func(r *AmortizedCost) string { return r.ResourceID }),
	strField("resource_name", func(r *AmortizedCost) string { return r.ResourceName }),
	strField("resource_tags", func(r *AmortizedCost) string { return r.ResourceTags }),
	strField("product_spec_desc", func(r *AmortizedCost) string { return r.ProductSpecDesc }),
	strField("enterprise_project_id", func(r *AmortizedCost) string { return r.EnterpriseProjectID }),
	strField("enterprise_project_name", func(r *AmortizedCost) string { return r.EnterpriseProjectName }),
	int32Field("charging_mode", func(r *AmortizedCost) int32 { return r.ChargingMode }),
	strField("order_id", func(r *AmortizedCost) string { return r.OrderID }),
	int32Field("period_type", func(r *AmortizedCost) int32 { return r.PeriodType }),
	timeField("effective_time", func(r *AmortizedCost) time.Time { return r.EffectiveTime }),
	timeField("expire_time", func(r *AmortizedCost) time.Time { return r.ExpireTime }),
	strField("usage_type", func(r *AmortizedCost) string { return r.UsageType }),
	decField("usage", func(r *AmortizedCost) decimal.Decimal { return r.Usage }),
	strField("usage_unit", func(r *AmortizedCost) string { return r.UsageUnit }),
	decField("free_resource_usage", func(r *AmortizedCost) decimal.Decimal { return r.FreeResourceUsage }),
	strField("free_resource_unit", func(r *AmortizedCost) string { return r.FreeResourceUnit }),
	decField("ri_usage", func(r *AmortizedCost) decimal.Decimal { return r.RIUsage }),
	strField("ri_usage_unit", func(r *AmortizedCost) string { return r.RIUsageUnit }),
	decField("consume_amount", func(r *AmortizedCost) decimal.Decimal { return r.ConsumeAmount }),
	decField("past_months_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.PastMonthsAmortizedAmount }),
	decField("current_month_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.CurrentMonthAmortizedAmount }),
	decField("future_months_amortized_amount", func(r *AmortizedCost) decimal.Decimal { return r.FutureMonthsAmortizedAmount }),
	decField("amortized_cash_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCashAmount }),
	decField("amortized_credit_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCreditAmount }),
	decField("amortized_coupon_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedCouponAmount }),
	decField("amortized_flexipurchase_coupon_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedFlexipurchaseCouponAmount }),
	decField("amortized_stored_value_card_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedStoredValueCardAmount }),
	decField("amortized_bonus_amount", func(r *AmortizedCost) decimal.Decimal { return r.AmortizedBonusAmount }),
	strField("currency", func(r *AmortizedCost) string { return r.Currency }),
	strField("sub_service_type_code", func(r *AmortizedCost) string { return r.SubServiceTypeCode }),
	strField("sub_resource_type_code", func(r *AmortizedCost) string { return r.SubResourceTypeCode }),
	strField("sub_resource_id", func(r *AmortizedCost) string { return r.SubResourceID }),
	strField("sub_resource_name", func(r *AmortizedCost) string { return r.SubResourceName }),
	strField("cost_tags", func(r *AmortizedCost) string { return r.CostTags }),
	strField("cost_units", func(r *AmortizedCost) string { return r.CostUnits }),
}})

// amortizedTable is amortized_costs as a table replaced per (scope,
// shared_month), with its manifests in amortized_manifests: the digest's
// Amount is current_month_amortized_amount and OfficialAmount
// consume_amount.
var amortizedTable = newPartitionTable(partitionTable{table: TableAmortizedCosts, manifests: TableAmortizedManifests,
	what: "amortised month", month: "shared_month", key: amortizedKey,
	amount: "current_month_amortized_amount", official: "consume_amount",
	rowsCol: "details", amountCol: "current_amount", offiCol: "consume_amount"})

// AmortizedWriter replaces one (scope, shared_month) of amortized_costs
// (see PartitionWriter).
type AmortizedWriter = PartitionWriter[AmortizedCost]

// BeginAmortizedMonth starts replacing the shared month of scope (the civil
// first day at 00:00 UTC) in a fresh staging table.
func (s *Sink) BeginAmortizedMonth(ctx context.Context, scope string, month time.Time) (*AmortizedWriter, error) {
	return beginPartition(ctx, s, amortizedTable, amortizedSpec, func(r *AmortizedCost) (*string, *time.Time) {
		return &r.Scope, &r.SharedMonth
	}, scope, month)
}

// AmortizedCheck is the audit of one stored amortised month.
type AmortizedCheck = PartitionCheck

// VerifyAmortized compares every stored amortised month whose shared month
// lies in [from, to] (zero bounds: unbounded) with its latest manifest, like
// Verify does for the bills, ordered by scope and month.
func (s *Sink) VerifyAmortized(ctx context.Context, from, to time.Time) ([]AmortizedCheck, error) {
	return s.verifyPartitions(ctx, amortizedTable, from, to)
}

// MismatchedAmortizedMonths returns the stored amortised months that differ
// from their manifests.
func (s *Sink) MismatchedAmortizedMonths(ctx context.Context) ([]MonthKey, error) {
	return s.mismatchedPartitions(ctx, amortizedTable)
}
