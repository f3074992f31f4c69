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
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // cron specs use CRON_TZ=Asia/Shanghai; scratch images have no zoneinfo

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/jobs"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	applyGCPercent()
	ctx := withMemLimit(context.Background(), applyMemoryLimit(memlimit.FromCgroup))
	ctx, stop := notifyContext(ctx)
	code := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruption is the cause of the root context's cancellation when
// SIGINT or SIGTERM arrives: an outcome of its own, not a failure.
type interruption struct{ sig syscall.Signal }

func (i interruption) Error() string {
	if i.sig == syscall.SIGINT {
		return "interrupted by SIGINT"
	}
	return "interrupted by SIGTERM"
}

// exitCode follows the shell's convention, 128 + the signal number: 130
// for SIGINT, 143 for SIGTERM.
func (i interruption) exitCode() int { return 128 + int(i.sig) }

// interruptedBy returns the signal that cancelled ctx. A context cancelled
// without one (in-process tests) counts as SIGINT.
func interruptedBy(ctx context.Context) interruption {
	var i interruption
	if errors.As(context.Cause(ctx), &i) {
		return i
	}
	return interruption{syscall.SIGINT}
}

// notifyContext is signal.NotifyContext for SIGINT and SIGTERM, cancelling
// with an interruption that names the signal. Later signals are ignored
// until stop, so a second Ctrl-C does not kill the clean-up.
func notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			sig, _ := s.(syscall.Signal)
			cancel(interruption{sig})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		cancel(nil)
		signal.Stop(ch)
	}
}

// newLogger builds the program's logger. format is json or text; level is
// a slog level name (validated by AppConfig.Validate).
func newLogger(w io.Writer, format, level string) *slog.Logger {
	l, err := parseLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(runIDHandler{h})
}

// runIDHandler adds the run_id of the record's context, when it has one
// and the record does not already carry it, so that lines the bss client
// logs during a run (retries, member fan-out) can be told apart by run.
type runIDHandler struct{ slog.Handler }

// Handle adds run_id from ctx and passes the record on.
func (h runIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := jobs.RunIDFrom(ctx); ok {
		r = r.Clone()
		r.AddAttrs(slog.String("run_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the narrowed handler.
func (h runIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		if a.Key == "run_id" {
			// Already tagged (a per-run logger): no second run_id.
			return h.Handler.WithAttrs(as)
		}
	}
	return runIDHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper around the grouped handler.
func (h runIDHandler) WithGroup(name string) slog.Handler {
	return runIDHandler{h.Handler.WithGroup(name)}
}
