// Command syncd keeps ClickHouse in sync with the Huawei Cloud BSS (billing)
// API: itemised bills, monthly summaries, balances, resource packages and
// the enterprise org tree.
//
// Usage:
//
//	syncd run [--now]                       the daemon: cron-driven jobs, /metrics, /healthz, /readyz
//	syncd sync [--job bills,...] [--from YYYY-MM] [--to YYYY-MM]
//	                                        one-shot sync; exit status 0 only if everything succeeded
//	syncd migrate                           apply the schema migrations
//	syncd check                             validate configuration and connectivity, then exit
//	syncd demo [--once]                     run against an in-process simulator and the embedded engine
//	syncd version                           print the version
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // cron specs use CRON_TZ=Asia/Shanghai; scratch images have no zoneinfo

	"github.com/sethvargo/go-envconfig"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// newLogger builds the program's logger. format is json or text; level is
// a slog level name (validated by AppConfig.Validate).
func newLogger(w io.Writer, format, level string) *slog.Logger {
	l, err := parseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
