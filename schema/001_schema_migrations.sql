-- Bootstrap: the database and the table that records applied migrations.
-- Applied before every migration run; both statements are idempotent.
CREATE DATABASE IF NOT EXISTS {{.DB}} {{.OnCluster}};

CREATE TABLE IF NOT EXISTS {{.DB}}.schema_migrations {{.OnCluster}} (
    version    String,
    applied_at DateTime('UTC')
) ENGINE = {{engine "schema_migrations" "MergeTree"}}
ORDER BY version;
