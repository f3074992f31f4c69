package main

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/syncd-io/syncd/internal/runspool"
	"github.com/syncd-io/syncd/internal/sink"
)

// spoolOff is the SYNCD_SPOOL_DIR value that keeps unwritten sync_runs rows
// in memory only.
const spoolOff = "off"

// spoolDir resolves SYNCD_SPOOL_DIR: empty means SYNCD_DATA_DIR/spool, the
// one local directory syncd already owns (the container image's writable
// /data, the embedded engine's data). "" means no spool.
func spoolDir(cfg Config) string {
	switch dir := cfg.App.SpoolDir; {
	case dir == spoolOff:
		return ""
	case dir != "":
		return dir
	case cfg.Sink.DataDir != "":
		return filepath.Join(cfg.Sink.DataDir, "spool")
	}
	return ""
}

// spoolName names the spool file after the ClickHouse target (server host
// or embedded data dir, and database), so rows kept for one target are
// never written into another when several configurations share a
// directory. The name holds no credential: the DSN's user and password are
// not part of it.
func spoolName(c sink.Config) string {
	db := c.Database
	if db == "" {
		db = sink.DefaultDatabase
	}
	target := "embedded\x00" + c.DataDir
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		target = "embedded\x00" + abs
	}
	if c.DSN != "" {
		target = "server\x00"
		if u, err := url.Parse(c.DSN); err == nil {
			target += u.Host
		}
	}
	sum := sha256.Sum256([]byte(target + "\x00" + db))
	return "sync_runs-" + db + "-" + hex.EncodeToString(sum[:6]) + ".jsonl"
}

// newSpool returns the spool of cfg, or nil when it is off.
func newSpool(cfg Config, logger *slog.Logger) *runspool.Spool {
	dir := spoolDir(cfg)
	if dir == "" {
		return nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return runspool.New(dir, spoolName(cfg.Sink), logger)
}
