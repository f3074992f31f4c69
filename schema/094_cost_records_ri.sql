-- Reserved-instance coverage of itemised records (issue 15). A pay-per-use record whose usage a
-- reserved instance covered carries the covered quantity (ri_usage, ri_usage_measure_id) and the
-- RI's ID in sub_resource_id (reference §7.2, ResFeeRecordV2). sub_resource_id/name are also the
-- component of a "whole-machine" bundle, so a record is RI-covered only when ri_usage > 0 and
-- sub_resource_id is set (focus_costs, 095). DEFAULT columns: parts written before this
-- migration read as not covered until their month is synced again. schema.Apply runs ADD COLUMN
-- IF NOT EXISTS on 18.16 without IF NOT EXISTS and counts "already exists" as done.
ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS ri_usage Decimal(38, 8) DEFAULT 0;

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS ri_usage_unit String DEFAULT '';

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS sub_resource_id String DEFAULT '';

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS sub_resource_name String DEFAULT '';
