-- Itemised resource consumption records (ListCustomerselfResourceRecords,
-- statistic_type=3). One (scope, bill_cycle) is exactly one partition, which
-- the sink replaces as a whole with ALTER TABLE ... REPLACE PARTITION.
-- old_parts_lifetime = 1: replaced parts leave the disk within seconds, because
-- a plain MergeTree resurrects them if the engine dies before they are gone
-- (ClickHouse #107605; see Sink.DuplicatedMonths). Every table swapped by
-- partition (cost_records, bill_summaries, org_units, accounts) sets it.
CREATE TABLE IF NOT EXISTS {{.DB}}.cost_records {{.OnCluster}} (
    scope                       String,
    record_id                   String,
    bill_cycle                  Date,
    bill_date                   Date,
    bill_type                   Int32,
    customer_id                 String,
    account_name                String,
    region_code                 String,
    region_name                 String,
    service_type_code           String,
    service_type_name           String,
    resource_type_code          String,
    resource_type_name          String,
    resource_id                 String,
    resource_name               String,
    resource_tags               String,
    product_id                  String,
    product_name                String,
    product_spec_desc           String,
    sku_code                    String,
    enterprise_project_id       String,
    enterprise_project_name     String,
    charge_mode                 String,
    period_type                 String,
    trade_id                    String,
    order_id                    String,
    trade_time                  DateTime('UTC'),
    effective_time              DateTime('UTC'),
    expire_time                 DateTime('UTC'),
    usage_type                  String,
    usage                       Decimal(38, 8),
    usage_unit                  String,
    unit_price                  Decimal(38, 8),
    official_amount             Decimal(38, 8),
    discount_amount             Decimal(38, 8),
    amount                      Decimal(38, 8),
    cash_amount                 Decimal(38, 8),
    credit_amount               Decimal(38, 8),
    coupon_amount               Decimal(38, 8),
    flexipurchase_coupon_amount Decimal(38, 8),
    stored_card_amount          Decimal(38, 8),
    bonus_amount                Decimal(38, 8),
    debt_amount                 Decimal(38, 8),
    adjustment_amount           Decimal(38, 8),
    currency                    String
) ENGINE = {{engine "cost_records" "MergeTree"}}
PARTITION BY (scope, toYYYYMM(bill_cycle))
ORDER BY (scope, bill_cycle, customer_id, service_type_code, record_id)
SETTINGS old_parts_lifetime = 1;
