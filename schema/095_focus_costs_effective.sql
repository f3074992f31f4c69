-- focus_costs redefined (issue 15): FOCUS 1.2 columns plus the 1.3 ServiceProviderName and
-- HostProviderName, EffectiveCost from Huawei's amortisation (amortized_costs), commitment
-- discount columns for reserved instances and the pay-per-use usage they cover, and ChargeClass = 'Correction'. docs/focus.md has the
-- mapping table and the reasoning behind each rule; every rule is written once, in the outer
-- SELECT, over the rows of two sources:
--   kind 0: every itemised record of cost_records. A prepaid purchase whose amortised shares are
--           stored (a spread detail of amortized_costs with the same scope, customer_id,
--           bill_cycle, bill_type, order_id and resource_id) has EffectiveCost 0; every other
--           record keeps EffectiveCost = BilledCost.
--   kind 1: one row per spread detail of amortized_costs (a purchase's share of one shared
--           month): BilledCost 0, EffectiveCost = current_month_amortized_amount.
-- A detail is "spread" when it carries an order_id and is not wholly in its own month (past or
-- future amounts, or a shared month other than its bill month); own-month details duplicate the
-- itemised records and are not shown. x_EffectiveCostSource says where each EffectiveCost comes
-- from, including the fallbacks (no amortised data for the month, amortisation not yet published).
--
-- Marketplace (issue 16): a row whose transaction the transaction bills (fee_records, 092) list as
-- a KooGallery one (provider_type 2) has ServiceProviderName = PublisherName = 'KooGallery seller'
-- (the API does not name the seller); InvoiceIssuerName and ProviderName stay 'Huawei Cloud' and
-- HostProviderName keeps its rule. The transaction is (scope, customer_id, bill month, trade_id) for an itemised
-- row and (scope, customer_id, purchase's bill month, order_id) for an amortised share (a
-- prepaid purchase's order_id is its trade_id). Months whose transaction bills are not stored
-- (international site) show 'Huawei Cloud'.
--
-- The file is numbered after 092 (fee_records) because the view reads it; 091 was never released.
--
-- ClickHouse 18.16 allows one JOIN per SELECT: kind 0 nests cost_records ⋈ the amortised months'
-- last sync (amortized_manifests) ⋈ the spread purchases; kind 1 is amortized_costs ⋈ the account
-- names; the outer SELECT joins both kinds to the KooGallery transactions. LEFT JOINs leave
-- defaults (0, ''), not NULLs, on both engines. Periods are half-open UTC
-- instants, as in 090. schema.Apply runs CREATE OR REPLACE VIEW as drop-and-create on 18.16,
-- which does not parse it (a view holds no data).
CREATE OR REPLACE VIEW {{.DB}}.focus_costs {{.OnCluster}} AS
SELECT
    amount AS BilledCost,
    multiIf(kind = 1, effective, spread = 1, toDecimal128(0, 8), amount) AS EffectiveCost,
    official_amount AS ListCost,
    official_amount - discount_amount AS ContractedCost,
    customer_id AS BillingAccountId,
    account_name AS BillingAccountName,
    'Huawei Cloud Account' AS BillingAccountType,
    currency AS BillingCurrency,
    toTimeZone(toDateTime(bill_cycle, 'Asia/Shanghai'), 'UTC') AS BillingPeriodStart,
    toTimeZone(toDateTime(addMonths(bill_cycle, 1), 'Asia/Shanghai'), 'UTC') AS BillingPeriodEnd,
    charge_start AS ChargePeriodStart,
    charge_end AS ChargePeriodEnd,
    multiIf(
        kind = 1, 'Usage',
        bill_type IN (5, 12, 23), 'Usage',
        bill_type IN (1, 2, 3, 8, 13, 14, 18, 103), 'Purchase',
        bill_type IN (4, 20, 24), 'Credit',
        bill_type IN (9, 16, 25), 'Adjustment',
        charge_mode = '3', 'Usage',
        'Purchase') AS ChargeCategory,
    multiIf(ChargeCategory IN ('Credit', 'Adjustment') AND toUnixTimestamp(trade_time) > 0
           AND trade_time >= toTimeZone(toDateTime(addDays(addMonths(bill_cycle, 1), 2), 'Asia/Shanghai'), 'UTC') + 36000,
       toNullable('Correction'), CAST(NULL AS Nullable(String))) AS ChargeClass,
    concat(if(kind = 1, 'Amortized share: ', ''),
           if(product_spec_desc != '',
              concat(if(product_name != '', product_name, resource_type_name), ' (', product_spec_desc, ')'),
              if(product_name != '', product_name, resource_type_name))) AS ChargeDescription,
    multiIf(
        kind = 1, 'Recurring',
        ChargeCategory = 'Usage', 'Usage-Based',
        bill_type IN (2, 8, 14, 18, 103), 'Recurring',
        'One-Time') AS ChargeFrequency,
    multiIf(
        charge_mode IN ('10', '11') OR covered_ri_id != '', 'Committed',
        'Standard') AS PricingCategory,
    usage AS PricingQuantity,
    usage_unit AS PricingUnit,
    currency AS PricingCurrency,
    -- A reserved instance's own rows (charge_mode 10), and the pay-per-use usage it covered
    -- (covered_ri_id: ri_usage > 0 and the RI's ID in sub_resource_id, 094).
    multiIf(charge_mode = '10' AND resource_id != '', toNullable(resource_id),
            covered_ri_id != '', toNullable(covered_ri_id), CAST(NULL AS Nullable(String))) AS CommitmentDiscountId,
    multiIf(charge_mode = '10' AND resource_id != '', toNullable(resource_name),
            covered_ri_id != '', toNullable(covered_ri_name), CAST(NULL AS Nullable(String))) AS CommitmentDiscountName,
    multiIf(CommitmentDiscountId IS NOT NULL, toNullable('Reserved Instance'), CAST(NULL AS Nullable(String))) AS CommitmentDiscountType,
    multiIf(CommitmentDiscountId IS NOT NULL, toNullable('Usage'), CAST(NULL AS Nullable(String))) AS CommitmentDiscountCategory,
    multiIf(
        CommitmentDiscountId IS NULL OR ChargeCategory != 'Usage', CAST(NULL AS Nullable(String)),
        kind = 0 OR ri_usage > 0, toNullable('Used'),
        toNullable('Unused')) AS CommitmentDiscountStatus,
    -- An RI commits to instance-hours: its unit is Hour on every row (the API's hour unit is
    -- spelled by the measure-unit look-up, e.g. "h").
    multiIf(
        CommitmentDiscountId IS NULL, CAST(NULL AS Nullable(Decimal(38, 8))),
        ChargeCategory = 'Purchase' AND spread = 1, toNullable(x_TermHours),
        ChargeCategory = 'Usage' AND covered_ri_id != '', toNullable(ri_usage),
        ChargeCategory = 'Usage' AND kind = 0, toNullable(usage),
        ChargeCategory = 'Usage' AND ifNull(CommitmentDiscountStatus, '') = 'Used', toNullable(ri_usage),
        ChargeCategory = 'Usage', toNullable(x_TermHoursInPeriod),
        CAST(NULL AS Nullable(Decimal(38, 8)))) AS CommitmentDiscountQuantity,
    multiIf(
        CommitmentDiscountQuantity IS NULL, CAST(NULL AS Nullable(String)),
        ChargeCategory = 'Usage' AND covered_ri_id = '' AND kind = 0, toNullable(usage_unit),
        ChargeCategory = 'Usage' AND ifNull(CommitmentDiscountStatus, '') = 'Used'
            AND lower(ri_usage_unit) NOT IN ('h', 'hour', 'hours', '小时'), toNullable(ri_usage_unit),
        toNullable('Hour')) AS CommitmentDiscountUnit,
    multiIf(
        ChargeCategory != 'Usage' OR ifNull(CommitmentDiscountStatus, '') = 'Unused', CAST(NULL AS Nullable(Decimal(38, 8))),
        kind = 0, toNullable(usage),
        ifNull(CommitmentDiscountStatus, '') = 'Used', toNullable(ri_usage),
        toNullable(x_TermHoursInPeriod)) AS ConsumedQuantity,
    multiIf(
        ConsumedQuantity IS NULL, CAST(NULL AS Nullable(String)),
        kind = 0, toNullable(usage_unit),
        ifNull(CommitmentDiscountStatus, '') = 'Used', toNullable(ri_usage_unit),
        toNullable('Hour')) AS ConsumedUnit,
    -- One place for the provider names (docs/focus.md, "Providers"): a KooGallery purchase is
    -- provided (1.3) and published (1.2) by its marketplace seller, made available (1.2
    -- ProviderName), hosted and invoiced by Huawei Cloud.
    if(marketplace = 1, 'KooGallery seller', 'Huawei Cloud') AS ServiceProviderName,
    if(service_type_code = 'hws.service.type.support', 'Not Applicable', 'Huawei Cloud') AS HostProviderName,
    'Huawei Cloud' AS InvoiceIssuerName,
    'Huawei Cloud' AS ProviderName,
    ServiceProviderName AS PublisherName,
    multiIf(
        service_type_code IN ('hws.service.type.ec2', 'hws.service.type.bms', 'hws.service.type.cce', 'hws.service.type.cci',
                              'hws.service.type.functiongraph', 'hws.service.type.as', 'hws.service.type.ims', 'hws.service.type.dec'),
        'Compute',
        service_type_code IN ('hws.service.type.ebs', 'hws.service.type.obs', 'hws.service.type.sfs', 'hws.service.type.csbs',
                              'hws.service.type.vbs', 'hws.service.type.cbr', 'hws.service.type.sfsturbo', 'hws.service.type.dss'),
        'Storage',
        service_type_code IN ('hws.service.type.rds', 'hws.service.type.dds', 'hws.service.type.gaussdb', 'hws.service.type.gaussdbformysql',
                              'hws.service.type.dcs', 'hws.service.type.nosql', 'hws.service.type.drs', 'hws.service.type.taurus'),
        'Databases',
        service_type_code IN ('hws.service.type.vpc', 'hws.service.type.eip', 'hws.service.type.elb', 'hws.service.type.cdn',
                              'hws.service.type.dns', 'hws.service.type.nat', 'hws.service.type.vpn', 'hws.service.type.dc',
                              'hws.service.type.cc', 'hws.service.type.bandwidth', 'hws.service.type.er'),
        'Networking',
        service_type_code IN ('hws.service.type.modelarts', 'hws.service.type.ocr', 'hws.service.type.nlp', 'hws.service.type.pangu'),
        'AI and Machine Learning',
        service_type_code IN ('hws.service.type.dli', 'hws.service.type.dws', 'hws.service.type.mrs', 'hws.service.type.css',
                              'hws.service.type.dis', 'hws.service.type.dgc'),
        'Analytics',
        service_type_code IN ('hws.service.type.waf', 'hws.service.type.hss', 'hws.service.type.kms', 'hws.service.type.antiddos',
                              'hws.service.type.ccm', 'hws.service.type.dbss', 'hws.service.type.cfw'),
        'Security',
        service_type_code IN ('hws.service.type.lts', 'hws.service.type.aom', 'hws.service.type.ces', 'hws.service.type.cts',
                              'hws.service.type.support'),
        'Management and Governance',
        service_type_code IN ('hws.service.type.dms', 'hws.service.type.kafka', 'hws.service.type.rabbitmq', 'hws.service.type.apig',
                              'hws.service.type.roma', 'hws.service.type.smn'),
        'Integration',
        'Other') AS ServiceCategory,
    service_type_name AS ServiceName,
    if(resource_id != '', toNullable(resource_id), CAST(NULL AS Nullable(String))) AS ResourceId,
    if(resource_name != '', toNullable(resource_name), CAST(NULL AS Nullable(String))) AS ResourceName,
    if(resource_type_name != '', toNullable(resource_type_name), CAST(NULL AS Nullable(String))) AS ResourceType,
    if(region_code != '', toNullable(region_code), CAST(NULL AS Nullable(String))) AS RegionId,
    if(region_name != '', toNullable(region_name), CAST(NULL AS Nullable(String))) AS RegionName,
    if(enterprise_project_id != '', toNullable(enterprise_project_id), CAST(NULL AS Nullable(String))) AS SubAccountId,
    if(enterprise_project_name != '', toNullable(enterprise_project_name), CAST(NULL AS Nullable(String))) AS SubAccountName,
    'Enterprise Project' AS SubAccountType,
    if(sku_code != '', toNullable(sku_code), CAST(NULL AS Nullable(String))) AS SkuId,
    CAST(NULL AS Nullable(String)) AS InvoiceId,
    scope AS x_Scope,
    record_id AS x_RecordId,
    bill_type AS x_BillType,
    charge_mode AS x_ChargeMode,
    discount_amount AS x_DiscountAmount,
    resource_tags AS x_ResourceTags,
    trade_id AS x_TradeId,
    order_id AS x_OrderId,
    multiIf(
        kind = 1, 'amortized share',
        spread = 1, 'purchase amortized',
        ChargeCategory != 'Purchase' OR order_id = '', 'billed',
        toUnixTimestamp(synced_at) = 0, 'billed: no amortized data for the month',
        toUnixTimestamp(trade_time) + 259200 > toUnixTimestamp(synced_at), 'billed: amortization not yet published',
        'billed: not spread') AS x_EffectiveCostSource,
    multiIf(kind = 1, toNullable(shared_bill_cycle), CAST(NULL AS Nullable(Date))) AS x_PurchaseBillingMonth,
    -- Hours of the prepaid term inside the billing period (kind 1), and of the whole term.
    toDecimal128(greatest(toInt64(toUnixTimestamp(least(term_end, BillingPeriodEnd)))
                          - toInt64(toUnixTimestamp(greatest(term_start, BillingPeriodStart))), 0), 8) / 3600 AS x_TermHoursInPeriod,
    toDecimal128(greatest(toInt64(toUnixTimestamp(term_end)) - toInt64(toUnixTimestamp(term_start)), 0), 8) / 3600 AS x_TermHours
FROM
(
    SELECT
        toUInt8(0) AS kind, scope, record_id, bill_cycle, bill_cycle AS shared_bill_cycle,
        toTimeZone(toDateTime(bill_date, 'Asia/Shanghai'), 'UTC') AS charge_start,
        toTimeZone(toDateTime(addDays(bill_date, 1), 'Asia/Shanghai'), 'UTC') AS charge_end,
        bill_type, customer_id, account_name, region_code, region_name, service_type_code, service_type_name,
        resource_type_name, resource_id, resource_name, resource_tags, product_name, product_spec_desc, sku_code,
        enterprise_project_id, enterprise_project_name, charge_mode, trade_id, order_id, trade_time,
        usage, usage_unit, official_amount, discount_amount, amount, amount AS effective, currency,
        a_spread AS spread, synced_at, a_term_start AS term_start, a_term_end AS term_end,
        ri_usage, ri_usage_unit, trade_id AS fee_trade_id,
        if(ri_usage > 0 AND charge_mode != '10', sub_resource_id, '') AS covered_ri_id,
        if(ri_usage > 0 AND charge_mode != '10', sub_resource_name, '') AS covered_ri_name
    FROM
    (
        SELECT scope, record_id, bill_cycle, bill_date, bill_type, customer_id, account_name, region_code, region_name,
               service_type_code, service_type_name, resource_type_name, resource_id, resource_name, resource_tags,
               product_name, product_spec_desc, sku_code, enterprise_project_id, enterprise_project_name, charge_mode,
               trade_id, order_id, trade_time, usage, usage_unit, official_amount, discount_amount, amount, currency, synced_at,
               ri_usage, ri_usage_unit, sub_resource_id, sub_resource_name
        FROM {{.DB}}.cost_records
        ANY LEFT JOIN
        (
            SELECT scope, shared_month AS bill_cycle, max(committed_at) AS synced_at
            FROM {{.DB}}.amortized_manifests
            GROUP BY scope, shared_month
        ) AS m USING (scope, bill_cycle)
    ) AS cm
    ANY LEFT JOIN
    (
        SELECT scope, customer_id, bill_cycle, bill_type, order_id, resource_id,
               toUInt8(1) AS a_spread, min(effective_time) AS a_term_start, max(expire_time) AS a_term_end
        FROM {{.DB}}.amortized_costs
        WHERE order_id != '' AND (past_months_amortized_amount != 0 OR future_months_amortized_amount != 0 OR shared_month != bill_cycle)
        GROUP BY scope, customer_id, bill_cycle, bill_type, order_id, resource_id
    ) AS a USING (scope, customer_id, bill_cycle, bill_type, order_id, resource_id)

    UNION ALL

    SELECT
        toUInt8(1) AS kind, scope,
        concat('amortized:', am_order_id, ':', resource_id, ':', toString(bill_type), ':', toString(am_shared_month)) AS record_id,
        am_shared_month AS bill_cycle, am_bill_cycle AS shared_bill_cycle,
        toTimeZone(toDateTime(am_shared_month, 'Asia/Shanghai'), 'UTC') AS charge_start,
        toTimeZone(toDateTime(addMonths(am_shared_month, 1), 'Asia/Shanghai'), 'UTC') AS charge_end,
        bill_type, customer_id, n_account_name AS account_name, region_code, region_name, service_type_code, service_type_name,
        resource_type_name, resource_id, resource_name, resource_tags, '' AS product_name, product_spec_desc, '' AS sku_code,
        enterprise_project_id, enterprise_project_name, toString(charging_mode) AS charge_mode, '' AS trade_id,
        am_order_id AS order_id, am_effective_time AS trade_time,
        am_usage AS usage, am_usage_unit AS usage_unit, toDecimal128(0, 8) AS official_amount, toDecimal128(0, 8) AS discount_amount,
        toDecimal128(0, 8) AS amount, current_month_amortized_amount AS effective, currency,
        toUInt8(0) AS spread, am_effective_time AS synced_at, am_effective_time AS term_start, am_expire_time AS term_end,
        ri_usage, ri_usage_unit, am_order_id AS fee_trade_id, '' AS covered_ri_id, '' AS covered_ri_name
    FROM
    (
        SELECT scope, customer_id, shared_month AS am_shared_month, bill_cycle AS am_bill_cycle, bill_type, region_code, region_name,
               service_type_code, service_type_name, resource_type_name, resource_id, resource_name, resource_tags, product_spec_desc,
               enterprise_project_id, enterprise_project_name, charging_mode, order_id AS am_order_id,
               effective_time AS am_effective_time, expire_time AS am_expire_time, usage AS am_usage, usage_unit AS am_usage_unit,
               current_month_amortized_amount, currency, ri_usage, ri_usage_unit
        FROM {{.DB}}.amortized_costs
        WHERE order_id != '' AND (past_months_amortized_amount != 0 OR future_months_amortized_amount != 0 OR shared_month != bill_cycle)
    ) AS am
    ANY LEFT JOIN
    (
        SELECT scope, customer_id, any(account_name) AS n_account_name
        FROM {{.DB}}.cost_records
        GROUP BY scope, customer_id
    ) AS n USING (scope, customer_id)
) AS u
ANY LEFT JOIN
(
    SELECT scope, customer_id, bill_cycle AS shared_bill_cycle, trade_id AS fee_trade_id, toUInt8(1) AS marketplace
    FROM {{.DB}}.fee_records
    WHERE provider_type = 2 AND trade_id != ''
    GROUP BY scope, customer_id, bill_cycle, trade_id
) AS f USING (scope, customer_id, shared_bill_cycle, fee_trade_id);
