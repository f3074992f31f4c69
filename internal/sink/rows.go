package sink

import (
	"time"

	"github.com/shopspring/decimal"
)

// CostRecord is one itemised resource consumption record
// (ListCustomerselfResourceRecords, statistic_type=3), stored in cost_records.
// Scope is the configured account name whose credentials produced the row.
// BillCycle and BillDate are civil dates (00:00 UTC of the UTC+8 day); the
// other times are UTC instants. A zero time is stored as 1970-01-01 00:00:00.
type CostRecord struct {
	Scope                     string          `ch:"scope"`
	RecordID                  string          `ch:"record_id"`
	BillCycle                 time.Time       `ch:"bill_cycle,date"`
	BillDate                  time.Time       `ch:"bill_date,date"`
	BillType                  int32           `ch:"bill_type"`
	CustomerID                string          `ch:"customer_id"`
	AccountName               string          `ch:"account_name"`
	RegionCode                string          `ch:"region_code"`
	RegionName                string          `ch:"region_name"`
	ServiceTypeCode           string          `ch:"service_type_code"`
	ServiceTypeName           string          `ch:"service_type_name"`
	ResourceTypeCode          string          `ch:"resource_type_code"`
	ResourceTypeName          string          `ch:"resource_type_name"`
	ResourceID                string          `ch:"resource_id"`
	ResourceName              string          `ch:"resource_name"`
	ResourceTags              string          `ch:"resource_tags"`
	ProductID                 string          `ch:"product_id"`
	ProductName               string          `ch:"product_name"`
	ProductSpecDesc           string          `ch:"product_spec_desc"`
	SkuCode                   string          `ch:"sku_code"`
	EnterpriseProjectID       string          `ch:"enterprise_project_id"`
	EnterpriseProjectName     string          `ch:"enterprise_project_name"`
	ChargeMode                string          `ch:"charge_mode"`
	PeriodType                string          `ch:"period_type"`
	TradeID                   string          `ch:"trade_id"`
	OrderID                   string          `ch:"order_id"`
	TradeTime                 time.Time       `ch:"trade_time"`
	EffectiveTime             time.Time       `ch:"effective_time"`
	ExpireTime                time.Time       `ch:"expire_time"`
	UsageType                 string          `ch:"usage_type"`
	Usage                     decimal.Decimal `ch:"usage"`
	UsageUnit                 string          `ch:"usage_unit"`
	UnitPrice                 decimal.Decimal `ch:"unit_price"`
	OfficialAmount            decimal.Decimal `ch:"official_amount"`
	DiscountAmount            decimal.Decimal `ch:"discount_amount"`
	Amount                    decimal.Decimal `ch:"amount"`
	CashAmount                decimal.Decimal `ch:"cash_amount"`
	CreditAmount              decimal.Decimal `ch:"credit_amount"`
	CouponAmount              decimal.Decimal `ch:"coupon_amount"`
	FlexipurchaseCouponAmount decimal.Decimal `ch:"flexipurchase_coupon_amount"`
	StoredCardAmount          decimal.Decimal `ch:"stored_card_amount"`
	BonusAmount               decimal.Decimal `ch:"bonus_amount"`
	DebtAmount                decimal.Decimal `ch:"debt_amount"`
	AdjustmentAmount          decimal.Decimal `ch:"adjustment_amount"`
	Currency                  string          `ch:"currency"`
	// RIUsage is the quantity a reserved instance covered, in RIUsageUnit;
	// SubResourceID is then the RI's ID (094).
	RIUsage         decimal.Decimal `ch:"ri_usage"`
	RIUsageUnit     string          `ch:"ri_usage_unit"`
	SubResourceID   string          `ch:"sub_resource_id"`
	SubResourceName string          `ch:"sub_resource_name"`
}

// BillSummary is one ShowCustomerMonthlySum row, stored in bill_summaries.
// Its natural key within a (scope, bill_cycle) is customer_id,
// service_type_code, resource_type_code, charging_mode and bill_type.
type BillSummary struct {
	Scope                     string          `ch:"scope"`
	BillCycle                 time.Time       `ch:"bill_cycle,date"`
	CustomerID                string          `ch:"customer_id"`
	AccountName               string          `ch:"account_name"`
	ServiceTypeCode           string          `ch:"service_type_code"`
	ServiceTypeName           string          `ch:"service_type_name"`
	ResourceTypeCode          string          `ch:"resource_type_code"`
	ResourceTypeName          string          `ch:"resource_type_name"`
	ChargingMode              int32           `ch:"charging_mode"`
	BillType                  int32           `ch:"bill_type"`
	OfficialAmount            decimal.Decimal `ch:"official_amount"`
	OfficialDiscountAmount    decimal.Decimal `ch:"official_discount_amount"`
	TruncatedAmount           decimal.Decimal `ch:"truncated_amount"`
	ConsumeAmount             decimal.Decimal `ch:"consume_amount"`
	CashAmount                decimal.Decimal `ch:"cash_amount"`
	CreditAmount              decimal.Decimal `ch:"credit_amount"`
	CouponAmount              decimal.Decimal `ch:"coupon_amount"`
	FlexipurchaseCouponAmount decimal.Decimal `ch:"flexipurchase_coupon_amount"`
	StoredCardAmount          decimal.Decimal `ch:"stored_card_amount"`
	DebtAmount                decimal.Decimal `ch:"debt_amount"`
	WriteoffAmount            decimal.Decimal `ch:"writeoff_amount"`
	Currency                  string          `ch:"currency"`
}

// BalanceSnapshot is one account balance observed at ObservedAt, stored in
// balances. Rows with the same (scope, customer_id, account_id, observed_at)
// are the same observation, so a retried insert cannot double count.
type BalanceSnapshot struct {
	Scope            string          `ch:"scope"`
	ObservedAt       time.Time       `ch:"observed_at"`
	CustomerID       string          `ch:"customer_id"`
	AccountID        string          `ch:"account_id"`
	AccountType      int32           `ch:"account_type"`
	Amount           decimal.Decimal `ch:"amount"`
	CreditAmount     decimal.Decimal `ch:"credit_amount"`
	DesignatedAmount decimal.Decimal `ch:"designated_amount"`
	DebtAmount       decimal.Decimal `ch:"debt_amount"`
	Currency         string          `ch:"currency"`
}

// ResourcePackageSnapshot is one resource package item observed at
// ObservedAt, stored in resource_packages. Its key is (scope,
// order_instance_id, free_resource_id, observed_at).
type ResourcePackageSnapshot struct {
	Scope               string          `ch:"scope"`
	ObservedAt          time.Time       `ch:"observed_at"`
	CustomerID          string          `ch:"customer_id"`
	OrderInstanceID     string          `ch:"order_instance_id"`
	OrderID             string          `ch:"order_id"`
	FreeResourceID      string          `ch:"free_resource_id"`
	ProductID           string          `ch:"product_id"`
	ProductName         string          `ch:"product_name"`
	ServiceTypeCode     string          `ch:"service_type_code"`
	RegionCode          string          `ch:"region_code"`
	EnterpriseProjectID string          `ch:"enterprise_project_id"`
	UsageType           string          `ch:"usage_type"`
	Status              int32           `ch:"status"`
	EffectiveTime       time.Time       `ch:"effective_time"`
	ExpireTime          time.Time       `ch:"expire_time"`
	OriginalAmount      decimal.Decimal `ch:"original_amount"`
	RemainingAmount     decimal.Decimal `ch:"remaining_amount"`
	MeasureUnit         string          `ch:"measure_unit"`
}

// OrgUnit is one node of the enterprise organisation tree, stored in
// org_units. ParentID is empty for the root; Path lists the names from the
// root down to this unit, separated by "/"; IDPath the same with org IDs
// (which never contain "/"), for roll-ups over every ancestor.
type OrgUnit struct {
	Scope      string `ch:"scope"`
	OrgID      string `ch:"org_id"`
	ParentID   string `ch:"parent_id"`
	RelationID string `ch:"relation_id"`
	Name       string `ch:"name"`
	Path       string `ch:"path"`
	IDPath     string `ch:"id_path"`
}

// Account is one account of the enterprise (the master or a member),
// stored in accounts. PayerScope is the configured scope whose balance pays
// for the account's costs, or "" when no configured balance does (a member
// that pays for itself).
type Account struct {
	Scope       string `ch:"scope"`
	CustomerID  string `ch:"customer_id"`
	Name        string `ch:"name"`
	DisplayName string `ch:"display_name"`
	OrgID       string `ch:"org_id"`
	OrgName     string `ch:"org_name"`
	Status      int32  `ch:"status"`
	PayerScope  string `ch:"payer_scope"`
}

// SyncRun is one job run for one scope, stored in sync_runs. BillCycle is
// the zero time when the job is not about one bill month (stored as NULL).
// The reconciliation fields compare itemised records with the monthly
// summary for BillCycle: Drift is |ItemisedAmount - SummaryAmount|.
type SyncRun struct {
	RunID          string          `ch:"run_id"`
	Job            string          `ch:"job"`
	Scope          string          `ch:"scope"`
	BillCycle      time.Time       `ch:"bill_cycle,nulldate"`
	StartedAt      time.Time       `ch:"started_at"`
	FinishedAt     time.Time       `ch:"finished_at"`
	Status         string          `ch:"status"`
	Rows           uint64          `ch:"rows"`
	APICalls       uint64          `ch:"api_calls"`
	Error          string          `ch:"error"`
	ItemisedAmount decimal.Decimal `ch:"itemised_amount"`
	SummaryAmount  decimal.Decimal `ch:"summary_amount"`
	Drift          decimal.Decimal `ch:"reconciliation_drift"`
	Currency       string          `ch:"currency"`
	// FeeAmount is Σ consume_amount of the month's transaction bills and
	// FeeDrift FeeAmount − ItemisedAmount (092); both 0 when the feed is
	// not read (international site).
	FeeAmount decimal.Decimal `ch:"fee_amount"`
	FeeDrift  decimal.Decimal `ch:"fee_drift"`
	// BackfillWindow and BackfillID are set on the rows of a bills run given
	// a window (a backfill): the window ("2024-01..2024-12") and the run_id of
	// the run that started the backfill, kept by the runs that resume it.
	BackfillWindow string `ch:"backfill_window"`
	BackfillID     string `ch:"backfill_id"`
}

// BackfillCommit is one month an earlier run of a backfill committed.
type BackfillCommit struct {
	// ID is the backfill's id (the run_id of the run that started it).
	ID string
	// Month is the bill cycle (first day of the month); FinishedAt is when
	// its last successful sync of that backfill finished.
	Month      time.Time
	FinishedAt time.Time
}

// Run statuses stored in sync_runs.status.
const (
	RunSuccess = "success"
	RunFailure = "failure"
	RunSkipped = "skipped"
	// RunInterrupted is a run stopped by SIGINT/SIGTERM (or the daemon's
	// shutdown): not a failure; what it committed stays, the rest is as it
	// was before the run.
	RunInterrupted = "interrupted"
)

// MonthCounts is the number of rows a month must contain to be committed:
// the stable total_count of each dataset as reported by the API.
type MonthCounts struct {
	CostRecords   int
	BillSummaries int
}
