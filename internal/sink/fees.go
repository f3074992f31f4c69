package sink

import (
	"context"
	"time"

	"github.com/shopspring/decimal"
)

// Transaction bill tables (092; issue 16).
const (
	TableFeeRecords   = "fee_records"
	TableFeeManifests = "fee_manifests"
)

// feeKey is the natural key of a transaction within a (scope, bill_cycle)
// (reference §14), with key_seq telling apart transactions the API
// returned with the same key.
const feeKey = "bill_cycle, customer_id, trade_id, bill_type, service_type_code, resource_type_code, region_code, " +
	"charging_mode, enterprise_project_id, provider_type, consume_time, key_seq"

// FeeRecord is one transaction bill of ListCustomerBillsFeeRecords, stored
// in fee_records (see schema/092_fee_records.sql). BillCycle is the civil
// first day of the month (00:00 UTC), never shifted. Leave KeySeq 0: the
// FeeWriter's Commit numbers the transactions that repeat a natural key in
// the month 0, 1, 2… (see PartitionWriter.numberRepeats), so a repeat is
// kept, not refused or merged.
type FeeRecord struct {
	Scope                     string          `ch:"scope"`
	BillCycle                 time.Time       `ch:"bill_cycle,date"`
	CustomerID                string          `ch:"customer_id"`
	AccountName               string          `ch:"account_name"`
	ProviderType              int32           `ch:"provider_type"`
	ServiceTypeCode           string          `ch:"service_type_code"`
	ServiceTypeName           string          `ch:"service_type_name"`
	ResourceTypeCode          string          `ch:"resource_type_code"`
	ResourceTypeName          string          `ch:"resource_type_name"`
	RegionCode                string          `ch:"region_code"`
	RegionName                string          `ch:"region_name"`
	EnterpriseProjectID       string          `ch:"enterprise_project_id"`
	EnterpriseProjectName     string          `ch:"enterprise_project_name"`
	ChargingMode              int32           `ch:"charging_mode"`
	ConsumeTime               time.Time       `ch:"consume_time"`
	TradeTime                 time.Time       `ch:"trade_time"`
	TradeID                   string          `ch:"trade_id"`
	BillType                  int32           `ch:"bill_type"`
	Status                    int32           `ch:"status"`
	KeySeq                    int32           `ch:"key_seq"`
	OfficialAmount            decimal.Decimal `ch:"official_amount"`
	OfficialDiscountAmount    decimal.Decimal `ch:"official_discount_amount"`
	EraseAmount               decimal.Decimal `ch:"erase_amount"`
	ConsumeAmount             decimal.Decimal `ch:"consume_amount"`
	CashAmount                decimal.Decimal `ch:"cash_amount"`
	CreditAmount              decimal.Decimal `ch:"credit_amount"`
	CouponAmount              decimal.Decimal `ch:"coupon_amount"`
	FlexipurchaseCouponAmount decimal.Decimal `ch:"flexipurchase_coupon_amount"`
	StoredValueCardAmount     decimal.Decimal `ch:"stored_value_card_amount"`
	BonusAmount               decimal.Decimal `ch:"bonus_amount"`
	DebtAmount                decimal.Decimal `ch:"debt_amount"`
	WriteoffAmount            decimal.Decimal `ch:"writeoff_amount"`
	Currency                  string          `ch:"currency"`
}

var (
	feeRecordSpec = dataTable(specOf[FeeRecord](TableFeeRecords))
	// feeTable is fee_records replaced per (scope, bill_cycle), manifests
	// in fee_manifests: the digest's Amount is consume_amount.
	feeTable = newPartitionTable(partitionTable{table: TableFeeRecords, manifests: TableFeeManifests,
		what: "transaction month", month: "bill_cycle", key: feeKey, seq: "key_seq",
		amount: "consume_amount", official: "official_amount",
		rowsCol: "records", amountCol: "consume_amount", offiCol: "official_amount"})
)

// FeeWriter replaces one (scope, bill_cycle) of fee_records (see
// PartitionWriter).
type FeeWriter = PartitionWriter[FeeRecord]

// BeginFeeMonth starts replacing the transaction bills of one month of
// scope (the civil first day at 00:00 UTC) in a fresh staging table.
func (s *Sink) BeginFeeMonth(ctx context.Context, scope string, cycle time.Time) (*FeeWriter, error) {
	return beginPartition(ctx, s, feeTable, feeRecordSpec, func(r *FeeRecord) (*string, *time.Time) {
		return &r.Scope, &r.BillCycle
	}, scope, cycle)
}

// VerifyFees compares every stored transaction month whose bill cycle lies
// in [from, to] (zero bounds: unbounded) with its latest manifest.
func (s *Sink) VerifyFees(ctx context.Context, from, to time.Time) ([]PartitionCheck, error) {
	return s.verifyPartitions(ctx, feeTable, from, to)
}
