-- The cost of each UTC+8 day on the amortised basis where syncd holds the month's amortisation,
-- on the billed basis elsewhere (issue 15; docs/dashboards.md, "Daily cost: billed or amortised").
-- Daily burn, runway and the month-end forecast read it, so a yearly renewal no longer shows its
-- whole price on the day it is bought.
--
-- A day of month M (bill_cycle) is on the amortised basis when amortized_manifests holds
-- (scope, M), i.e. the amortized job committed the shared month M; its cost is then
--   * every cost_records line of the day except prepaid purchases (bill types 1 new, 2 renewal,
--     8 auto-renewal), as billed: usage, savings-plan deductions, refunds, adjustments, and
--   * the amortised share in M of every prepaid purchase (amortized_costs rows of shared_month M
--     with bill type 1, 2 or 8: current_month_amortized_amount), spread evenly over M's days.
--     Day i (0-based) of n gets trunc(T*(i+1)/n) - trunc(T*i/n) at 8 decimals, so the days add up
--     to T exactly.
-- Otherwise the day is every cost_records line of the day, as billed (basis 'billed').
-- Huawei amortises per month only and 24-48 h late: a purchase of the last day or two is in
-- neither part until the next amortised sync, and a purchase counts from the first day of its
-- month (the API gives no finer start). Over a whole month the amortised days add up to the
-- month's amortised cost when amortized_costs' own-month lines match the bills.
-- 18.16 allows one JOIN per SELECT and no predicate push-down into the UNION: filter on
-- bill_cycle or bill_date when reading.
CREATE VIEW IF NOT EXISTS {{.DB}}.daily_costs {{.OnCluster}} AS
SELECT scope, customer_id, bill_cycle, bill_date, currency, amount, if(amortized = 1, 'amortized', 'billed') AS basis
FROM
(
    SELECT scope, customer_id, bill_cycle, bill_date, currency, amount, bill_type
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
    'amortized' AS basis
FROM
(
    SELECT scope, customer_id, shared_month, currency, current_month_amortized_amount,
        toDayOfMonth(subtractDays(addMonths(shared_month, 1), 1)) AS days
    FROM {{.DB}}.amortized_costs
    WHERE bill_type IN (1, 2, 8)
)
ARRAY JOIN range(days) AS day;
