package jobs

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
)

// maxPendingRuns bounds the sync_runs rows a RunLog keeps while ClickHouse is
// unreachable; past it the oldest are dropped (the metrics still count them).
const maxPendingRuns = 1000

// RunLog is the RunStore the daemon gives its jobs. A row it cannot write
// (typically a failure caused by ClickHouse being down) is kept and written
// before the next row, so the failure still lands in sync_runs once the
// server is back. A one-shot `syncd sync` that exits first loses such rows;
// its exit status and log carry the failure instead.
type RunLog struct {
	Store RunStore

	mu      sync.Mutex
	pending []sink.SyncRun
}

// RecordRun writes the kept rows, then run. On failure every unwritten row,
// run included, is kept for the next call and the error is returned.
func (l *RunLog) RecordRun(ctx context.Context, run sink.SyncRun) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, run)
	for len(l.pending) > 0 {
		if err := l.Store.RecordRun(ctx, l.pending[0]); err != nil {
			if n := len(l.pending) - maxPendingRuns; n > 0 {
				l.pending = slices.Clone(l.pending[n:])
			}
			return err
		}
		l.pending[0] = sink.SyncRun{}
		l.pending = l.pending[1:]
	}
	l.pending = nil
	return nil
}

// Pending returns how many rows wait to be written.
func (l *RunLog) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
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
	for _, r := range l.pending {
		k := [2]string{r.Job, r.Scope}
		if r.Status == sink.RunSuccess && r.FinishedAt.After(last[k]) {
			last[k] = r.FinishedAt
		}
	}
	return last, nil
}

var _ RunStore = (*RunLog)(nil)
