package reliability

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestProgressOnTerminal runs a backfill of the real binary in a real
// terminal (a tmux pane; tmux is installed by scripts/test-deps.sh) with
// the default text logs, and reads the screen as a user sees it while the
// run goes and after it: log lines and the progress line never share a
// line, the progress line stays below the logs and fits the terminal's
// width, and the last line of the display states the totals.
func TestProgressOnTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux not found (scripts/test-deps.sh installs it): %v", err)
	}
	s := sinktest.Open(t, sink.EngineServer)
	sim := newSim(t, bsssim.Config{Seed: 14, Now: time.Now,
		Scale:  bsssim.Scale{Members: 1, RecordsPerMonth: 600, Months: 8},
		Faults: bsssim.Faults{Latency: 40 * time.Millisecond}})
	months := sim.Months()
	const width = 100
	env := syncdEnv(sim.URL, sinktest.DSN(t), s.Database(), "SYNCD_LOG_FORMAT=text", "SYNCD_LOG_LEVEL=info",
		"SYNCD_BSS_PREFETCH=1", "TERM=xterm")
	script := filepath.Join(t.TempDir(), "run.sh")
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	fmt.Fprintf(&b, "'%s' sync --job bills --from %s --to %s\necho EXIT=$?\nsleep 600\n", syncdBinary(t), months[0], months[len(months)-1])
	if err := os.WriteFile(script, []byte(b.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	socket := fmt.Sprintf("syncd-test-%d", os.Getpid())
	tm := func(args ...string) (string, error) {
		cmd := exec.Command(tmux, append([]string{"-L", socket, "-f", "/dev/null"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TERM=xterm"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := tm("new-session", "-d", "-x", fmt.Sprint(width), "-y", "50", script); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })

	var (
		screens     []string
		liveBelow   int // screens with the progress line last, under log lines
		final       []string
		deadline    = time.Now().Add(3 * time.Minute)
		progressTag = "months×scopes"
	)
	for time.Now().Before(deadline) {
		out, err := tm("capture-pane", "-p", "-J", "-S", "-")
		if err != nil {
			t.Fatalf("tmux capture-pane: %v\n%s", err, out)
		}
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if l = strings.TrimRight(l, " "); l != "" {
				lines = append(lines, l)
			}
		}
		screens = append(screens, out)
		if n := len(lines); n > 1 && strings.HasPrefix(lines[n-1], "bills ") && strings.Contains(lines[n-1], progressTag) &&
			strings.Contains(lines[n-2], "level=INFO") {
			liveBelow++
		}
		if n := len(lines); n > 0 && strings.HasPrefix(lines[n-1], "EXIT=") {
			final = lines
			break
		}
		time.Sleep(30 * time.Millisecond)
	}
	if final == nil {
		t.Fatalf("the sync did not end within 3 minutes; screen:\n%s", screens[len(screens)-1])
	}
	screen := strings.Join(final, "\n")
	if final[len(final)-1] != "EXIT=0" {
		t.Fatalf("sync exit: %s\n%s", final[len(final)-1], screen)
	}
	for i, sc := range screens {
		for _, l := range strings.Split(sc, "\n") {
			if strings.Contains(l, progressTag) && (strings.Contains(l, "level=") || strings.Contains(l, "msg=")) {
				t.Errorf("screen %d: a log line and the progress line share a line:\n%s", i, l)
			}
			if strings.Contains(l, progressTag) && len([]rune(l)) > width {
				t.Errorf("screen %d: the progress line is wider than the terminal (%d columns): %q", i, width, l)
			}
		}
	}
	if liveBelow == 0 {
		t.Errorf("no screen (of %d read during the run) showed the progress line below the log lines; last:\n%s", len(screens), screen)
	}
	want := fmt.Sprintf("bills: %d of %d months×scopes committed", len(months), len(months))
	if n := len(final); n < 3 || !strings.HasPrefix(final[n-3], want) || !strings.Contains(final[n-3], "rows ") ||
		final[n-2] != "sync complete: bills" {
		t.Errorf("the display does not end with the totals (%q) then \"sync complete: bills\":\n%s", want, screen)
	}
	if strings.Contains(screen, " eta ") {
		t.Errorf("a progress line is left on screen after the run:\n%s", screen)
	}
	t.Logf("%d screens read, %d with the live line below the logs; the end of the screen:\n%s", len(screens), liveBelow, tail(screen, 800))
}
