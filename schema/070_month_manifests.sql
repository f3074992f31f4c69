-- One row per committed bill month: what the swap put in place, so that
-- `syncd verify` can compare what is stored now with it (rows, exact sums and
-- a checksum of the natural keys: the sum, modulo 2^64, of cityHash64 of each
-- key, so a duplicated, missing or changed key changes it). The latest row per
-- (scope, bill_cycle), by seq, is the manifest of the stored month.
CREATE TABLE IF NOT EXISTS {{.DB}}.month_manifests {{.OnCluster}} (
    scope                   String,
    bill_cycle              Date,
    seq                     UInt64,
    committed_at            DateTime('UTC'),
    run_id                  String,
    cost_records            UInt64,
    cost_amount             Decimal(38, 8),
    cost_official_amount    Decimal(38, 8),
    cost_keys_checksum      UInt64,
    bill_summaries          UInt64,
    summary_amount          Decimal(38, 8),
    summary_official_amount Decimal(38, 8),
    summary_keys_checksum   UInt64
) ENGINE = {{engine "month_manifests" "MergeTree"}}
PARTITION BY toYYYYMM(bill_cycle)
ORDER BY (scope, bill_cycle, seq);
