package sink

import (
	"time"

	"github.com/shopspring/decimal"
)

// Table names of the data contract.
const (
	TableCostRecords      = "cost_records"
	TableBillSummaries    = "bill_summaries"
	TableBalances         = "balances"
	TableResourcePackages = "resource_packages"
	TableOrgUnits         = "org_units"
	TableAccounts         = "accounts"
	TableSyncRuns         = "sync_runs"
)

// tables lists every table the sink writes, for pre-created metric labels.
var tables = []string{
	TableCostRecords, TableBillSummaries, TableBalances, TableResourcePackages,
	TableOrgUnits, TableAccounts, TableSyncRuns, TableAmortizedCosts,
}

var costRecordSpec = &tableSpec[CostRecord]{table: TableCostRecords, fields: []field[CostRecord]{
	strField("scope", func(r *CostRecord) string { return r.Scope }),
	strField("record_id", func(r *CostRecord) string { return r.RecordID }),
	dateField("bill_cycle", func(r *CostRecord) time.Time { return r.BillCycle }),
	dateField("bill_date", func(r *CostRecord) time.Time { return r.BillDate }),
	int32Field("bill_type", func(r *CostRecord) int32 { return r.BillType }),
	strField("customer_id", func(r *CostRecord) string { return r.CustomerID }),
	strField("account_name", func(r *CostRecord) string { return r.AccountName }),
	strField("region_code", func(r *CostRecord) string { return r.RegionCode }),
	strField("region_name", func(r *CostRecord) string { return r.RegionName }),
	strField("service_type_code", func(r *CostRecord) string { return r.ServiceTypeCode }),
	strField("service_type_name", func(r *CostRecord) string { return r.ServiceTypeName }),
	strField("resource_type_code", func(r *CostRecord) string { return r.ResourceTypeCode }),
	strField("resource_type_name", func(r *CostRecord) string { return r.ResourceTypeName }),
	strField("resource_id", func(r *CostRecord) string { return r.ResourceID }),
	strField("resource_name", func(r *CostRecord) string { return r.ResourceName }),
	strField("resource_tags", func(r *CostRecord) string { return r.ResourceTags }),
	strField("product_id", func(r *CostRecord) string { return r.ProductID }),
	strField("product_name", func(r *CostRecord) string { return r.ProductName }),
	strField("product_spec_desc", func(r *CostRecord) string { return r.ProductSpecDesc }),
	strField("sku_code", func(r *CostRecord) string { return r.SkuCode }),
	strField("enterprise_project_id", func(r *CostRecord) string { return r.EnterpriseProjectID }),
	strField("enterprise_project_name", func(r *CostRecord) string { return r.EnterpriseProjectName }),
	strField("charge_mode", func(r *CostRecord) string { return r.ChargeMode }),
	strField("period_type", func(r *CostRecord) string { return r.PeriodType }),
	strField("trade_id", func(r *CostRecord) string { return r.TradeID }),
	strField("order_id", func(r *CostRecord) string { return r.OrderID }),
	timeField("trade_time", func(r *CostRecord) time.Time { return r.TradeTime }),
	timeField("effective_time", func(r *CostRecord) time.Time { return r.EffectiveTime }),
	timeField("expire_time", func(r *CostRecord) time.Time { return r.ExpireTime }),
	strField("usage_type", func(r *CostRecord) string { return r.UsageType }),
	decField("usage", func(r *CostRecord) decimal.Decimal { return r.Usage }),
	strField("usage_unit", func(r *CostRecord) string { return r.UsageUnit }),
	decField("unit_price", func(r *CostRecord) decimal.Decimal { return r.UnitPrice }),
	decField("official_amount", func(r *CostRecord) decimal.Decimal { return r.OfficialAmount }),
	decField("discount_amount", func(r *CostRecord) decimal.Decimal { return r.DiscountAmount }),
	decField("amount", func(r *CostRecord) decimal.Decimal { return r.Amount }),
	decField("cash_amount", func(r *CostRecord) decimal.Decimal { return r.CashAmount }),
	decField("credit_amount", func(r *CostRecord) decimal.Decimal { return r.CreditAmount }),
	decField("coupon_amount", func(r *CostRecord) decimal.Decimal { return r.CouponAmount }),
	decField("flexipurchase_coupon_amount", func(r *CostRecord) decimal.Decimal { return r.FlexipurchaseCouponAmount }),
	decField("stored_card_amount", func(r *CostRecord) decimal.Decimal { return r.StoredCardAmount }),
	decField("bonus_amount", func(r *CostRecord) decimal.Decimal { return r.BonusAmount }),
	decField("debt_amount", func(r *CostRecord) decimal.Decimal { return r.DebtAmount }),
	decField("adjustment_amount", func(r *CostRecord) decimal.Decimal { return r.AdjustmentAmount }),
	strField("currency", func(r *CostRecord) string { return r.Currency }),
}}

var billSummarySpec = &tableSpec[BillSummary]{table: TableBillSummaries, fields: []field[BillSummary]{
	strField("scope", func(r *BillSummary) string { return r.Scope }),
	dateField("bill_cycle", func(r *BillSummary) time.Time { return r.BillCycle }),
	strField("customer_id", func(r *BillSummary) string { return r.CustomerID }),
	strField("account_name", func(r *BillSummary) string { return r.AccountName }),
	strField("service_type_code", func(r *BillSummary) string { return r.ServiceTypeCode }),
	strField("service_type_name", func(r *BillSummary) string { return r.ServiceTypeName }),
	strField("resource_type_code", func(r *BillSummary) string { return r.ResourceTypeCode }),
	strField("resource_type_name", func(r *BillSummary) string { return r.ResourceTypeName }),
	int32Field("charging_mode", func(r *BillSummary) int32 { return r.ChargingMode }),
	int32Field("bill_type", func(r *BillSummary) int32 { return r.BillType }),
	decField("official_amount", func(r *BillSummary) decimal.Decimal { return r.OfficialAmount }),
	decField("official_discount_amount", func(r *BillSummary) decimal.Decimal { return r.OfficialDiscountAmount }),
	decField("truncated_amount", func(r *BillSummary) decimal.Decimal { return r.TruncatedAmount }),
	decField("consume_amount", func(r *BillSummary) decimal.Decimal { return r.ConsumeAmount }),
	decField("cash_amount", func(r *BillSummary) decimal.Decimal { return r.CashAmount }),
	decField("credit_amount", func(r *BillSummary) decimal.Decimal { return r.CreditAmount }),
	decField("coupon_amount", func(r *BillSummary) decimal.Decimal { return r.CouponAmount }),
	decField("flexipurchase_coupon_amount", func(r *BillSummary) decimal.Decimal { return r.FlexipurchaseCouponAmount }),
	decField("stored_card_amount", func(r *BillSummary) decimal.Decimal { return r.StoredCardAmount }),
	decField("debt_amount", func(r *BillSummary) decimal.Decimal { return r.DebtAmount }),
	decField("writeoff_amount", func(r *BillSummary) decimal.Decimal { return r.WriteoffAmount }),
	strField("currency", func(r *BillSummary) string { return r.Currency }),
}}

var balanceSpec = &tableSpec[BalanceSnapshot]{table: TableBalances, fields: []field[BalanceSnapshot]{
	strField("scope", func(r *BalanceSnapshot) string { return r.Scope }),
	timeField("observed_at", func(r *BalanceSnapshot) time.Time { return r.ObservedAt }),
	strField("customer_id", func(r *BalanceSnapshot) string { return r.CustomerID }),
	strField("account_id", func(r *BalanceSnapshot) string { return r.AccountID }),
	int32Field("account_type", func(r *BalanceSnapshot) int32 { return r.AccountType }),
	decField("amount", func(r *BalanceSnapshot) decimal.Decimal { return r.Amount }),
	decField("credit_amount", func(r *BalanceSnapshot) decimal.Decimal { return r.CreditAmount }),
	decField("designated_amount", func(r *BalanceSnapshot) decimal.Decimal { return r.DesignatedAmount }),
	decField("debt_amount", func(r *BalanceSnapshot) decimal.Decimal { return r.DebtAmount }),
	strField("currency", func(r *BalanceSnapshot) string { return r.Currency }),
}}

var resourcePackageSpec = &tableSpec[ResourcePackageSnapshot]{table: TableResourcePackages, fields: []field[ResourcePackageSnapshot]{
	strField("scope", func(r *ResourcePackageSnapshot) string { return r.Scope }),
	timeField("observed_at", func(r *ResourcePackageSnapshot) time.Time { return r.ObservedAt }),
	strField("customer_id", func(r *ResourcePackageSnapshot) string { return r.CustomerID }),
	strField("order_instance_id", func(r *ResourcePackageSnapshot) string { return r.OrderInstanceID }),
	strField("order_id", func(r *ResourcePackageSnapshot) string { return r.OrderID }),
	strField("free_resource_id", func(r *ResourcePackageSnapshot) string { return r.FreeResourceID }),
	strField("product_id", func(r *ResourcePackageSnapshot) string { return r.ProductID }),
	strField("product_name", func(r *ResourcePackageSnapshot) string { return r.ProductName }),
	strField("service_type_code", func(r *ResourcePackageSnapshot) string { return r.ServiceTypeCode }),
	strField("region_code", func(r *ResourcePackageSnapshot) string { return r.RegionCode }),
	strField("enterprise_project_id", func(r *ResourcePackageSnapshot) string { return r.EnterpriseProjectID }),
	strField("usage_type", func(r *ResourcePackageSnapshot) string { return r.UsageType }),
	int32Field("status", func(r *ResourcePackageSnapshot) int32 { return r.Status }),
	timeField("effective_time", func(r *ResourcePackageSnapshot) time.Time { return r.EffectiveTime }),
	timeField("expire_time", func(r *ResourcePackageSnapshot) time.Time { return r.ExpireTime }),
	decField("original_amount", func(r *ResourcePackageSnapshot) decimal.Decimal { return r.OriginalAmount }),
	decField("remaining_amount", func(r *ResourcePackageSnapshot) decimal.Decimal { return r.RemainingAmount }),
	strField("measure_unit", func(r *ResourcePackageSnapshot) string { return r.MeasureUnit }),
}}

var orgUnitSpec = &tableSpec[OrgUnit]{table: TableOrgUnits, fields: []field[OrgUnit]{
	strField("scope", func(r *OrgUnit) string { return r.Scope }),
	strField("org_id", func(r *OrgUnit) string { return r.OrgID }),
	strField("parent_id", func(r *OrgUnit) string { return r.ParentID }),
	strField("relation_id", func(r *OrgUnit) string { return r.RelationID }),
	strField("name", func(r *OrgUnit) string { return r.Name }),
	strField("path", func(r *OrgUnit) string { return r.Path }),
	strField("id_path", func(r *OrgUnit) string { return r.IDPath }),
}}

var accountSpec = &tableSpec[Account]{table: TableAccounts, fields: []field[Account]{
	strField("scope", func(r *Account) string { return r.Scope }),
	strField("customer_id", func(r *Account) string { return r.CustomerID }),
	strField("name", func(r *Account) string { return r.Name }),
	strField("display_name", func(r *Account) string { return r.DisplayName }),
	strField("org_id", func(r *Account) string { return r.OrgID }),
	strField("org_name", func(r *Account) string { return r.OrgName }),
	int32Field("status", func(r *Account) int32 { return r.Status }),
	strField("payer_scope", func(r *Account) string { return r.PayerScope }),
}}

var syncRunSpec = &tableSpec[SyncRun]{table: TableSyncRuns, fields: []field[SyncRun]{
	strField("run_id", func(r *SyncRun) string { return r.RunID }),
	strField("job", func(r *SyncRun) string { return r.Job }),
	strField("scope", func(r *SyncRun) string { return r.Scope }),
	nullDateField("bill_cycle", func(r *SyncRun) time.Time { return r.BillCycle }),
	timeField("started_at", func(r *SyncRun) time.Time { return r.StartedAt }),
	timeField("finished_at", func(r *SyncRun) time.Time { return r.FinishedAt }),
	strField("status", func(r *SyncRun) string { return r.Status }),
	uint64Field("rows", func(r *SyncRun) uint64 { return r.Rows }),
	uint64Field("api_calls", func(r *SyncRun) uint64 { return r.APICalls }),
	strField("error", func(r *SyncRun) string { return r.Error }),
	decField("itemised_amount", func(r *SyncRun) decimal.Decimal { return r.ItemisedAmount }),
	decField("summary_amount", func(r *SyncRun) decimal.Decimal { return r.SummaryAmount }),
	decField("reconciliation_drift", func(r *SyncRun) decimal.Decimal { return r.Drift }),
	strField("currency", func(r *SyncRun) string { return r.Currency }),
}}
