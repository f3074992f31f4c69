package runspool

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/syncd-io/syncd/internal/sink"
)

// Off is the SYNCD_SPOOL_DIR value that keeps unwritten sync_runs rows in
// memory only.
const Off = "off"

// Dir resolves SYNCD_SPOOL_DIR (setting) against SYNCD_DATA_DIR (dataDir):
// empty means dataDir/spool, the one local directory syncd already owns
// (the container image's writable /data, the embedded engine's data).
// "" means no spool.
func Dir(setting, dataDir string) string {
	switch {
	case setting == Off:
		return ""
	case setting != "":
		return setting
	case dataDir != "":
		return filepath.Join(dataDir, "spool")
	}
	return ""
}

// FileName names the spool file after the ClickHouse target (server host
// or embedded data dir, and database), so rows kept for one target are
// never written into another when several configurations share a
// directory. The name holds no credential: the DSN's user and password are
// not part of it.
func FileName(c sink.Config) string {
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

// ForTarget returns the spool of the ClickHouse target c in dir (made
// absolute), or nil when dir is "" (no spool).
func ForTarget(dir string, c sink.Config, logger *slog.Logger) *Spool {
	if dir == "" {
		return nil
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return New(dir, FileName(c), logger)
}
