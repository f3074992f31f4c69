-- Member funds of an enterprise master (issue 16; reference §10.3, §10.4; China site only): what the
-- master can still allocate to its members (role 'master', avail_transfer_amount) and what it can
-- take back from each member (role 'member', avail_retrieve_amount), for the cash (debit) account and
-- every credit ledger, one row per element per observation. amount and credit_amount are the credit
-- ledger's balance and credit line (0 for debit); expire_time is NULL for a ledger that never expires.
-- As in balances, the sorting key includes observed_at, so a retried insert of the same observation
-- collapses on merge, and member_funds_latest is exact before any merge.
CREATE TABLE IF NOT EXISTS {{.DB}}.member_funds {{.OnCluster}} (
    scope         String,
    observed_at   DateTime('UTC'),
    customer_id   String,
    role          String,
    balance_type  String,
    ledger        Int32,
    available     Decimal(38, 8),
    amount        Decimal(38, 8),
    credit_amount Decimal(38, 8),
    currency      String,
    expire_time   Nullable(DateTime('UTC'))
) ENGINE = {{engine "member_funds" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(observed_at)
ORDER BY (scope, customer_id, balance_type, ledger, observed_at);

-- The latest observation of every (scope, customer_id). Correct without FINAL.
CREATE VIEW IF NOT EXISTS {{.DB}}.member_funds_latest {{.OnCluster}} AS
SELECT *
FROM {{.DB}}.member_funds
WHERE (scope, customer_id, observed_at) IN (
    SELECT scope, customer_id, max(observed_at)
    FROM {{.DB}}.member_funds
    GROUP BY scope, customer_id
)
LIMIT 1 BY scope, customer_id, balance_type, ledger;
