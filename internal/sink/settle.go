package sink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/syncd-io/syncd/schema"
)

// Replaced parts and engine restarts (ClickHouse #107605).
//
// On a plain MergeTree, REPLACE PARTITION only deactivates the replaced
// parts in memory: until background cleanup deletes them, they are still on
// disk, and an engine that starts before that loads them as active again,
// next to their replacement (the month reads doubled). chDB 26.5 and
// ClickHouse 18.16 behave so; chDB 26.7 (ClickHouse PR #107623) writes an
// empty covering part, as DROP PARTITION does on every 26.x build. The
// embedded engine restarts with every syncd process, so its Sink waits at
// Close until the parts it replaced are gone (about 1.5 s measured with the
// cleanup settings below; see schema/README.md), and a crash inside that
// window is caught by the next start's manifest check (Verify). A server
// outlives syncd: only its own crash can resurrect parts, which the same
// check finds.

// settleTimeout bounds the wait at Close.
const settleTimeout = 30 * time.Second

// embeddedCleanupSettings make the embedded engine delete replaced parts
// about a second after they are replaced instead of 30–40 s (chDB's
// cleanup_delay_period default is 30 s plus up to 10 s). ClickHouse 18.16
// has no ALTER … MODIFY SETTING, which is why this is not in the schema
// files; it is applied only to the embedded engine, at every Migrate.
var embeddedCleanupSettings = "cleanup_delay_period = 1, cleanup_delay_period_random_add = 0, max_cleanup_delay_period = 1"

// swappedTables are the tables whose partitions are replaced whole: those
// schema declares staging keys for, so a new one is named once, there.
var swappedTables = schema.SwappedTables()

func (s *Sink) tuneCleanup(ctx context.Context) error {
	if s.kind != EngineEmbedded {
		return nil
	}
	for _, t := range swappedTables {
		q := fmt.Sprintf("ALTER TABLE %s.%s MODIFY SETTING %s", s.cfg.Database, t, embeddedCleanupSettings)
		if err := s.eng.exec(ctx, q); err != nil {
			return fmt.Errorf("cleanup settings of %s: %w", t, err)
		}
	}
	return nil
}

// swapNoter is implemented by engines that must settle replaced parts
// before they shut down (the embedded one).
type swapNoter interface {
	noteSwap(db, table string, logger *slog.Logger)
}

// replacedParts returns the inactive parts still on disk in tables
// (db.table names), as "db.table/part" names.
func replacedParts(ctx context.Context, q func(context.Context, string) (*Result, error), tables []string) ([]string, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = quote(t)
	}
	res, err := q(ctx, fmt.Sprintf(
		"SELECT concat(database, '.', table, '/', name) FROM system.parts WHERE concat(database, '.', table) IN (%s) AND NOT active ORDER BY 1",
		strings.Join(quoted, ", ")))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(res.Rows))
	for _, r := range res.Rows {
		out = append(out, r[0])
	}
	return out, nil
}

// settleReplacedParts waits until the parts replaced in tables have been
// deleted from disk, up to timeout. It runs before the embedded engine shuts
// down; a timeout is logged, not returned, because the data is committed and
// the next start's integrity check covers the rest.
func settleReplacedParts(q func(context.Context, string) (*Result, error), tables []string, timeout time.Duration, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	for {
		parts, err := replacedParts(ctx, q, tables)
		if err != nil {
			logger.Warn("cannot list replaced parts before shutdown", slog.Any("err", err))
			return
		}
		if len(parts) == 0 {
			logger.Debug("replaced parts removed before shutdown", slog.Duration("waited", time.Since(start)))
			return
		}
		select {
		case <-ctx.Done():
			logger.Warn("replaced parts still on disk at shutdown; if they reappear, the next start's integrity check re-syncs their months",
				slog.Any("parts", parts), slog.Duration("waited", time.Since(start)))
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
