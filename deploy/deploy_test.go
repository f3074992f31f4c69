// Package deploy holds the deployment files (Docker Compose stack, Kubernetes manifests); its tests
// validate them with the real tools and prove the ClickHouse users' privileges on a real server.
package deploy

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/dashboards"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComposeConfig validates the Compose file with docker-compose itself (Debian's package here;
// CI installs it). A missing binary fails the test.
func TestComposeConfig(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Fatalf("docker-compose not found in PATH (apt-get install docker-compose): %v", err)
	}
	out, err := exec.Command(bin, "-f", filepath.Join("compose", "docker-compose.yml"), "config", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, out)
	}
}

// TestComposeWiring checks the stack mounts every dashboard, both rule files and the ClickHouse
// users, and that syncd is scraped without honor_labels (syncd's labels never clash with the
// target labels; dashboards.TestNoTargetLabelClash).
func TestComposeWiring(t *testing.T) {
	compose := read(t, filepath.Join("compose", "docker-compose.yml"))
	names, err := fs.Glob(dashboards.Files, "*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("dashboards: %v %v", names, err)
	}
	want := []string{
		"../../alerts/syncd.rules.yml", "../../alerts/syncd.thresholds.yml",
		"../../dashboards/provisioning/dashboards", "../../dashboards/provisioning/datasources",
		"./clickhouse/users.d/syncd.xml", "GF_INSTALL_PLUGINS: grafana-clickhouse-datasource",
		"image: syncd:dev", "/usr/local/bin/bss-sim", `SYNCD_BILLS_BACKFILL_MONTHS: "13"`,
	}
	for _, n := range names {
		want = append(want, "../../dashboards/"+n+":/var/lib/grafana/dashboards/syncd/"+n)
	}
	for _, w := range want {
		if !strings.Contains(compose, w) {
			t.Errorf("docker-compose.yml lacks %q", w)
		}
	}
	prom := read(t, filepath.Join("compose", "prometheus.yml"))
	for _, w := range []string{"syncd:9107", "/etc/prometheus/rules/syncd.rules.yml", "/etc/prometheus/rules/syncd.thresholds.yml"} {
		if !strings.Contains(prom, w) {
			t.Errorf("prometheus.yml lacks %q", w)
		}
	}
	if strings.Contains(prom, "honor_labels:") {
		t.Error("prometheus.yml sets honor_labels; the shipped config must work without it")
	}
}

// TestPrometheusConfig runs promtool check config on the Compose stack's prometheus.yml, with the
// rule paths pointed at the repository's rule files.
func TestPrometheusConfig(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found in PATH: %v", err)
	}
	abs, err := filepath.Abs(filepath.Join("..", "alerts"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(read(t, filepath.Join("compose", "prometheus.yml")), "/etc/prometheus/rules", abs)
	path := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "config", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

// TestDockerfile checks the image shape the issue asks for: multi-stage, static, scratch,
// non-root, CA certificates and zoneinfo.
func TestDockerfile(t *testing.T) {
	df := read(t, filepath.Join("..", "Dockerfile"))
	for _, w := range []string{
		"AS build", "CGO_ENABLED=0", "-tags nochdb", "./cmd/syncd", "FROM scratch",
		"/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo", "USER 65532:65532",
	} {
		if !strings.Contains(df, w) {
			t.Errorf("Dockerfile lacks %q", w)
		}
	}
}

// TestKubernetesManifests checks the manifests without a YAML library: every file is listed in
// the kustomization, the Deployment takes credentials from the Secret, probes /healthz and
// /readyz, sets resource limits and runs as non-root.
func TestKubernetesManifests(t *testing.T) {
	dir := "kubernetes"
	kust := read(t, filepath.Join(dir, "kustomization.yaml"))
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		base := filepath.Base(f)
		if base == "kustomization.yaml" {
			continue
		}
		if !strings.Contains(kust, "- "+base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
		for i, doc := range strings.Split(read(t, f), "\n---\n") {
			for _, w := range []string{"apiVersion:", "kind:", "name:"} {
				if !strings.Contains(doc, w) {
					t.Errorf("%s document %d lacks %s", base, i, w)
				}
			}
			if strings.Contains(doc, "\t") {
				t.Errorf("%s document %d contains a tab", base, i)
			}
		}
	}
	dep := read(t, filepath.Join(dir, "deployment.yaml"))
	for _, w := range []string{
		"secretRef:", "name: syncd-credentials", "path: /healthz", "path: /readyz", "limits:", "memory:",
		"runAsNonRoot: true", "readOnlyRootFilesystem: true", "replicas: 1",
	} {
		if !strings.Contains(dep, w) {
			t.Errorf("deployment.yaml lacks %q", w)
		}
	}
	secret := read(t, filepath.Join(dir, "secret.yaml"))
	for _, w := range []string{"kind: Secret", "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "SYNCD_CLICKHOUSE_DSN"} {
		if !strings.Contains(secret, w) {
			t.Errorf("secret.yaml lacks %q", w)
		}
	}
	// No real-looking secret values are committed.
	if m := regexp.MustCompile(`(?m)^\s+(HUAWEICLOUD_SDK_SK|SYNCD_GRAFANA_CLICKHOUSE_PASSWORD): "([^"]*)"`).FindAllStringSubmatch(secret, -1); len(m) != 2 {
		t.Errorf("secret placeholders not found: %v", m)
	} else {
		for _, kv := range m {
			if kv[2] != "REPLACE_ME" {
				t.Errorf("secret.yaml commits a value for %s", kv[1])
			}
		}
	}
}
