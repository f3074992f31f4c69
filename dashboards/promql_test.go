package dashboards

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrometheusQueriesParse checks the syntax of every Prometheus query of the dashboards with
// promtool: each expression, with Grafana's variables replaced as Grafana would (all values
// selected), becomes a recording rule of a temporary rules file that promtool check rules parses.
// A missing promtool fails the test (CI installs it).
func TestPrometheusQueriesParse(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found in PATH: %v", err)
	}
	grafanaVars := strings.NewReplacer(
		"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
		"$job", ".*", "$scope", ".*", "${budget:regex}", ".*", "${currency}", "CNY",
	)
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboards\n    rules:\n")
	n := 0
	for _, d := range loadDashboards(t) {
		var exprs []string
		for _, p := range allPanels(d.Panels) {
			for _, tg := range p.Targets {
				if tg.Expr != "" {
					exprs = append(exprs, tg.Expr)
				}
			}
		}
		for _, v := range d.Templating.List {
			if v.Datasource != nil && v.Datasource.Type == prometheusPlugin {
				// label_values(metric, label) is Grafana's, not PromQL: check the metric selector.
				q := v.queryString()
				if inner, ok := strings.CutPrefix(q, "label_values("); ok {
					q = strings.TrimSpace(strings.SplitN(inner, ",", 2)[0])
				}
				exprs = append(exprs, q)
			}
		}
		for _, e := range exprs {
			expanded := grafanaVars.Replace(e)
			if strings.Contains(expanded, "$") {
				t.Errorf("%s: unexpanded variable in %q", d.file, e)
			}
			n++
			fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %q\n", n, expanded)
		}
	}
	path := filepath.Join(t.TempDir(), "dashboards.rules.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the dashboards' queries: %v\n%s\n%s", err, out, b.String())
	}
	if n < 10 {
		t.Errorf("only %d Prometheus queries found", n)
	}
}
