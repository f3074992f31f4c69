-- Package deduction history (ListFreeResourcesUsageRecords, reference §9.3; issue 16): one row per
-- deduction from a resource package item, with the quota before it (available_amount), after it
-- (remaining_amount) and the deducted quantity (used_amount), exact as the API's strings, in the unit
-- measure_id / measure_unit names. deduct_time is UTC; deduct_month is the civil first day of its
-- UTC+8 month (the month a query for those days returns it in). effective_time and expire_time are
-- the usage period the deduction covers.
-- One (scope, deduct_month) is exactly one partition, replaced whole by the deductions job with the
-- month protocol of the bills (stage, validate row count and unique natural keys, REPLACE
-- PARTITION; DROP PARTITION when empty), so a re-run never duplicates, loses or half-replaces a row
-- and plain SELECTs are exact without FINAL. Natural key within a month: free_resource_id,
-- deduct_time, resource_id, available_amount.
-- Remaining quota of every item after its latest deduction:
--   SELECT free_resource_id, argMax(remaining_amount, deduct_time) FROM package_deductions GROUP BY free_resource_id
CREATE TABLE IF NOT EXISTS {{.DB}}.package_deductions {{.OnCluster}} (
    scope              String,
    deduct_month       Date,
    deduct_time        DateTime('UTC'),
    customer_id        String,
    free_resource_id   String,
    resource_id        String,
    resource_type_code String,
    resource_type_name String,
    resource_tag       String,
    product_id         String,
    product_name       String,
    usage_type_code    String,
    available_amount   Decimal(38, 8),
    remaining_amount   Decimal(38, 8),
    used_amount        Decimal(38, 8),
    measure_id         Int32,
    measure_unit       String,
    effective_time     DateTime('UTC'),
    expire_time        DateTime('UTC')
) ENGINE = {{engine "package_deductions" "MergeTree"}}
PARTITION BY (scope, toYYYYMM(deduct_month))
ORDER BY (scope, deduct_month, free_resource_id, deduct_time, resource_id)
SETTINGS old_parts_lifetime = 1;

-- One row per committed deduction month, like amortized_manifests: rows, exact sums of used_amount
-- and remaining_amount, and the checksum of the natural keys of the (scope, deduct_month) the swap
-- put in place. The latest row by seq is the manifest.
CREATE TABLE IF NOT EXISTS {{.DB}}.package_deduction_manifests {{.OnCluster}} (
    scope            String,
    deduct_month     Date,
    seq              UInt64,
    committed_at     DateTime('UTC'),
    run_id           String,
    deductions       UInt64,
    used_amount      Decimal(38, 8),
    remaining_amount Decimal(38, 8),
    keys_checksum    UInt64
) ENGINE = {{engine "package_deduction_manifests" "MergeTree"}}
PARTITION BY toYYYYMM(deduct_month)
ORDER BY (scope, deduct_month, seq);
