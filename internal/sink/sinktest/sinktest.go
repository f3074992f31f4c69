package sinktest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
)

// Engines lists both engines, for table-driven tests.
var Engines = []string{sink.EngineServer, sink.EngineEmbedded}

var (
	mu          sync.Mutex
	serverDSN   string
	started     *Server
	embeddedDir string
	dbSeq       atomic.Int64
)

// Main starts a ClickHouse server (unless SYNCD_TEST_CLICKHOUSE_DSN is set)
// and a per-process data dir for the embedded engine, runs the tests and
// tears both down. Call it from TestMain. A server that cannot start fails
// the whole package; so does a missing chDB library (CHDB_LIB_PATH).
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := Setup(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "sinktest:", err)
		return 1
	}
	defer Teardown()
	return m.Run()
}

// Setup starts the engines; Main calls it. It is exported for TestMain
// functions that need more set-up of their own.
func Setup(ctx context.Context) error {
	mu.Lock()
	defer mu.Unlock()
	if lib := sink.LibraryPath(); !strings.Contains(lib, "/") {
		return fmt.Errorf("CHDB_LIB_PATH is not set: run `make test` or export CHDB_LIB_PATH=$(scripts/test-deps.sh)")
	} else if _, err := os.Stat(lib); err != nil {
		return fmt.Errorf("chDB library: %w (run scripts/test-deps.sh)", err)
	}
	removeStale()
	dir, err := os.MkdirTemp("", "syncd-chdb-")
	if err != nil {
		return err
	}
	if err := markOwned(dir); err != nil {
		return err
	}
	embeddedDir = dir
	if dsn := os.Getenv(DSNEnv); dsn != "" {
		serverDSN = dsn
		return nil
	}
	srv, err := StartServer(ctx)
	if err != nil {
		return err
	}
	started, serverDSN = srv, srv.DSN
	return nil
}

// Teardown stops what Setup started.
func Teardown() {
	mu.Lock()
	defer mu.Unlock()
	if started != nil {
		if err := started.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "sinktest: stop server:", err)
		}
		started = nil
	}
	if embeddedDir != "" {
		_ = os.RemoveAll(embeddedDir)
		embeddedDir = ""
	}
}

// DSN returns the test server's DSN. It fails t when Main/Setup did not run.
func DSN(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if serverDSN == "" {
		t.Fatal("sinktest: no ClickHouse server; call sinktest.Main from TestMain")
	}
	return serverDSN
}

// EmbeddedDataDir returns the process-wide data dir of the embedded engine
// (chDB runs one engine per process, so every embedded sink of a test binary
// shares it).
func EmbeddedDataDir(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if embeddedDir == "" {
		t.Fatal("sinktest: no embedded data dir; call sinktest.Main from TestMain")
	}
	return embeddedDir
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// Database returns a fresh database name for t, so tests sharing an engine
// do not see each other's rows.
func Database(t testing.TB) string {
	name := strings.ToLower(nonIdent.ReplaceAllString(t.Name(), "_"))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("t%d_%s_%s", dbSeq.Add(1), time.Now().Format("150405"), name)
}

// Config returns a sink config for engine (sink.EngineServer or
// sink.EngineEmbedded) with a fresh database and BatchRows at its minimum,
// so multi-block paths run with small data.
func Config(t testing.TB, engine string) sink.Config {
	t.Helper()
	cfg := sink.Config{Database: Database(t), BatchRows: sink.MinBatchRows, StagingTTL: time.Hour}
	switch engine {
	case sink.EngineServer:
		cfg.DSN = DSN(t)
	case sink.EngineEmbedded:
		cfg.DataDir = EmbeddedDataDir(t)
	default:
		t.Fatalf("sinktest: unknown engine %q", engine)
	}
	return cfg
}

// Open opens a migrated sink on engine with a fresh database and closes it
// when t ends.
func Open(t testing.TB, engine string, opts ...sink.Option) *sink.Sink {
	t.Helper()
	return OpenConfig(t, Config(t, engine), opts...)
}

// OpenConfig opens and migrates a sink with cfg and closes it when t ends.
func OpenConfig(t testing.TB, cfg sink.Config, opts ...sink.Option) *sink.Sink {
	t.Helper()
	ctx := context.Background()
	s, err := sink.Open(ctx, cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), opts...)
	if err != nil {
		t.Fatalf("open sink: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sink: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
