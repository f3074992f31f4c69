package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// workDir holds what the package builds (the syncd binary); it is removed
// when the tests end.
var workDir string

// TestMain starts the real engines (a private ClickHouse server and the
// embedded chDB engine; a missing engine fails the package) and a work dir.
func TestMain(m *testing.M) {
	if os.Getenv(readerEnv) != "" {
		os.Exit(readerMain())
	}
	os.Exit(func() int {
		if err := sinktest.Setup(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "reliability:", err)
			return 1
		}
		defer sinktest.Teardown()
		dir, err := os.MkdirTemp("", "syncd-reliability-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "reliability:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		workDir = dir
		return m.Run()
	}())
}

// binary is one build of cmd/syncd, made once per test binary.
type binary struct {
	once sync.Once
	path string
	err  error
}

var (
	defaultBuild binary // the production build
	faultBuild   binary // -tags faultinject: SYNCD_FAULT_PANIC_JOB, SYNCD_FAULT_CRASH_AT
)

// syncdBinary builds cmd/syncd once per test binary and returns its path.
func syncdBinary(t testing.TB) string { return defaultBuild.build(t, "syncd") }

// syncdFaultBinary builds cmd/syncd with -tags faultinject once per test
// binary and returns its path.
func syncdFaultBinary(t testing.TB) string {
	return faultBuild.build(t, "syncd-faultinject", "-tags", "faultinject")
}

func (b *binary) build(t testing.TB, name string, flags ...string) string {
	t.Helper()
	b.once.Do(func() {
		b.path = filepath.Join(workDir, name)
		gobin, err := exec.LookPath("go")
		if err != nil {
			b.err = fmt.Errorf("go toolchain not on PATH: %w", err)
			return
		}
		args := append(append([]string{"build"}, flags...), "-o", b.path, "github.com/syncd-io/syncd/cmd/syncd")
		out, err := exec.Command(gobin, args...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// syncdEnv is the environment of a syncd subprocess: the demo credentials
// of sim, the ClickHouse DSN and database, JSON debug logs and quick
// retries. Nothing else of the test's environment leaks in, except PATH,
// HOME and CHDB_LIB_PATH. SYNCD_DATA_DIR is in the work dir, so that the
// sync_runs spool (SYNCD_DATA_DIR/spool) never lands in the source tree.
func syncdEnv(simURL, dsn, db string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"CHDB_LIB_PATH=" + os.Getenv("CHDB_LIB_PATH"),
		"HUAWEICLOUD_SDK_AK=" + bsssim.DemoAK,
		"HUAWEICLOUD_SDK_SK=" + bsssim.DemoSK,
		"HUAWEICLOUD_SDK_DOMAIN_ID=" + bsssim.DemoDomainID,
		"SYNCD_ACCOUNT_NAME=" + testScope,
		"SYNCD_BSS_ENDPOINT=" + simURL + "/",
		"SYNCD_BSS_RETRY_BASE_DELAY=20ms",
		"SYNCD_BSS_RETRY_MAX_DELAY=500ms",
		"SYNCD_CLICKHOUSE_DSN=" + dsn,
		"SYNCD_CLICKHOUSE_DATABASE=" + db,
		"SYNCD_LOG_FORMAT=json",
		"SYNCD_LOG_LEVEL=debug",
		"SYNCD_LISTEN=127.0.0.1:0",
		"SYNCD_DATA_DIR=" + filepath.Join(workDir, "data"),
	}
	return append(env, extra...)
}

// proc is a running syncd subprocess whose stderr is scanned line by line.
type proc struct {
	cmd     *exec.Cmd
	start   time.Time
	mu      sync.Mutex
	out     bytes.Buffer // stdout and stderr
	lines   chan string  // stderr lines as they come (dropped when nobody reads); closed at EOF
	done    chan struct{}
	waitErr error
	peakRSS atomic.Int64 // VmHWM in bytes, sampled while the process runs
}

// startSyncd starts the binary with args and env.
func startSyncd(t testing.TB, env []string, args ...string) *proc {
	t.Helper()
	return startBinary(t, syncdBinary(t), env, args...)
}

// startBinary starts bin (a build of cmd/syncd) with args and env.
func startBinary(t testing.TB, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	cmd.Stdout = lockedWriter{p}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.start = time.Now()
	go func() {
		// VmHWM of the program's own address space; getrusage's maxrss would
		// include the test process's RSS at fork.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > p.peakRSS.Load() {
				p.peakRSS.Store(v)
			}
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out.WriteString(line + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- line:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(p.lines)
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p
}

type lockedWriter struct{ p *proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// output returns everything the process printed so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for the process to exit (at most d) and returns its exit code.
func (p *proc) wait(t testing.TB, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("syncd did not exit within %s; output:\n%s", d, tail(p.output(), 3000))
	}
	return p.cmd.ProcessState.ExitCode()
}

// kill sends SIGKILL (if the process still runs) and waits for it; it
// reports whether the process was still running.
func (p *proc) kill() bool {
	select {
	case <-p.done:
		return false
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	return true
}

// runSyncd runs the binary to completion and returns its exit code and
// output.
func runSyncd(t testing.TB, env []string, args ...string) (int, string) {
	t.Helper()
	p := startSyncd(t, env, args...)
	code := p.wait(t, 3*time.Minute)
	return code, p.output()
}

// vmHWM returns the VmHWM of pid in bytes, or 0 when it cannot be read.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// hasLine reports whether out has a JSON log line with the given message.
func hasLine(out, msg string) bool {
	return strings.Contains(out, `"msg":"`+msg+`"`)
}
