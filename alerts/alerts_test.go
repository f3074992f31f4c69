package alerts

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ruleFiles are the files Prometheus loads, in the order promtool checks them.
var ruleFiles = []string{"syncd.thresholds.yml", "syncd.rules.yml"}

// promtool returns the path of the promtool binary or fails the test: CI installs it, so a
// missing binary is an error, never a skip.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found in PATH (install the prometheus package): %v", err)
	}
	return path
}

func TestPromtoolCheckRules(t *testing.T) {
	out, err := exec.Command(promtool(t), append([]string{"check", "rules"}, ruleFiles...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

func TestPromtoolTestRules(t *testing.T) {
	out, err := exec.Command(promtool(t), "test", "rules", "syncd.rules.test.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules did not report SUCCESS:\n%s", out)
	}
}

// alertRule is the part of an alerting rule this test inspects, read line by line so the test
// needs no YAML library.
type alertRule struct {
	name       string
	severity   string
	annotation map[string]string
}

var (
	alertLine      = regexp.MustCompile(`^\s*- alert:\s*(\S+)\s*$`)
	severityLine   = regexp.MustCompile(`^\s*severity:\s*(\S+)\s*$`)
	annotationLine = regexp.MustCompile(`^\s*(summary|description|runbook_url):\s*(.*)$`)
)

func readAlerts(t *testing.T, path string) []alertRule {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rules []alertRule
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := alertLine.FindStringSubmatch(line); m != nil {
			rules = append(rules, alertRule{name: m[1], annotation: map[string]string{}})
			continue
		}
		if len(rules) == 0 {
			continue
		}
		r := &rules[len(rules)-1]
		if m := severityLine.FindStringSubmatch(line); m != nil {
			r.severity = m[1]
		}
		if m := annotationLine.FindStringSubmatch(line); m != nil {
			r.annotation[m[1]] = strings.TrimSpace(m[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rules
}

// TestAlertsAreDocumented checks that every alert has a severity, a summary, a description and a
// runbook_url whose anchor is a heading in docs/alerts.md, and that the promtool tests name it.
func TestAlertsAreDocumented(t *testing.T) {
	rules := readAlerts(t, "syncd.rules.yml")
	if len(rules) < 9 {
		t.Fatalf("found %d alerts in syncd.rules.yml, want at least 9", len(rules))
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "alerts.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for line := range strings.Lines(string(doc)) {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			anchors[githubAnchor(strings.TrimSpace(h))] = true
		}
	}
	tests, err := os.ReadFile("syncd.rules.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	const runbookBase = "https://github.com/syncd-io/syncd/blob/main/docs/alerts.md#"
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.name] {
			t.Errorf("alert %s defined twice", r.name)
		}
		seen[r.name] = true
		if !slices.Contains([]string{"critical", "warning", "info"}, r.severity) {
			t.Errorf("alert %s: severity %q, want critical, warning or info", r.name, r.severity)
		}
		for _, a := range []string{"summary", "description", "runbook_url"} {
			if r.annotation[a] == "" {
				t.Errorf("alert %s: missing annotation %s", r.name, a)
			}
		}
		anchor, ok := strings.CutPrefix(r.annotation["runbook_url"], runbookBase)
		if !ok {
			t.Errorf("alert %s: runbook_url %q does not start with %s", r.name, r.annotation["runbook_url"], runbookBase)
		} else if anchor != strings.ToLower(r.name) || !anchors[anchor] {
			t.Errorf("alert %s: runbook anchor %q has no heading \"### %s\" in docs/alerts.md", r.name, anchor, r.name)
		}
		// A quiet case is followed by `exp_alerts: []`; any other case expects the alert.
		total := strings.Count(string(tests), "alertname: "+r.name+"\n")
		quiet := len(regexp.MustCompile(`alertname: `+r.name+`\n\s*exp_alerts: \[\]`).FindAllString(string(tests), -1))
		if quiet == 0 || total-quiet == 0 {
			t.Errorf("alert %s: %d firing and %d quiet eval cases in syncd.rules.test.yml, want at least one of each", r.name, total-quiet, quiet)
		}
	}
}

// githubAnchor returns the fragment GitHub generates for a Markdown heading.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

var metricName = regexp.MustCompile(`\bsyncd_[a-z0-9_]+`)

// TestRulesUseKnownMetrics checks every syncd_ metric the rules and their tests name against
// the metric contract in docs/metrics.txt.
func TestRulesUseKnownMetrics(t *testing.T) {
	known := knownMetrics(t)
	for _, file := range append(slices.Clone(ruleFiles), "syncd.rules.test.yml") {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metricName.FindAllString(string(b), -1) {
			if m == "syncd_job" {
				continue // the label naming the syncd job, not a metric
			}
			if !known[m] {
				t.Errorf("%s names metric %s, which is not in docs/metrics.txt", file, m)
			}
		}
	}
}

func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "metrics.txt"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		known[line] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			known[line+suffix] = true
		}
	}
	return known
}
