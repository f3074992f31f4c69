package jobs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/runspool"
	"github.com/syncd-io/syncd/internal/sink"
)

// maxPendingRuns bounds the sync_runs rows a RunLog keeps while ClickHouse is
// unreachable, in memory or in its spool; past it the oldest are dropped
// (the metrics still count them).
const maxPendingRuns = 1000

// RunChecker is implemented by a RunStore that can tell whether a row is
// already stored. A RunLog asks it before it writes a row a second time: the
// first write may have landed although it reported an error (a timeout after
// the server inserted), or the process may have died between writing a
// spooled row and removing it from the spool.
type RunChecker interface {
	RunRecorded(ctx context.Context, run sink.SyncRun) (bool, error)
}

// RunLog is the RunStore the program gives its jobs. A row it cannot write
// (ClickHouse down) is kept, on disk with a Spool, and written before the
// next row, so the failure still lands in sync_runs once the server is back
// (docs/configuration.md, "Spool of unwritten run records"); a kept row is
// written again only once the store, if a RunChecker, says it is not stored,
// so an uncertain earlier write is not duplicated.
type RunLog struct {
	Store RunStore
	// Spool, if set, keeps the unwritten rows on disk.
	Spool *runspool.Spool

	mu      sync.Mutex
	pending []sink.SyncRun // kept in memory: no spool, or the spool failed
}

// RecordRun writes the kept rows, then run. On failure every unwritten row,
// run included, is kept (spooled if possible) for the next call and the
// error is returned.
func (l *RunLog) RecordRun(ctx context.Context, run sink.SyncRun) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.record(ctx, &run)
	return err
}

// Flush writes the kept rows (those of this process and those an earlier
// process left in the spool) and returns how many are now stored. The
// program calls it at start-up.
func (l *RunLog) Flush(ctx context.Context) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.record(ctx, nil)
}

func (l *RunLog) record(ctx context.Context, run *sink.SyncRun) (int, error) {
	var spooled []sink.SyncRun
	locked := false
	if l.Spool != nil && l.Spool.Exists() {
		unlock, err := l.Spool.Lock(ctx)
		if err != nil {
			l.Spool.Warn("cannot lock the sync_runs spool; its rows wait for a later run", err)
		} else {
			defer unlock()
			locked = true
			spooled = l.Spool.Read(true)
		}
	}
	// Every kept row may have been written already: its outcome was unknown.
	retry := append(spooled, l.pending...)
	l.pending = nil
	rows := retry
	if run != nil {
		rows = append(rows, *run)
	}
	checker, _ := l.Store.(RunChecker)
	stored := 0
	for i, r := range rows {
		if i < len(retry) && checker != nil {
			ok, err := checker.RunRecorded(ctx, r)
			if err != nil {
				return stored, l.keep(ctx, rows[i:], locked, err)
			}
			if ok {
				stored++
				continue
			}
		}
		if err := l.Store.RecordRun(ctx, r); err != nil {
			return stored, l.keep(ctx, rows[i:], locked, err)
		}
		stored++
	}
	if locked {
		if err := l.Spool.Replace(nil); err != nil {
			// The rows are stored; the next reader finds them stored too.
			l.Spool.Warn("cannot remove the written rows from the sync_runs spool", err)
		}
	}
	return stored, nil
}

// keep keeps rows, which could not be written because of err, in the spool
// (locked says whether this call already holds its lock) or else in memory,
// and returns err, noting where the rows wait.
func (l *RunLog) keep(ctx context.Context, rows []sink.SyncRun, locked bool, err error) error {
	if l.Spool == nil {
		l.pending = l.bound(rows)
		return err
	}
	all := rows
	if !locked {
		unlock, lerr := l.Spool.Lock(ctx)
		if lerr != nil {
			l.Spool.Warn("cannot use the sync_runs spool; rows that cannot be written are kept in memory only", lerr)
			l.pending = l.bound(rows)
			return err
		}
		defer unlock()
		// Rows another process spooled since we looked.
		all = append(l.Spool.Read(true), rows...)
	}
	if werr := l.Spool.Replace(l.bound(all)); werr != nil {
		l.Spool.Warn("cannot write the sync_runs spool; rows that cannot be written are kept in memory only", werr)
		l.pending = l.bound(rows)
		return err
	}
	return fmt.Errorf("%w (the sync_runs row is kept in %s and written by the next run)", err, l.Spool.Path())
}

// bound keeps the newest maxPendingRuns rows.
func (l *RunLog) bound(rows []sink.SyncRun) []sink.SyncRun {
	n := len(rows) - maxPendingRuns
	if n <= 0 {
		return rows
	}
	if l.Spool != nil {
		l.Spool.Logger().Warn("too many sync_runs rows wait to be written; dropping the oldest", "dropped", n, "kept", maxPendingRuns)
	}
	return slices.Clone(rows[n:])
}

// Pending returns how many rows wait to be written, in memory and in the
// spool.
func (l *RunLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.pending)
	if l.Spool != nil {
		n += len(l.Spool.Read(false))
	}
	return n
}

// LastSuccess reads the store's last successes, counting kept rows too.
func (l *RunLog) LastSuccess(ctx context.Context) (map[[2]string]time.Time, error) {
	last, err := l.Store.LastSuccess(ctx)
	if err != nil {
		return nil, err
	}
	if last == nil {
		last = make(map[[2]string]time.Time)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	kept := l.pending
	if l.Spool != nil {
		kept = append(l.Spool.Read(false), kept...)
	}
	for _, r := range kept {
		k := [2]string{r.Job, r.Scope}
		if r.Status == sink.RunSuccess && r.FinishedAt.After(last[k]) {
			last[k] = r.FinishedAt
		}
	}
	return last, nil
}

var _ RunStore = (*RunLog)(nil)
