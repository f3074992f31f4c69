-- Monthly sums (ShowCustomerMonthlySum). Replaced per (scope, bill_cycle)
-- partition together with cost_records.
CREATE TABLE IF NOT EXISTS {{.DB}}.bill_summaries {{.OnCluster}} (
    scope                       String,
    bill_cycle                  Date,
    customer_id                 String,
    account_name                String,
    service_type_code           String,
    service_type_name           String,
    resource_type_code          String,
    resource_type_name          String,
    charging_mode               Int32,
    bill_type                   Int32,
    official_amount             Decimal(38, 8),
    official_discount_amount    Decimal(38, 8),
    truncated_amount            Decimal(38, 8),
    consume_amount              Decimal(38, 8),
    cash_amount                 Decimal(38, 8),
    credit_amount               Decimal(38, 8),
    coupon_amount               Decimal(38, 8),
    flexipurchase_coupon_amount Decimal(38, 8),
    stored_card_amount          Decimal(38, 8),
    debt_amount                 Decimal(38, 8),
    writeoff_amount             Decimal(38, 8),
    currency                    String
) ENGINE = {{engine "bill_summaries" "MergeTree"}}
PARTITION BY (scope, toYYYYMM(bill_cycle))
ORDER BY (scope, bill_cycle, customer_id, service_type_code, resource_type_code, charging_mode, bill_type)
SETTINGS old_parts_lifetime = 1;
