package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines to write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func simEnv(t *testing.T, engine string) map[string]string {
	t.Helper()
	sim := bsssim.New(bsssim.Config{})
	env := map[string]string{
		"HUAWEICLOUD_SDK_AK":        bsssim.DemoAK,
		"HUAWEICLOUD_SDK_SK":        bsssim.DemoSK,
		"HUAWEICLOUD_SDK_DOMAIN_ID": bsssim.DemoDomainID,
		"SYNCD_BSS_ENDPOINT":        newSimServer(t, sim),
	}
	cfg := sinktest.Config(t, engine)
	env["SYNCD_CLICKHOUSE_DATABASE"] = cfg.Database
	if cfg.DSN != "" {
		env["SYNCD_CLICKHOUSE_DSN"] = cfg.DSN
	} else {
		env["SYNCD_DATA_DIR"] = cfg.DataDir
	}
	return env
}

// TestRunCommandShutdown runs `syncd run` as main does, waits until it is
// ready, cancels its context (what SIGTERM does through
// signal.NotifyContext) and expects a clean exit within the grace period.
func TestRunCommandShutdown(t *testing.T) {
	port, err := sinktest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	env := simEnv(t, sink.EngineServer)
	env["SYNCD_LISTEN"] = fmt.Sprintf("127.0.0.1:%d", port)
	env["SYNCD_SHUTDOWN_GRACE"] = "10s"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"run"}, envconfig.MapLookuper(env), &stdout, &stderr) }()

	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready; logs:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit code = %d, want 0; logs:\n%s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("syncd run did not exit within the grace period")
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"shutting down"`) || !strings.Contains(logs, `"run_id"`) || !strings.Contains(logs, `"scope":"default"`) {
		t.Errorf("JSON logs lack shutdown, run_id or scope:\n%s", logs)
	}
	if strings.Contains(logs, bsssim.DemoSK) {
		t.Error("the secret key appears in the logs")
	}
}

func TestCheckCommand(t *testing.T) {
	env := simEnv(t, sink.EngineServer)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"check"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK {
		t.Fatalf("check exit = %d, want 0\n%s\n%s", code, stdout.String(), stderr.String())
	}
	host := strings.TrimSuffix(strings.TrimPrefix(env["SYNCD_BSS_ENDPOINT"], "http://"), "/")
	for _, want := range []string{"configuration: ok", "clickhouse: ok", "bss account default (" + host + "): ok", "spool: ok (" + filepath.Join(mustAbs(t, "data"), "spool", "sync_runs-"),
		// check is read-only: the fresh database is not migrated.
		"migrations pending (001_schema_migrations.sql, "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"check"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "migrations pending (001_schema_migrations.sql, ") {
		t.Errorf("second check: exit %d, want the same pending migrations (the first applied none):\n%s", code, stdout.String())
	}
	if code := run(context.Background(), []string{"migrate"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK {
		t.Fatalf("migrate exit %d\n%s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"check"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "schema: up to date") {
		t.Errorf("check after migrate: exit %d, output:\n%s", code, stdout.String())
	}
	// An unusable spool (here: under a file; a read-only root fails alike)
	// is a warning, not a failure.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"check"}, envconfig.MapLookuper(with(env, "SYNCD_SPOOL_DIR", filepath.Join(file, "spool"))), &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), "spool: WARNING: spool directory "+filepath.Join(file, "spool")+": ") || !strings.Contains(stdout.String(), "not a directory") {
		t.Errorf("check with an unusable spool: exit %d, output:\n%s", code, stdout.String())
	}
	stdout.Reset()
	bad := with(env, "HUAWEICLOUD_SDK_AK", "AKWRONGWRONGWRONG001")
	if code := run(context.Background(), []string{"check"}, envconfig.MapLookuper(bad), &stdout, &stderr); code != exitFailed ||
		!strings.Contains(stdout.String(), "bss account default ("+host+"): FAILED") {
		t.Errorf("check with a wrong AK: exit %d, output:\n%s", code, stdout.String())
	}
}

func TestMigrateCommand(t *testing.T) {
	env := simEnv(t, sink.EngineServer)
	delete(env, "HUAWEICLOUD_SDK_AK")
	var stdout, stderr bytes.Buffer
	for range 2 { // migrations are idempotent
		if code := run(context.Background(), []string{"migrate"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK {
			t.Fatalf("migrate exit = %d\n%s", code, stderr.String())
		}
	}
}

// TestDemoOnce runs `syncd demo --once` on the embedded engine.
func TestDemoOnce(t *testing.T) {
	cfg := sinktest.Config(t, sink.EngineEmbedded)
	env := map[string]string{"SYNCD_DATA_DIR": cfg.DataDir, "SYNCD_CLICKHOUSE_DATABASE": cfg.Database}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo", "--once"}, envconfig.MapLookuper(env), &stdout, &stderr); code != exitOK {
		t.Fatalf("demo exit = %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"cost_records", "bill_summaries", "balances", "resource_packages", "org_units", "accounts", "fee_records", "package_deductions", "member_funds", "amortized_costs", "sync_runs", "success"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "failure") {
		t.Errorf("demo summary shows failed runs:\n%s", out)
	}
	// The demo tenant is deterministic: the same simulator, built here,
	// gives the exact rows and amount the summary must print per month.
	truthSim := bsssim.New(bsssim.Config{})
	section := out[strings.Index(out, "cost_records"):]
	section = section[:strings.Index(section, "bill_summaries")]
	for _, cycle := range truthSim.Months() {
		truth := truthSim.Truth("", cycle)
		var fields []string
		for _, line := range strings.Split(section, "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] == cycle+"-01" {
				fields = f
			}
		}
		if fields == nil {
			t.Errorf("demo summary has no cost_records line for %s:\n%s", cycle, section)
			continue
		}
		amount, err := decimal.NewFromString(fields[2])
		if fields[1] != fmt.Sprint(truth.Records) || err != nil || !amount.Equal(truth.Amount) || fields[3] != truthSim.Currency() {
			t.Errorf("demo %s: %v, want %d rows, amount %s %s", cycle, fields, truth.Records, truth.Amount, truthSim.Currency())
		}
	}
	// The amortised cost of every month, to the cent.
	section = out[strings.Index(out, "amortized_costs"):]
	section = section[:strings.Index(section, "sync_runs")]
	for _, cycle := range truthSim.Months() {
		truth := truthSim.AmortizedTruth("", cycle)
		var fields []string
		for _, line := range strings.Split(section, "\n") {
			if f := strings.Fields(line); len(f) == 4 && f[0] == cycle+"-01" {
				fields = f
			}
		}
		if fields == nil {
			t.Errorf("demo summary has no amortized_costs line for %s:\n%s", cycle, section)
			continue
		}
		amount, err := decimal.NewFromString(fields[2])
		if fields[1] != fmt.Sprint(truth.Details) || err != nil || !amount.Equal(truth.CurrentMonthAmount) {
			t.Errorf("demo amortised %s: %v, want %d details, amortised %s", cycle, fields, truth.Details, truth.CurrentMonthAmount)
		}
	}
}

// TestLoggerAddsRunID: lines logged with a run's context (as the bss client
// logs retries and fan-out) carry its run_id; a per-run logger that already
// has one does not get a second.
func TestLoggerAddsRunID(t *testing.T) {
	var buf bytes.Buffer
	logger := newLogger(&buf, "json", "info")
	ctx := jobs.WithRunID(context.Background(), "0123456789abcdef")
	logger.With("scope", "acme").InfoContext(ctx, "from the client")
	logger.With("run_id", "0123456789abcdef").InfoContext(ctx, "from a run")
	logger.Info("no run")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []int{1, 1, 0} {
		if got := strings.Count(lines[i], `"run_id":"0123456789abcdef"`); got != want {
			t.Errorf("line %d has run_id %d times, want %d: %s", i, got, want, lines[i])
		}
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
