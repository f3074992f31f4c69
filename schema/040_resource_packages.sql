-- Resource package item snapshots, one row per package item per observation.
CREATE TABLE IF NOT EXISTS {{.DB}}.resource_packages {{.OnCluster}} (
    scope                 String,
    observed_at           DateTime('UTC'),
    customer_id           String,
    order_instance_id     String,
    order_id              String,
    free_resource_id      String,
    product_id            String,
    product_name          String,
    service_type_code     String,
    region_code           String,
    enterprise_project_id String,
    usage_type            String,
    status                Int32,
    effective_time        DateTime('UTC'),
    expire_time           DateTime('UTC'),
    original_amount       Decimal(38, 8),
    remaining_amount      Decimal(38, 8),
    measure_unit          String
) ENGINE = {{engine "resource_packages" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(observed_at)
ORDER BY (scope, customer_id, order_instance_id, free_resource_id, observed_at);

-- The latest observation of every (scope, customer_id); correct without FINAL.
CREATE VIEW IF NOT EXISTS {{.DB}}.resource_packages_latest {{.OnCluster}} AS
SELECT *
FROM {{.DB}}.resource_packages
WHERE (scope, customer_id, observed_at) IN (
    SELECT scope, customer_id, max(observed_at)
    FROM {{.DB}}.resource_packages
    GROUP BY scope, customer_id
)
LIMIT 1 BY scope, customer_id, order_instance_id, free_resource_id;
