-- One row per committed amortised month (issue 15), like month_manifests for the bills: rows,
-- exact sums of current_month_amortized_amount and consume_amount, and the checksum of the natural
-- keys (sum modulo 2^64 of cityHash64 of each key) of the (scope, shared_month) the swap put in
-- place. The latest row per (scope, shared_month) by seq is the manifest; `syncd verify` compares
-- the stored month with it.
CREATE TABLE IF NOT EXISTS {{.DB}}.amortized_manifests {{.OnCluster}} (
    scope          String,
    shared_month   Date,
    seq            UInt64,
    committed_at   DateTime('UTC'),
    run_id         String,
    details        UInt64,
    current_amount Decimal(38, 8),
    consume_amount Decimal(38, 8),
    keys_checksum  UInt64
) ENGINE = {{engine "amortized_manifests" "MergeTree"}}
PARTITION BY toYYYYMM(shared_month)
ORDER BY (scope, shared_month, seq);
