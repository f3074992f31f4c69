package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// TestMetricNamesContract checks docs/metrics.txt, the metric contract
// shared with dashboards/ and alerts/, against the registry both ways.
func TestMetricNamesContract(t *testing.T) {
	raw, err := os.ReadFile("../../docs/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			listed = append(listed, l)
		}
	}
	ch := make(chan *prometheus.Desc, 100)
	go func() {
		for _, c := range syncdCollectors(jobs.NewMetrics(), bss.NewMetrics(), sink.NewMetrics()) {
			c.Describe(ch)
		}
		close(ch)
	}()
	var registered []string
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			registered = append(registered, m[1])
		}
	}
	for _, n := range listed {
		if !slices.Contains(registered, n) {
			t.Errorf("docs/metrics.txt lists %s, which the daemon does not register", n)
		}
	}
	for _, n := range registered {
		if !slices.Contains(listed, n) {
			t.Errorf("the daemon registers %s, which docs/metrics.txt does not list", n)
		}
	}
	// The registry must be consistent (no duplicate names with other help).
	_ = NewRegistry(jobs.NewMetrics(), bss.NewMetrics(), sink.NewMetrics())
}
