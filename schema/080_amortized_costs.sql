-- Amortised monthly cost (ListCustomerBillsMonthlyBreakDown, Cost Center; issue 15). One row per
-- detail: the share of one charge of bill_cycle that falls in shared_month. A prepaid purchase
-- (yearly/monthly, reserved instance) appears in every month it is spread over, with what was
-- amortised before (past_months_amortized_amount), in this month (current_month_amortized_amount,
-- split by payment in the amortized_* columns) and what is left for later months
-- (future_months_amortized_amount); consume_amount = past + current + future is the charge's whole
-- amount due. Everything else is amortised into its own month. The amortised cost of a month is
-- sum(current_month_amortized_amount) over its shared_month:
--   SELECT shared_month, sum(current_month_amortized_amount) FROM amortized_costs GROUP BY shared_month
-- One (scope, shared_month) is exactly one partition, replaced whole like a bill month
-- (month protocol, manifests in amortized_manifests). cost_tags and cost_units hold Huawei's
-- effective_tag_pairs and cost_unit_pairs as "key=value" pairs separated by ";" (the text form of
-- resource_tags), and cost_tag_keys/cost_tag_values the same tags as parallel arrays.
CREATE TABLE IF NOT EXISTS {{.DB}}.amortized_costs {{.OnCluster}} (
    scope                                 String,
    shared_month                          Date,
    bill_cycle                            Date,
    bill_type                             Int32,
    customer_id                           String,
    region_code                           String,
    region_name                           String,
    service_type_code                     String,
    service_type_name                     String,
    resource_type_code                    String,
    resource_type_name                    String,
    resource_id                           String,
    resource_name                         String,
    resource_tags                         String,
    product_spec_desc                     String,
    enterprise_project_id                 String,
    enterprise_project_name               String,
    charging_mode                         Int32,
    order_id                              String,
    period_type                           Int32,
    effective_time                        DateTime('UTC'),
    expire_time                           DateTime('UTC'),
    usage_type                            String,
    usage                                 Decimal(38, 8),
    usage_unit                            String,
    free_resource_usage                   Decimal(38, 8),
    free_resource_unit                    String,
    ri_usage                              Decimal(38, 8),
    ri_usage_unit                         String,
    consume_amount                        Decimal(38, 8),
    past_months_amortized_amount          Decimal(38, 8),
    current_month_amortized_amount        Decimal(38, 8),
    future_months_amortized_amount        Decimal(38, 8),
    amortized_cash_amount                 Decimal(38, 8),
    amortized_credit_amount               Decimal(38, 8),
    amortized_coupon_amount               Decimal(38, 8),
    amortized_flexipurchase_coupon_amount Decimal(38, 8),
    amortized_stored_value_card_amount    Decimal(38, 8),
    amortized_bonus_amount                Decimal(38, 8),
    currency                              String,
    sub_service_type_code                 String,
    sub_resource_type_code                String,
    sub_resource_id                       String,
    sub_resource_name                     String,
    cost_tags                             String,
    cost_units                            String,
    cost_tag_keys                         Array(String) DEFAULT arrayMap(t -> if(position(t, '=') > 0, substring(t, 1, position(t, '=') - 1), t), arrayFilter(t -> t != '', splitByChar(';', cost_tags))),
    cost_tag_values                       Array(String) DEFAULT arrayMap(t -> if(position(t, '=') > 0, substring(t, position(t, '=') + 1, length(t)), ''), arrayFilter(t -> t != '', splitByChar(';', cost_tags)))
) ENGINE = {{engine "amortized_costs" "MergeTree"}}
PARTITION BY (scope, toYYYYMM(shared_month))
ORDER BY (scope, shared_month, customer_id, service_type_code, resource_id)
SETTINGS old_parts_lifetime = 1;
