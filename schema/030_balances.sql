-- Balance snapshots, one row per account per observation. The sorting key
-- includes observed_at, so a retried insert of the same observation collapses
-- on merge, and balances_latest is exact before any merge (LIMIT 1 BY).
CREATE TABLE IF NOT EXISTS {{.DB}}.balances {{.OnCluster}} (
    scope             String,
    observed_at       DateTime('UTC'),
    customer_id       String,
    account_id        String,
    account_type      Int32,
    amount            Decimal(38, 8),
    credit_amount     Decimal(38, 8),
    designated_amount Decimal(38, 8),
    debt_amount       Decimal(38, 8),
    currency          String
) ENGINE = {{engine "balances" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(observed_at)
ORDER BY (scope, customer_id, account_id, observed_at);

-- The latest observation of every (scope, customer_id); accounts missing from
-- it are gone. Correct without FINAL.
CREATE VIEW IF NOT EXISTS {{.DB}}.balances_latest {{.OnCluster}} AS
SELECT *
FROM {{.DB}}.balances
WHERE (scope, customer_id, observed_at) IN (
    SELECT scope, customer_id, max(observed_at)
    FROM {{.DB}}.balances
    GROUP BY scope, customer_id
)
LIMIT 1 BY scope, customer_id, account_id;
