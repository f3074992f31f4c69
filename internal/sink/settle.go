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
//
// Only replaced parts that hold rows are waited for. DROP PARTITION (an
// empty month) on both chDB builds, and REPLACE PARTITION on 26.7, write an
// empty covering part that is outdated at once (remove_time 0, rows 0) and
// that chDB deletes only 6–30 s later, whatever the cleanup settings:
// waiting for it made Close run into settleTimeout. Loaded again by the
// next start it adds no row, so it cannot double a month.

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

// replacedParts returns the inactive parts holding rows still on disk in
// tables (db.table names), as "db.table/part" names. Empty ones (the
// covering parts of a drop or replace) are left out: see above.
func replacedParts(ctx context.Context, q func(context.Context, string) (*Result, error), tables []string) ([]string, error) {
	if len(tables) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = quote(t)
	}
	res, err := q(ctx, fmt.Sprintf(
		"SELECT concat(database, '.', table, '/', name) FROM system.parts WHERE concat(database, '.', table) IN (%s) AND NOT active AND rows > 0 ORDER BY 1",
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

// settleOutcome is why settleReplacedParts returned.
type settleOutcome int

const (
	settleNone     settleOutcome = iota // nothing was swapped, no wait
	settleGone                          // every replaced part left the disk
	settleDeadline                      // the timeout ran out first
	settleFailed                        // the parts could not be listed
)

func (o settleOutcome) String() string {
	switch o {
	case settleGone:
		return "gone"
	case settleDeadline:
		return "deadline"
	case settleFailed:
		return "failed"
	}
	return "none"
}

// settleReplacedParts waits until the parts replaced in tables have been
// deleted from disk, up to timeout, and says why it returned. It runs before
// the embedded engine shuts down; a timeout is logged, not returned as an
// error, because the data is committed and the next start's integrity check
// covers the rest.
func settleReplacedParts(q func(context.Context, string) (*Result, error), tables []string, timeout time.Duration, logger *slog.Logger) settleOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	for {
		parts, err := replacedParts(ctx, q, tables)
		if err != nil {
			if ctx.Err() != nil {
				logger.Warn("replaced parts still on disk at shutdown; if they reappear, the next start's integrity check re-syncs their months",
					slog.Duration("waited", time.Since(start)))
				return settleDeadline
			}
			logger.Warn("cannot list replaced parts before shutdown", slog.Any("err", err))
			return settleFailed
		}
		if len(parts) == 0 {
			logger.Debug("replaced parts removed before shutdown", slog.Duration("waited", time.Since(start)))
			return settleGone
		}
		select {
		case <-ctx.Done():
			logger.Warn("replaced parts still on disk at shutdown; if they reappear, the next start's integrity check re-syncs their months",
				slog.Any("parts", parts), slog.Duration("waited", time.Since(start)))
			return settleDeadline
		case <-time.After(200 * time.Millisecond):
		}
	}
}
