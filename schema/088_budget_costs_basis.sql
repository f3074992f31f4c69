-- Budgets and the anomaly rule on amortised cost (issue 16): the rule "a day is amortised where syncd
-- holds the month's amortisation, billed elsewhere" stays in daily_costs (087), and the budget
-- matching rule stays in budget_costs (085); both are redefined here so that budget_costs reads
-- daily_costs instead of cost_records. daily_costs gains the dimensions budgets match on (service,
-- enterprise project, tags; customer_id was already there for org units) and one_off_amount, the part
-- of a day that is one-off prepaid charges as billed (charge mode 1 yearly/monthly or 10 reserved
-- instance): on the billed basis every such line (purchases, renewals, changes, refunds), on the
-- amortised basis only the lines that are not spread (changes and refunds: purchases are replaced by
-- their even daily share, which counts as usage). Amortised shares take the amortisation's tags
-- (effective_tag_pairs, cost_tag_keys/cost_tag_values), which Huawei fills from the resource's tags.
-- Columns 1-7 keep 087's names and order, so readers of 087 are unchanged.
CREATE OR REPLACE VIEW {{.DB}}.daily_costs {{.OnCluster}} AS
SELECT scope, customer_id, bill_cycle, bill_date, currency, amount, if(amortized = 1, 'amortized', 'billed') AS basis,
    service_type_code, service_type_name, enterprise_project_id, tag_keys, tag_values,
    amount * (charge_mode IN ('1', '10')) AS one_off_amount
FROM
(
    SELECT scope, customer_id, bill_cycle, bill_date, currency, amount, bill_type, charge_mode,
        service_type_code, service_type_name, enterprise_project_id, tag_keys, tag_values
    FROM {{.DB}}.cost_records
) AS billed
ANY LEFT JOIN
(
    SELECT DISTINCT scope, shared_month AS bill_cycle, toUInt8(1) AS amortized
    FROM {{.DB}}.amortized_manifests
) AS months USING (scope, bill_cycle)
WHERE amortized = 0 OR bill_type NOT IN (1, 2, 8)
UNION ALL
SELECT scope, customer_id, shared_month AS bill_cycle, addDays(shared_month, day) AS bill_date, currency,
    current_month_amortized_amount * (day + 1) / days - current_month_amortized_amount * day / days AS amount,
    'amortized' AS basis,
    service_type_code, service_type_name, enterprise_project_id, cost_tag_keys AS tag_keys, cost_tag_values AS tag_values,
    current_month_amortized_amount * 0 AS one_off_amount
FROM
(
    SELECT scope, customer_id, shared_month, currency, current_month_amortized_amount,
        service_type_code, service_type_name, enterprise_project_id, cost_tag_keys, cost_tag_values,
        toDayOfMonth(subtractDays(addMonths(shared_month, 1), 1)) AS days
    FROM {{.DB}}.amortized_costs
    WHERE bill_type IN (1, 2, 8)
)
ARRAY JOIN range(days) AS day;

-- budget_costs as in 085 (the same budget matching rule, one JOIN per SELECT for 18.16), over
-- daily_costs: amount and one_off_amount are on each day's basis, and basis says which
-- ('amortized', 'billed', or 'mixed' when the budget's costs of that day come from scopes on
-- different bases).
CREATE OR REPLACE VIEW {{.DB}}.budget_costs {{.OnCluster}} AS
SELECT budget, bill_cycle, bill_date, currency, sum(line_amount) AS amount, sum(line_one_off) AS one_off_amount,
    if(min(basis) = max(basis), min(basis), 'mixed') AS basis
FROM
(
    SELECT budget, bill_cycle, bill_date, currency, line_amount, line_one_off, basis
    FROM
    (
        SELECT name AS budget, scope AS budget_scope, dimension, tag_key, value, currency AS budget_currency
        FROM {{.DB}}.budgets_latest
    ) AS b
    CROSS JOIN
    (
        SELECT scope, bill_cycle, bill_date, service_type_code, enterprise_project_id, tag_keys, tag_values, currency,
            basis, id_path, line_amount, line_one_off
        FROM
        (
            SELECT scope, bill_cycle, bill_date, customer_id, service_type_code, enterprise_project_id, tag_keys, tag_values,
                currency, basis, sum(amount) AS line_amount, sum(one_off_amount) AS line_one_off
            FROM {{.DB}}.daily_costs
            GROUP BY scope, bill_cycle, bill_date, customer_id, service_type_code, enterprise_project_id, tag_keys, tag_values, currency, basis
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
