package bss

import (
	"time"

	"github.com/shopspring/decimal"
)

// Method selects whose data an enterprise master queries.
type Method string

// The values of the method parameter.
const (
	MethodAll         Method = "all"          // self + visible members (the API default)
	MethodOneself     Method = "oneself"      // the caller only
	MethodSubCustomer Method = "sub_customer" // one member, given by SubCustomerID
)

// Statistic types of ListCustomerselfResourceRecords.
const (
	StatisticPerCycle = 1 // one row per resource and billing cycle (no record ID)
	StatisticItemised = 3 // itemised rows, each with a unique ID (default)
)

// MonthlySumOptions select a ShowCustomerMonthlySum query.
type MonthlySumOptions struct {
	Cycle         Month
	Method        Method // "" means all
	SubCustomerID string // required with MethodSubCustomer
	// Members, with Method oneself, fans out: the master's own rows, then
	// each listed member's (method=sub_customer), each listing checked for
	// drift on its own; a member that refuses access (CBC.0151: independent,
	// not authorised) is skipped and logged, as method=all leaves it out.
	Members []string
}

// ResourceRecordOptions select a ListCustomerselfResourceRecords query.
type ResourceRecordOptions struct {
	Cycle         Month
	StatisticType int    // StatisticItemised (0 means itemised) or StatisticPerCycle
	Method        Method // "" means all
	SubCustomerID string // required with MethodSubCustomer
	// Members, with Method oneself, fans out: the master's own rows, then
	// each listed member's (method=sub_customer), each listing checked for
	// drift on its own; a member that refuses access (CBC.0151: independent,
	// not authorised) is skipped and logged, as method=all leaves it out.
	Members []string
	// IncludeZero includes rows whose amount due is 0 (for example fully
	// covered by a resource package). It is always sent explicitly.
	IncludeZero bool
}

// ResourcePackageOptions filter ListFreeResourceInfos. Zero values do not filter.
type ResourcePackageOptions struct {
	RegionCode          string
	OrderID             string
	ProductID           string
	ProductName         string
	EnterpriseProjectID string
	Status              *int // 0 not effective, 1 in effect, 2 used up, 3 expired, 4 unsubscribed
	ServiceTypeCodes    []string
}

// SubCustomerOptions filter ListEnterpriseSubCustomers. Zero values do not filter.
type SubCustomerOptions struct {
	AccountName string
	DisplayName string
	Fuzzy       bool
	OrgID       string
}

// ResourceRecord is one row of ListCustomerselfResourceRecords (reference
// §7.2). Amount fields are in currency units (a money measure_id of 2 or 3
// is converted); quantities keep the unit of their *MeasureID. Times are
// UTC; BillDate is the UTC+8 civil date "YYYY-MM-DD". EnterpriseProjectID
// is UnassignedEnterpriseProject ("-1") when the service sent null, "" or "-1".
type ResourceRecord struct {
	BillCycle             Month // the queried cycle
	ID                    string
	BillDate              string
	BillType              int
	CustomerID            string
	AccountName           string
	Region                string
	RegionName            string
	ServiceTypeCode       string
	ServiceTypeName       string
	ResourceTypeCode      string
	ResourceTypeName      string
	EffectiveTime         time.Time
	ExpireTime            time.Time
	ConsumeTime           time.Time
	ResourceID            string
	ResourceName          string
	ResourceTag           string
	ProductID             string
	ProductName           string
	ProductSpecDesc       string
	SkuCode               string
	SpecSize              decimal.Decimal
	SpecSizeMeasureID     int
	TradeID               string
	TradeTime             time.Time
	EnterpriseProjectID   string
	EnterpriseProjectName string
	ChargeMode            string // "1", "3", "10", "11"
	OrderID               string
	RelativeOrderID       string
	PeriodType            string // "19", "20", "24", "25", "5"
	PeriodNum             decimal.Decimal
	UsageType             string
	Usage                 decimal.Decimal
	UsageMeasureID        int
	FreeResourceUsage     decimal.Decimal
	FreeResourceMeasureID int
	RIUsage               decimal.Decimal
	RIUsageMeasureID      int
	UnitPrice             decimal.Decimal
	Unit                  string

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
	// MeasureID is the money unit the service used (1 yuan/dollar, 2 jiao,
	// 3 fen; 0 absent); the amounts above are already in currency units.
	MeasureID int
	Formula   string
	Currency  string

	SubServiceTypeCode  string
	SubServiceTypeName  string
	SubResourceTypeCode string
	SubResourceTypeName string
	SubResourceID       string
	SubResourceName     string
}

// MonthlySum is one row of ShowCustomerMonthlySum (§7.1). Amounts are in
// currency units. ResourceTypeCode may be empty (the API sends null).
type MonthlySum struct {
	BillCycle                 Month
	CustomerID                string
	AccountName               string
	ServiceTypeCode           string
	ServiceTypeName           string
	ResourceTypeCode          string
	ResourceTypeName          string
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
	MeasureID                 int
	Currency                  string
}

// MonthlySumTotals are the header totals of a ShowCustomerMonthlySum answer
// (over the whole result, not one page).
type MonthlySumTotals struct {
	ConsumeAmount             decimal.Decimal
	DebtAmount                decimal.Decimal
	CouponAmount              decimal.Decimal
	FlexipurchaseCouponAmount decimal.Decimal
	StoredValueCardAmount     decimal.Decimal
	CashAmount                decimal.Decimal
	CreditAmount              decimal.Decimal
	WriteoffAmount            decimal.Decimal
	Currency                  string
}

// Account types of AccountBalance.
const (
	AccountTypeCash    = 1
	AccountTypeCredit  = 2
	AccountTypeBonus   = 5
	AccountTypeDeposit = 7
)

// Balances is the answer of ShowCustomerAccountBalances (§8.1).
type Balances struct {
	Accounts   []AccountBalance
	DebtAmount decimal.Decimal
	MeasureID  int
	Currency   string
}

// AccountBalance is one account (cash, credit, bonus, deposit) of the caller.
type AccountBalance struct {
	AccountID        string
	AccountType      int
	Amount           decimal.Decimal
	DesignatedAmount decimal.Decimal
	CreditAmount     decimal.Decimal
	Currency         string
	MeasureID        int
}

// ResourcePackage is one package of ListFreeResourceInfos (v3, §9.1).
type ResourcePackage struct {
	OrderInstanceID        string
	OrderID                string
	ProductID              string
	ProductName            string
	EnterpriseProjectID    string
	EnterpriseProjectScope int
	EffectiveTime          time.Time
	ExpireTime             time.Time
	Status                 int
	ServiceTypeCode        string
	ServiceTypeName        string
	RegionCode             string
	SourceType             int
	BundleType             string
	QuotaReuseMode         int
	Items                  []PackageItem
}

// PackageItem is one usage type of a package; Amount is the remaining
// quota (in the current cycle for resettable packages).
type PackageItem struct {
	FreeResourceID string
	UsageTypeName  string
	Amount         decimal.Decimal
	OriginalAmount decimal.Decimal
	MeasureID      int
}

// ResourceUsage is the current-window usage of one package item (§9.2).
type ResourceUsage struct {
	FreeResourceID       string
	FreeResourceTypeName string
	UsageTypeName        string
	QuotaReuseCycle      int
	QuotaReuseCycleType  int
	StartTime            time.Time
	EndTime              time.Time
	Amount               decimal.Decimal
	OriginalAmount       decimal.Decimal
	MeasureID            int
}

// OrgTree is the enterprise organisation (§10.1).
type OrgTree struct {
	RootID   string
	RootName string
	Nodes    []OrgNode
}

// OrgNode is one organisation unit with its subtree.
type OrgNode struct {
	ID         string
	RelationID string
	Name       string
	Children   []OrgNode
}

// SubCustomer is one member account (§10.2).
type SubCustomer struct {
	ID          string
	Name        string
	DisplayName string
	Status      int
	OrgID       string
	OrgName     string
}

// ServiceType is a cloud service type code (§11.1).
type ServiceType struct {
	Code         string
	Name         string
	Abbreviation string
}

// ResourceType is a resource type code (§11.2).
type ResourceType struct {
	Code            string
	Name            string
	Description     string
	ServiceTypeCode string
}

// MeasureUnit is a unit of measure (§11.5).
type MeasureUnit struct {
	ID           int
	Name         string
	Abbreviation string
	MeasureType  int
}
