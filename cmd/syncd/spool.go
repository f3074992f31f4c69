package main

import (
	"log/slog"

	"github.com/syncd-io/syncd/internal/runspool"
)

// newSpool returns the sync_runs spool of cfg, or nil when it is off.
func newSpool(cfg Config, logger *slog.Logger) *runspool.Spool {
	return runspool.ForTarget(runspool.Dir(cfg.App.SpoolDir, cfg.Sink.DataDir), cfg.Sink, logger)
}
