-- Tags by key (issue 11): cost_records.resource_tags is Huawei's tag text ("env=dev;team=platform").
-- tag_keys and tag_values hold the same pairs as parallel arrays (tag_values[i] is the value of
-- tag_keys[i]), so that "cost by the value of tag team" is one plain query on every engine:
--   SELECT tag_values[indexOf(tag_keys, 'team')] AS team, sum(amount) FROM cost_records
--   WHERE has(tag_keys, 'team') GROUP BY team
-- They are DEFAULT columns computed from resource_tags by ClickHouse at insert (the sink inserts
-- with an explicit column list, and staging tables are created AS cost_records, so they carry the
-- same expression), and on read for parts written before this migration. Pairs are separated by
-- ";", key and value by the first "="; a pair without "=" is a key with an empty value. Parallel
-- arrays work on ClickHouse 18.16; a Map column would need 21.1 or later.
ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS tag_keys Array(String)
    DEFAULT arrayMap(t -> if(position(t, '=') > 0, substring(t, 1, position(t, '=') - 1), t),
                     arrayFilter(t -> t != '', splitByChar(';', resource_tags)));

ALTER TABLE {{.DB}}.cost_records {{.OnCluster}} ADD COLUMN IF NOT EXISTS tag_values Array(String)
    DEFAULT arrayMap(t -> if(position(t, '=') > 0, substring(t, position(t, '=') + 1, length(t)), ''),
                     arrayFilter(t -> t != '', splitByChar(';', resource_tags)));
