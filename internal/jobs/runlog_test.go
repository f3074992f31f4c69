package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
)

// flakyRuns is a RunStore whose writes fail while down is true.
type flakyRuns struct {
	down    bool
	written []sink.SyncRun
}

func (f *flakyRuns) RecordRun(_ context.Context, r sink.SyncRun) error {
	if f.down {
		return errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	}
	f.written = append(f.written, r)
	return nil
}

func (f *flakyRuns) LastSuccess(context.Context) (map[[2]string]time.Time, error) {
	return map[[2]string]time.Time{}, nil
}

// TestRunLogKeepsRowsWhileStoreIsDown: rows that cannot be written while
// ClickHouse is down are written, in order, before the next row once it is
// back; the failure of the outage is not lost.
func TestRunLogKeepsRowsWhileStoreIsDown(t *testing.T) {
	ctx := context.Background()
	store := &flakyRuns{down: true}
	l := &RunLog{Store: store}
	t0 := time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC)
	if err := l.RecordRun(ctx, sink.SyncRun{RunID: "r1", Job: "bills", Scope: "a", Status: sink.RunFailure, FinishedAt: t0}); err == nil {
		t.Fatal("RecordRun succeeded while the store is down")
	}
	if err := l.RecordRun(ctx, sink.SyncRun{RunID: "r2", Job: "balances", Scope: "a", Status: sink.RunSuccess, FinishedAt: t0.Add(time.Minute)}); err == nil {
		t.Fatal("RecordRun succeeded while the store is down")
	}
	if got := l.Pending(); got != 2 {
		t.Fatalf("Pending = %d, want 2", got)
	}
	last, err := l.LastSuccess(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := last[[2]string{"balances", "a"}]; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("LastSuccess(balances, a) = %s, want the kept success %s", got, t0.Add(time.Minute))
	}
	if _, ok := last[[2]string{"bills", "a"}]; ok {
		t.Error("a kept failure counted as a success")
	}
	store.down = false
	if err := l.RecordRun(ctx, sink.SyncRun{RunID: "r3", Job: "bills", Scope: "a", Status: sink.RunSuccess}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range store.written {
		ids = append(ids, r.RunID)
	}
	if got, want := len(ids), 3; got != want || ids[0] != "r1" || ids[1] != "r2" || ids[2] != "r3" {
		t.Errorf("written = %v, want [r1 r2 r3]", ids)
	}
	if got := l.Pending(); got != 0 {
		t.Errorf("Pending = %d after the store is back, want 0", got)
	}
}

// TestRunLogBounded: a long outage keeps only the newest maxPendingRuns rows.
func TestRunLogBounded(t *testing.T) {
	ctx := context.Background()
	store := &flakyRuns{down: true}
	l := &RunLog{Store: store}
	for i := range maxPendingRuns + 10 {
		_ = l.RecordRun(ctx, sink.SyncRun{RunID: string(rune('a' + i%26)), Rows: uint64(i)})
	}
	if got := l.Pending(); got != maxPendingRuns {
		t.Fatalf("Pending = %d, want %d", got, maxPendingRuns)
	}
	store.down = false
	if err := l.RecordRun(ctx, sink.SyncRun{Rows: 99999}); err != nil {
		t.Fatal(err)
	}
	if got := store.written[0].Rows; got != 10 {
		t.Errorf("oldest kept row = %d, want 10 (the first 10 dropped)", got)
	}
}
