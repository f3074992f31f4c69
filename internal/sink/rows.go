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
	Scope                     string
	RecordID                  string
	BillCycle                 time.Time
	BillDate                  time.Time
	BillType                  int32
	CustomerID                string
	AccountName               string
	RegionCode                string
	RegionName                string
	ServiceTypeCode           string
	ServiceTypeName           string
	ResourceTypeCode          string
	ResourceTypeName          string
	ResourceID                string
	ResourceName              string
	ResourceTags              string
	ProductID                 string
	ProductName               string
	ProductSpecDesc           string
	SkuCode                   string
	EnterpriseProjectID       string
	EnterpriseProjectName     string
	ChargeMode                string
	PeriodType                string
	TradeID                   string
	OrderID                   string
	TradeTime                 time.Time
	EffectiveTime             time.Time
	ExpireTime                time.Time
	UsageType                 string
	Usage                     decimal.Decimal
	UsageUnit                 string
	UnitPrice                 decimal.Decimal
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
	Currency                  string
}

// BillSummary is one ShowCustomerMonthlySum row, stored in bill_summaries.
// Its natural key within a (scope, bill_cycle) is customer_id,
// service_type_code, resource_type_code, charging_mode and bill_type.
type BillSummary struct {
	Scope                     string
	BillCycle                 time.Time
	CustomerID                string
	AccountName               string
	ServiceTypeCode           string
	ServiceTypeName           string
	ResourceTypeCode          string
	ResourceTypeName          string
	ChargingMode              int32
	BillType                  int32
	OfficialAmount            decimal.Decimal
	OfficialDiscountAmount    decimal.Decimal
	TruncatedAmount           decimal.Decimal
	ConsumeAmount             decimal.Decimal
	CashAmount                decimal.Decimal
	CreditAmount              decimal.Decimal
	CouponAmount              decimal.Decimal
	FlexipurchaseCouponAmount decimal.Decimal
	StoredCardAmount          decimal.Decimal
	DebtAmount                decimal.Decimal
	WriteoffAmount            decimal.Decimal
	Currency                  string
}

// BalanceSnapshot is one account balance observed at ObservedAt, stored in
// balances. Rows with the same (scope, customer_id, account_id, observed_at)
// are the same observation, so a retried insert cannot double count.
type BalanceSnapshot struct {
	Scope            string
	ObservedAt       time.Time
	CustomerID       string
	AccountID        string
	AccountType      int32
	Amount           decimal.Decimal
	CreditAmount     decimal.Decimal
	DesignatedAmount decimal.Decimal
	DebtAmount       decimal.Decimal
	Currency         string
}

// ResourcePackageSnapshot is one resource package item observed at
// ObservedAt, stored in resource_packages. Its key is (scope,
// order_instance_id, free_resource_id, observed_at).
type ResourcePackageSnapshot struct {
	Scope               string
	ObservedAt          time.Time
	CustomerID          string
	OrderInstanceID     string
	OrderID             string
	FreeResourceID      string
	ProductID           string
	ProductName         string
	ServiceTypeCode     string
	RegionCode          string
	EnterpriseProjectID string
	UsageType           string
	Status              int32
	EffectiveTime       time.Time
	ExpireTime          time.Time
	OriginalAmount      decimal.Decimal
	RemainingAmount     decimal.Decimal
	MeasureUnit         string
}

// OrgUnit is one node of the enterprise organisation tree, stored in
// org_units. ParentID is empty for the root; Path lists the names from the
// root down to this unit, separated by "/"; IDPath the same with org IDs
// (which never contain "/"), for roll-ups over every ancestor.
type OrgUnit struct {
	Scope      string
	OrgID      string
	ParentID   string
	RelationID string
	Name       string
	Path       string
	IDPath     string
}

// Account is one account of the enterprise (the master or a member),
// stored in accounts. PayerScope is the configured scope whose balance pays
// for the account's costs, or "" when no configured balance does (a member
// that pays for itself).
type Account struct {
	Scope       string
	CustomerID  string
	Name        string
	DisplayName string
	OrgID       string
	OrgName     string
	Status      int32
	PayerScope  string
}

// SyncRun is one job run for one scope, stored in sync_runs. BillCycle is
// the zero time when the job is not about one bill month (stored as NULL).
// The reconciliation fields compare itemised records with the monthly
// summary for BillCycle: Drift is |ItemisedAmount - SummaryAmount|.
type SyncRun struct {
	RunID          string
	Job            string
	Scope          string
	BillCycle      time.Time
	StartedAt      time.Time
	FinishedAt     time.Time
	Status         string
	Rows           uint64
	APICalls       uint64
	Error          string
	ItemisedAmount decimal.Decimal
	SummaryAmount  decimal.Decimal
	Drift          decimal.Decimal
	Currency       string
	// BackfillWindow and BackfillID are set on the rows of a bills run given
	// a window (a backfill): the window ("2024-01..2024-12") and the run_id of
	// the run that started the backfill, kept by the runs that resume it.
	BackfillWindow string
	BackfillID     string
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
