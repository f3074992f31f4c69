-- The current enterprise tree. One scope is one partition, replaced as a
-- whole with ALTER TABLE ... REPLACE PARTITION.
CREATE TABLE IF NOT EXISTS {{.DB}}.org_units {{.OnCluster}} (
    scope       String,
    org_id      String,
    parent_id   String,
    relation_id String,
    name        String,
    path        String
) ENGINE = {{engine "org_units" "MergeTree"}}
PARTITION BY scope
ORDER BY (scope, org_id)
SETTINGS old_parts_lifetime = 1;

CREATE TABLE IF NOT EXISTS {{.DB}}.accounts {{.OnCluster}} (
    scope        String,
    customer_id  String,
    name         String,
    display_name String,
    org_id       String,
    org_name     String,
    status       Int32
) ENGINE = {{engine "accounts" "MergeTree"}}
PARTITION BY scope
ORDER BY (scope, customer_id)
SETTINGS old_parts_lifetime = 1;
