package dashboards

import (
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// registryMetrics returns the names of every syncd_ metric the daemon registers: the collectors
// of jobs, bss and sink (what cmd/syncd's NewRegistry registers), plus syncd_build_info, which
// cmd/syncd defines itself and a test cannot import from package main.
func registryMetrics(t *testing.T) []string {
	t.Helper()
	var cs []prometheus.Collector
	cs = append(cs, jobs.NewMetrics().Collectors()...)
	cs = append(cs, bss.NewMetrics().Collectors()...)
	cs = append(cs, sink.NewMetrics().Collectors()...)
	ch := make(chan *prometheus.Desc, 256)
	go func() {
		for _, c := range cs {
			c.Describe(ch)
		}
		close(ch)
	}()
	names := []string{"syncd_build_info"}
	for d := range ch {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read metric name from %s", d)
		}
		names = append(names, m[1])
	}
	slices.Sort(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			// cmd/syncd's registry would refuse the second collector.
			t.Errorf("metric %s is defined by two collectors", names[i])
		}
	}
	return slices.Compact(names)
}

// TestMetricListMatchesRegistry keeps docs/metrics.txt (which the dashboard and alert tests check
// names against) equal to what the daemon really registers.
func TestMetricListMatchesRegistry(t *testing.T) {
	reg := registryMetrics(t)
	known := knownMetrics(t)
	var listed []string
	for name := range known {
		if !regexp.MustCompile(`_(bucket|sum|count)$`).MatchString(name) || slices.Contains(reg, name) {
			listed = append(listed, name)
		}
	}
	slices.Sort(listed)
	for _, n := range reg {
		if !known[n] {
			t.Errorf("registry metric %s is missing from docs/metrics.txt", n)
		}
	}
	for _, n := range listed {
		if !slices.Contains(reg, n) {
			t.Errorf("docs/metrics.txt lists %s, which the daemon does not register", n)
		}
	}
}

var variableLabels = regexp.MustCompile(`variableLabels: [{\[]([^}\]]*)[}\]]`)

// TestNoTargetLabelClash: no syncd metric carries a label that Prometheus attaches to every
// scraped series itself (job, instance). Scraped without honor_labels — the usual Kubernetes
// annotation config — such a label would be renamed exported_job and the rules and dashboards
// that group by it would never match. (alerts/syncd.rules.test.yml feeds the series with the
// target labels Prometheus adds, job="syncd" and instance, and the alerts still fire.)
func TestNoTargetLabelClash(t *testing.T) {
	var cs []prometheus.Collector
	cs = append(cs, jobs.NewMetrics().Collectors()...)
	cs = append(cs, bss.NewMetrics().Collectors()...)
	cs = append(cs, sink.NewMetrics().Collectors()...)
	ch := make(chan *prometheus.Desc, 256)
	go func() {
		for _, c := range cs {
			c.Describe(ch)
		}
		close(ch)
	}()
	n := 0
	for d := range ch {
		m := variableLabels.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the labels of %s", d)
		}
		for _, l := range regexp.MustCompile(`[ ,]+`).Split(m[1], -1) {
			if l == "job" || l == "instance" {
				t.Errorf("%s has label %q, which clashes with Prometheus' target label", d, l)
			}
			if l == "syncd_job" {
				n++
			}
		}
	}
	if n == 0 {
		t.Error("no metric has the syncd_job label; the test does not see the labels")
	}
}
