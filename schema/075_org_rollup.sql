-- The org roll-up (issue 11): org_units.id_path lists the org IDs from the root down to the unit
-- (IDs never contain "/", names may), accounts.payer_scope names the configured scope whose balance
-- pays for the account's costs ("" when none does: a member that pays for itself), and
-- org_unit_costs adds every customer's cost to its own unit and to every ancestor of it.
--
-- ClickHouse 18.16 allows one JOIN per SELECT and ARRAY JOIN only before JOIN, so the view nests:
-- accounts ⋈ org_units (the account's unit and its id_path), ARRAY JOIN over the ancestors,
-- ⋈ org_units (the ancestor's name and path), then ⋈ the month's cost per customer (over every
-- scope the customer's bills are stored in: each customer's bills are stored once). scope is the
-- scope of the org tree. Summing org_unit_costs over direct = 1 (or over the root unit) gives the
-- month total of every customer that is in accounts; the org job puts every customer there once
-- (the master under the root unit).
ALTER TABLE {{.DB}}.org_units {{.OnCluster}} ADD COLUMN IF NOT EXISTS id_path String;

ALTER TABLE {{.DB}}.accounts {{.OnCluster}} ADD COLUMN IF NOT EXISTS payer_scope String;

CREATE VIEW IF NOT EXISTS {{.DB}}.org_unit_costs {{.OnCluster}} AS
SELECT
    scope,
    bill_cycle,
    org_id,
    org_name,
    org_path,
    direct,
    customer_id,
    currency,
    amount,
    official_amount
FROM
(
    SELECT bill_cycle, customer_id, currency, sum(amount) AS amount, sum(official_amount) AS official_amount
    FROM {{.DB}}.cost_records
    GROUP BY bill_cycle, customer_id, currency
) AS costs
ALL INNER JOIN
(
    SELECT scope, customer_id, org_id, direct, org_name, org_path
    FROM
    (
        SELECT scope, customer_id, ancestor_id AS org_id, toUInt8(ancestor_id = unit_id) AS direct
        FROM
        (
            SELECT scope, customer_id, unit_id, id_path
            FROM
            (
                SELECT scope, customer_id, org_id AS unit_id
                FROM {{.DB}}.accounts
            ) AS a
            ALL INNER JOIN
            (
                SELECT scope, org_id AS unit_id, id_path
                FROM {{.DB}}.org_units
            ) AS u USING (scope, unit_id)
        )
        ARRAY JOIN splitByChar('/', id_path) AS ancestor_id
    ) AS up
    ALL INNER JOIN
    (
        SELECT scope, org_id, name AS org_name, path AS org_path
        FROM {{.DB}}.org_units
    ) AS names USING (scope, org_id)
) AS units USING customer_id;
