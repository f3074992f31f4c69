-- Budgets (issue 16): users manage them with SQL in this table, so they live beside the costs they
-- are compared with (dashboards join them, every syncd process and replica sees the same ones, an
-- edit needs no restart, and the table keeps the history of every edit). A budget is one row per
-- version, keyed by name: edit it by inserting a new row with the same name (the latest updated_at
-- wins), switch it off by inserting a row with enabled = 0. docs/budgets.md explains the columns.
--
-- dimension selects the costs a budget covers (always within its scope, '' meaning every configured
-- account scope, and in its currency only: amounts are never converted):
--   scope               every cost of the scope(s)                        (value unused)
--   service             cost_records.service_type_code = value
--   enterprise_project  cost_records.enterprise_project_id = value
--   org_unit            the customer's org unit or any unit above it has org_id = value
--   tag                 the resource's tag tag_key has the value value (tag_keys/tag_values)
-- amount is the budget of every billing month (UTC+8), in currency (CNY or USD).
CREATE TABLE IF NOT EXISTS {{.DB}}.budgets {{.OnCluster}} (
    name       String,
    scope      String,
    dimension  String,
    tag_key    String,
    value      String,
    amount     Decimal(38, 8),
    currency   String,
    enabled    UInt8 DEFAULT 1,
    updated_at DateTime('UTC') DEFAULT now()
) ENGINE = {{engine "budgets" "MergeTree"}}
ORDER BY (name, updated_at);

-- The latest version of every budget that is enabled. Correct without FINAL.
CREATE VIEW IF NOT EXISTS {{.DB}}.budgets_latest {{.OnCluster}} AS
SELECT name, scope, dimension, tag_key, value, amount, currency, updated_at
FROM {{.DB}}.budgets
WHERE (name, updated_at) IN (
    SELECT name, max(updated_at)
    FROM {{.DB}}.budgets
    GROUP BY name
)
  AND enabled = 1
LIMIT 1 BY name;

-- The amount due per budget and bill date (UTC+8): every cost_records line that the budget covers
-- (see above), and the part of it that is a one-off purchase (charge mode 1 yearly/monthly or 10
-- reserved instance: new purchases, renewals, changes and their refunds), which the month-end
-- forecast treats apart from usage (docs/budgets.md). A cost line counts once per budget; a line can
-- count in several budgets. 18.16 allows one JOIN per SELECT, so the org units nest: the costs per
-- customer, ⋈ the customer's unit path (accounts ⋈ org_units), then × the budgets.
CREATE VIEW IF NOT EXISTS {{.DB}}.budget_costs {{.OnCluster}} AS
SELECT budget, bill_cycle, bill_date, currency, sum(line_amount) AS amount, sum(line_one_off) AS one_off_amount
FROM
(
    SELECT budget, bill_cycle, bill_date, currency, line_amount, line_one_off
    FROM
    (
        SELECT name AS budget, scope AS budget_scope, dimension, tag_key, value, currency AS budget_currency
        FROM {{.DB}}.budgets_latest
    ) AS b
    CROSS JOIN
    (
        SELECT scope, bill_cycle, bill_date, service_type_code, enterprise_project_id, tag_keys, tag_values, currency,
            id_path, line_amount, line_one_off
        FROM
        (
            SELECT scope, bill_cycle, bill_date, customer_id, service_type_code, enterprise_project_id, tag_keys, tag_values,
                currency, sum(amount) AS line_amount, sumIf(amount, charge_mode IN ('1', '10')) AS line_one_off
            FROM {{.DB}}.cost_records
            GROUP BY scope, bill_cycle, bill_date, customer_id, service_type_code, enterprise_project_id, tag_keys, tag_values, currency
        ) AS costs
        ANY LEFT JOIN
        (
            SELECT customer_id, argMax(id_path, length(id_path)) AS id_path
            FROM
            (
                SELECT customer_id, org_id AS unit_id, scope AS unit_scope
                FROM {{.DB}}.accounts
            ) AS a
            ALL INNER JOIN
            (
                SELECT org_id AS unit_id, scope AS unit_scope, id_path
                FROM {{.DB}}.org_units
            ) AS u USING (unit_scope, unit_id)
            GROUP BY customer_id
        ) AS units USING customer_id
    ) AS c
    WHERE currency = budget_currency
      AND (budget_scope = '' OR scope = budget_scope)
      AND multiIf(
          dimension = 'scope', 1,
          dimension = 'service', service_type_code = value,
          dimension = 'enterprise_project', enterprise_project_id = value,
          dimension = 'org_unit', has(splitByChar('/', id_path), value),
          dimension = 'tag', indexOf(tag_keys, tag_key) > 0 AND tag_values[indexOf(tag_keys, tag_key)] = value,
          0) = 1
)
GROUP BY budget, bill_cycle, bill_date, currency;
