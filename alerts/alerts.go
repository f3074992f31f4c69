// Package alerts holds syncd's Prometheus alerting and recording rules. The rules are plain
// YAML files for Prometheus to load; this package embeds them so tools and tests can read the
// exact files that ship.
package alerts

import "embed"

// Files holds syncd.rules.yml (the alerts and recording rules), syncd.thresholds.yml (the
// site-specific thresholds the alerts join against) and syncd.rules.test.yml (promtool unit tests).
//
//go:embed *.yml
var Files embed.FS
