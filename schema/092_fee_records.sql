-- Transaction ("flow") bills (ListCustomerBillsFeeRecords, reference §7.3; China site only; issue 16).
-- One row per charge transaction of bill_cycle: its payment status (status 1 paid, 2 not fully
-- settled, 3 not yet settled), its provider (provider_type 1 Huawei Cloud, 2 KooGallery marketplace)
-- and its payment split; consume_amount = cash + credit + coupon + flexipurchase_coupon +
-- stored_value_card + bonus + debt + writeoff, official_amount = official_discount_amount +
-- erase_amount + consume_amount. trade_id is the order or transaction id the itemised records
-- (cost_records.trade_id) carry too. Natural key (reference §14): bill_cycle, customer_id, trade_id,
-- bill_type, service_type_code, resource_type_code, region_code, charging_mode,
-- enterprise_project_id, provider_type, consume_time, and key_seq (0, or 1, 2… for further
-- transactions the API returned with the same key in the month, so a true repeat is kept).
-- One (scope, bill_cycle) is exactly one partition, replaced whole with the bills' month protocol
-- (manifests in fee_manifests). Unsettled amounts per account:
--   SELECT customer_id, sum(consume_amount) FROM fee_records WHERE status IN (2, 3) GROUP BY customer_id
CREATE TABLE IF NOT EXISTS {{.DB}}.fee_records {{.OnCluster}} (
    scope                       String,
    bill_cycle                  Date,
    customer_id                 String,
    account_name                String,
    provider_type               Int32,
    service_type_code           String,
    service_type_name           String,
    resource_type_code          String,
    resource_type_name          String,
    region_code                 String,
    region_name                 String,
    enterprise_project_id       String,
    enterprise_project_name     String,
    charging_mode               Int32,
    consume_time                DateTime('UTC'),
    trade_time                  DateTime('UTC'),
    trade_id                    String,
    bill_type                   Int32,
    status                      Int32,
    key_seq                     Int32,
    official_amount             Decimal(38, 8),
    official_discount_amount    Decimal(38, 8),
    erase_amount                Decimal(38, 8),
    consume_amount              Decimal(38, 8),
    cash_amount                 Decimal(38, 8),
    credit_amount               Decimal(38, 8),
    coupon_amount               Decimal(38, 8),
    flexipurchase_coupon_amount Decimal(38, 8),
    stored_value_card_amount    Decimal(38, 8),
    bonus_amount                Decimal(38, 8),
    debt_amount                 Decimal(38, 8),
    writeoff_amount             Decimal(38, 8),
    currency                    String
) ENGINE = {{engine "fee_records" "MergeTree"}}
PARTITION BY (scope, toYYYYMM(bill_cycle))
ORDER BY (scope, bill_cycle, customer_id, trade_id)
SETTINGS old_parts_lifetime = 1;

-- One row per committed transaction month, like amortized_manifests: rows, exact sums of
-- consume_amount and official_amount, and the checksum of the natural keys of the
-- (scope, bill_cycle) the swap put in place. The latest row by seq is the manifest.
CREATE TABLE IF NOT EXISTS {{.DB}}.fee_manifests {{.OnCluster}} (
    scope           String,
    bill_cycle      Date,
    seq             UInt64,
    committed_at    DateTime('UTC'),
    run_id          String,
    records         UInt64,
    consume_amount  Decimal(38, 8),
    official_amount Decimal(38, 8),
    keys_checksum   UInt64
) ENGINE = {{engine "fee_manifests" "MergeTree"}}
PARTITION BY toYYYYMM(bill_cycle)
ORDER BY (scope, bill_cycle, seq);

-- The bills job's reconciliation of the transaction bills against the itemised records of the same
-- month (sync_runs rows of job bills): fee_amount is Σ consume_amount of the month's transactions,
-- fee_drift = fee_amount − itemised_amount. Both 0 when the feed is not read (international site).
ALTER TABLE {{.DB}}.sync_runs {{.OnCluster}} ADD COLUMN IF NOT EXISTS fee_amount Decimal(38, 8) DEFAULT 0;

ALTER TABLE {{.DB}}.sync_runs {{.OnCluster}} ADD COLUMN IF NOT EXISTS fee_drift Decimal(38, 8) DEFAULT 0;
