package schema

import (
	"fmt"
	"maps"
	"slices"
)

// swapKeys are the partition and sorting keys of the tables whose
// partitions the sink replaces. They must match the SQL files (a unit test
// checks): REPLACE PARTITION only accepts a source with the same keys.
var swapKeys = map[string]string{
	"cost_records":       "PARTITION BY (scope, toYYYYMM(bill_cycle))\nORDER BY (scope, bill_cycle, customer_id, service_type_code, record_id)",
	"bill_summaries":     "PARTITION BY (scope, toYYYYMM(bill_cycle))\nORDER BY (scope, bill_cycle, customer_id, service_type_code, resource_type_code, charging_mode, bill_type)",
	"org_units":          "PARTITION BY scope\nORDER BY (scope, org_id)",
	"accounts":           "PARTITION BY scope\nORDER BY (scope, customer_id)",
	"amortized_costs":    "PARTITION BY (scope, toYYYYMM(shared_month))\nORDER BY (scope, shared_month, customer_id, service_type_code, resource_id)",
	"fee_records":        "PARTITION BY (scope, toYYYYMM(bill_cycle))\nORDER BY (scope, bill_cycle, customer_id, trade_id)",
	"package_deductions": "PARTITION BY (scope, toYYYYMM(deduct_month))\nORDER BY (scope, deduct_month, free_resource_id, deduct_time, resource_id)",
}

// SwappedTables lists, in name order, the tables whose partitions the sink
// replaces whole (the tables of swapKeys).
func SwappedTables() []string { return slices.Sorted(maps.Keys(swapKeys)) }

// swapSettings closes the CREATE TABLE of every table in swapKeys: replaced
// parts leave the disk within seconds (ClickHouse #107605, see
// 010_cost_records.sql). A unit test checks the SQL files end with it.
const swapSettings = "SETTINGS old_parts_lifetime = 1"

// StagingEngine returns the ENGINE clause of a local, non-replicated staging
// table for table: MergeTree with the table's partition and sorting keys.
// In cluster mode staging tables are created with it on the one server the
// sink writes through (CREATE TABLE … AS table would copy the Replicated
// engine and its ZooKeeper path); ALTER TABLE … REPLACE PARTITION … FROM
// then attaches the parts to the replicated table and the other replicas
// fetch them.
func StagingEngine(table string) (string, error) {
	k, ok := swapKeys[table]
	if !ok {
		return "", fmt.Errorf("table %s has no partitions to replace", table)
	}
	return "ENGINE = MergeTree()\n" + k, nil
}
