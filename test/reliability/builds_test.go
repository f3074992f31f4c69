package reliability

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildsHaveTheirOwnNames runs the two build targets of the Makefile
// into one directory, as a user would one after the other, and checks that
// neither overwrites the other and that each binary says the truth about
// itself: the static one names its engine and refuses the demo (which needs
// the embedded engine) with a message that points at the build that has it;
// the embedded one says it has both.
func TestBuildsHaveTheirOwnNames(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make not found: %v", err)
	}
	bin := t.TempDir()
	for _, target := range []string{"build", "build-embedded"} {
		cmd := exec.Command(mk, "-s", "-C", "../..", target, "BIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	for _, name := range []string{"syncd", "syncd-embedded", "bss-sim"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Errorf("after make build and make build-embedded: %v", err)
		}
	}
	version := func(name string) string {
		out, err := exec.Command(filepath.Join(bin, name), "version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s version: %v\n%s", name, err, out)
		}
		return string(out)
	}
	if v := version("syncd"); !strings.Contains(v, "server sink only") {
		t.Errorf("bin/syncd (make build) version = %q, want it to say \"server sink only\"", v)
	}
	if v := version("syncd-embedded"); !strings.Contains(v, "embedded engine") || strings.Contains(v, "only") {
		t.Errorf("bin/syncd-embedded version = %q, want it to say it has the embedded engine", v)
	}

	cmd := exec.Command(filepath.Join(bin, "syncd"), "demo", "--once")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SYNCD_CLICKHOUSE_DSN=clickhouse://127.0.0.1:1/x"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("static demo: %v, want exit status 1\n%s", err, out)
	}
	msg := string(out)
	if !strings.Contains(msg, "without the embedded engine") || !strings.Contains(msg, "make build-embedded") {
		t.Errorf("static demo says %q; want it to say it lacks the embedded engine and which build has it", msg)
	}
	if strings.Contains(msg, "SYNCD_CLICKHOUSE_DSN") || strings.Contains(msg, "simulator at") {
		t.Errorf("static demo points at a DSN it ignores, or started anyway: %q", msg)
	}
}
