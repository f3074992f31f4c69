-- Least-privilege ClickHouse users for syncd, for servers with SQL-driven access control
-- (ClickHouse 20.5 and later, with access_management enabled for the admin running this).
-- Replace the passwords. On older servers (18.16) define the same users in users.d XML, as
-- deploy/compose/clickhouse/users.d/syncd.xml does. docs/dashboards.md explains each grant.

-- The writer: migrations (database, tables, views), staging tables, inserts, and the atomic month
-- swap (ALTER TABLE ... REPLACE PARTITION ... FROM staging).
CREATE USER IF NOT EXISTS syncd IDENTIFIED WITH sha256_password BY 'REPLACE_ME';
GRANT CREATE DATABASE ON billing.* TO syncd;
GRANT CREATE TABLE, CREATE VIEW, DROP TABLE, DROP VIEW ON billing.* TO syncd;
GRANT SELECT, INSERT, ALTER ON billing.* TO syncd;
GRANT SHOW TABLES ON billing.* TO syncd;

-- Grafana: reads only. readonly = 2 still lets the plugin set per-query settings such as
-- max_execution_time; the user can neither write nor change the schema.
CREATE SETTINGS PROFILE IF NOT EXISTS syncd_grafana SETTINGS readonly = 2, max_execution_time = 60;
CREATE USER IF NOT EXISTS grafana IDENTIFIED WITH sha256_password BY 'REPLACE_ME' SETTINGS PROFILE 'syncd_grafana';
GRANT SELECT ON billing.* TO grafana;
