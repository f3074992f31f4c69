-- One row per job run and scope. bill_cycle is NULL for jobs that are not
-- about one bill month. reconciliation_drift = |itemised_amount - summary_amount|.
CREATE TABLE IF NOT EXISTS {{.DB}}.sync_runs {{.OnCluster}} (
    run_id               String,
    job                  String,
    scope                String,
    bill_cycle           Nullable(Date),
    started_at           DateTime('UTC'),
    finished_at          DateTime('UTC'),
    status               String,
    rows                 UInt64,
    api_calls            UInt64,
    error                String,
    itemised_amount      Decimal(38, 8),
    summary_amount       Decimal(38, 8),
    reconciliation_drift Decimal(38, 8),
    currency             String
) ENGINE = {{engine "sync_runs" "MergeTree"}}
PARTITION BY toYYYYMM(started_at)
ORDER BY (job, scope, started_at, run_id);
