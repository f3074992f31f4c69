// Package dashboards holds syncd's Grafana dashboards and the query expansion that the official
// ClickHouse data source plugin (grafana-clickhouse-datasource) applies to them, so tests can run
// every panel query on real ClickHouse engines exactly as Grafana would send it.
//
// The dashboards are plain JSON files for Grafana's file provisioning (see provisioning/ and
// docs/dashboards.md); every data source is referenced through a dashboard variable, never a UID.
package dashboards

import "embed"

// Files holds the dashboard JSON files (cost-overview.json, cost-explorer.json,
// balances-runway.json, resource-packages.json, sync-health.json, budgets.json).
//
//go:embed *.json
var Files embed.FS

// Provisioning holds Grafana provisioning files: provisioning/dashboards/syncd.yml points Grafana
// at the dashboard files, provisioning/datasources/syncd.yml defines the ClickHouse and Prometheus
// data sources for the Docker Compose stack.
//
//go:embed provisioning
var Provisioning embed.FS
