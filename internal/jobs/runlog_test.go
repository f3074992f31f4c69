package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/runspool"
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

// storedRuns is a RunStore and RunChecker over a slice. lying makes
// RecordRun store the row and still report an error, like an insert whose
// answer was lost (a timeout after the server inserted).
type storedRuns struct {
	mu      sync.Mutex
	down    bool
	lying   bool
	written []sink.SyncRun
}

func (s *storedRuns) RecordRun(_ context.Context, r sink.SyncRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	}
	s.written = append(s.written, r)
	if s.lying {
		return errors.New("read tcp 127.0.0.1:9000: i/o timeout")
	}
	return nil
}

func (s *storedRuns) RunRecorded(_ context.Context, r sink.SyncRun) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return false, errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	}
	for _, w := range s.written {
		if w.RunID == r.RunID && w.Scope == r.Scope && w.BillCycle.Equal(r.BillCycle) {
			return true, nil
		}
	}
	return false, nil
}

func (s *storedRuns) LastSuccess(context.Context) (map[[2]string]time.Time, error) {
	return map[[2]string]time.Time{}, nil
}

func (s *storedRuns) set(down, lying bool) {
	s.mu.Lock()
	s.down, s.lying = down, lying
	s.mu.Unlock()
}

func (s *storedRuns) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, r := range s.written {
		ids = append(ids, r.RunID)
	}
	return ids
}

// logBuffer is a concurrency-safe buffer for a JSON logger.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestSpool(t *testing.T, dir string) (*runspool.Spool, *logBuffer) {
	t.Helper()
	var logs logBuffer
	return runspool.New(dir, "sync_runs-test.jsonl", slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))), &logs
}

var spoolT0 = time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)

func failureRow(id string) sink.SyncRun {
	return sink.SyncRun{RunID: id, Job: JobBills, Scope: "acme", BillCycle: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		StartedAt: spoolT0, FinishedAt: spoolT0.Add(time.Minute), Status: sink.RunFailure, APICalls: 7,
		Error: "month 2024-05: commit month acme 2024-05: dial tcp 127.0.0.1:9000: connect: connection refused"}
}

// TestRunLogSpoolOutlivesProcess: a row that cannot be written while
// ClickHouse is down is spooled to disk; a second RunLog on the same spool
// (the next process) writes it at Flush and removes the file. Without the
// spool the row would die with the first RunLog.
func TestRunLogSpoolOutlivesProcess(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "spool")
	store := &storedRuns{down: true}
	sp, _ := newTestSpool(t, dir)
	if err := sp.Check(); err != nil {
		t.Fatalf("Check of a creatable directory: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Check created the spool directory (stat: %v); it must create nothing", err)
	}
	first := &RunLog{Store: store, Spool: sp}
	err := first.RecordRun(ctx, failureRow("r1"))
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), sp.Path()) {
		t.Fatalf("RecordRun while down = %v, want the cause and the spool path", err)
	}
	if err := first.RecordRun(ctx, failureRow("r2")); err == nil {
		t.Fatal("RecordRun succeeded while the store is down")
	}
	fi, err := os.Stat(sp.Path())
	if err != nil {
		t.Fatalf("no spool file after a failed write: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("spool file mode %v, want 0600", fi.Mode().Perm())
	}
	if got := first.Pending(); got != 2 {
		t.Errorf("Pending = %d, want 2", got)
	}

	// The next process: a fresh RunLog on the same spool.
	store.set(false, false)
	next := &RunLog{Store: store, Spool: sp}
	n, err := next.Flush(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2, nil", n, err)
	}
	if got := store.ids(); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Errorf("written = %v, want [r1 r2] in order", got)
	}
	if got := store.written[0]; got.Error != failureRow("r1").Error || got.Status != sink.RunFailure || !got.BillCycle.Equal(failureRow("r1").BillCycle) {
		t.Errorf("written row = %+v, want the spooled failure row", got)
	}
	if _, err := os.Stat(sp.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("spool file still there after Flush (stat: %v)", err)
	}
	if n, err := next.Flush(ctx); n != 0 || err != nil {
		t.Errorf("second Flush = %d, %v; want 0, nil", n, err)
	}
}

// TestRunLogSpoolNoDuplicates: a write whose outcome is unknown (stored,
// but reported as failed) is spooled, and the next run asks the store
// before writing it again, so sync_runs gets it once. The same holds for a
// process that died after writing spooled rows but before removing them.
func TestRunLogSpoolNoDuplicates(t *testing.T) {
	ctx := context.Background()
	store := &storedRuns{lying: true}
	sp, _ := newTestSpool(t, t.TempDir())
	l := &RunLog{Store: store, Spool: sp}
	if err := l.RecordRun(ctx, failureRow("r1")); err == nil {
		t.Fatal("RecordRun with a lost answer succeeded")
	}
	store.set(false, false)
	if err := l.RecordRun(ctx, failureRow("r2")); err != nil {
		t.Fatal(err)
	}
	if got := store.ids(); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Errorf("written = %v, want [r1 r2]: r1 stored once", got)
	}

	// Died between writing the spooled row and removing it: the spool
	// still holds a stored row.
	unlock, err := sp.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Replace([]sink.SyncRun{failureRow("r2"), failureRow("r3")}); err != nil {
		t.Fatal(err)
	}
	unlock()
	if n, err := (&RunLog{Store: store, Spool: sp}).Flush(ctx); err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2 (one already stored, one written)", n, err)
	}
	if got := store.ids(); !slices.Equal(got, []string{"r1", "r2", "r3"}) {
		t.Errorf("written = %v, want [r1 r2 r3]", got)
	}
}

// TestRunLogSpoolCorruptLines: a damaged line is reported with its number
// and skipped; the readable rows around it are written and the file is
// removed.
func TestRunLogSpoolCorruptLines(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sp, logs := newTestSpool(t, dir)
	good := func(id string) string {
		b, err := runspool.MarshalRow(failureRow(id))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	content := strings.Join([]string{
		good("r1"),
		`{"v":1,"run_id":"r2","job":"bills","sco`, // torn
		"\x00\x00\x00garbage",
		`{"v":1,"run_id":"","job":"bills"}`,                           // no run_id
		`{"v":9,"run_id":"r5","job":"bills"}`,                         // unknown version
		`{"v":1,"run_id":"r6","job":"bills","rows":"many"}`,           // wrong type
		`{"v":1,"run_id":"r7","job":"bills","itemised_amount":"1,5"}`, // not a decimal
		good("r8"),
	}, "\n") + "\n"
	if err := os.WriteFile(sp.Path(), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	store := &storedRuns{}
	n, err := (&RunLog{Store: store, Spool: sp}).Flush(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2, nil", n, err)
	}
	if got := store.ids(); !slices.Equal(got, []string{"r1", "r8"}) {
		t.Errorf("written = %v, want [r1 r8]", got)
	}
	out := logs.String()
	for line := 2; line <= 7; line++ {
		if !strings.Contains(out, fmt.Sprintf(`"msg":"skipping a corrupt line of the sync_runs spool; the row it held is lost","spool":%q,"line":%d`, sp.Path(), line)) {
			t.Errorf("no report of corrupt line %d:\n%s", line, out)
		}
	}
	if _, err := os.Stat(sp.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("spool file still there (stat: %v)", err)
	}
}

// TestRunLogSpoolBounded: the spool keeps the newest maxPendingRuns rows.
func TestRunLogSpoolBounded(t *testing.T) {
	ctx := context.Background()
	sp, logs := newTestSpool(t, t.TempDir())
	rows := make([]sink.SyncRun, maxPendingRuns)
	for i := range rows {
		rows[i] = failureRow(fmt.Sprintf("r%04d", i))
	}
	unlock, err := sp.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sp.Replace(rows); err != nil {
		t.Fatal(err)
	}
	unlock()
	store := &storedRuns{down: true}
	l := &RunLog{Store: store, Spool: sp}
	if err := l.RecordRun(ctx, failureRow("new")); err == nil {
		t.Fatal("RecordRun succeeded while the store is down")
	}
	kept := sp.Read(true)
	if len(kept) != maxPendingRuns || kept[0].RunID != "r0001" || kept[len(kept)-1].RunID != "new" {
		t.Errorf("spool holds %d rows from %s to %s, want %d from r0001 to new", len(kept), kept[0].RunID, kept[len(kept)-1].RunID, maxPendingRuns)
	}
	if !strings.Contains(logs.String(), `"dropped":1`) {
		t.Errorf("dropping a row was not logged:\n%s", logs.String())
	}
}

// TestRunLogSpoolUnusable: a spool directory that cannot be created is
// reported once, the rows are kept in memory, and nothing fails harder than
// without a spool.
func TestRunLogSpoolUnusable(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sp, logs := newTestSpool(t, filepath.Join(file, "spool")) // read-only roots fail the same way
	if err := sp.Check(); err == nil {
		t.Error("Check of a directory under a file succeeded")
	}
	store := &storedRuns{down: true}
	l := &RunLog{Store: store, Spool: sp}
	for _, id := range []string{"r1", "r2"} {
		if err := l.RecordRun(ctx, failureRow(id)); err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("RecordRun = %v, want the store's error", err)
		}
	}
	if got := strings.Count(logs.String(), `"level":"WARN"`); got != 1 {
		t.Errorf("%d warnings, want exactly one:\n%s", got, logs.String())
	}
	if got := l.Pending(); got != 2 {
		t.Errorf("Pending = %d, want 2 kept in memory", got)
	}
	store.set(false, false)
	if err := l.RecordRun(ctx, failureRow("r3")); err != nil {
		t.Fatal(err)
	}
	if got := store.ids(); !slices.Equal(got, []string{"r1", "r2", "r3"}) {
		t.Errorf("written = %v, want [r1 r2 r3]", got)
	}
}

// TestRunLogSpoolSharedByProcesses: two RunLogs (as two processes would,
// each with its own lock descriptor) spool and flush the same file at the
// same time: no row is lost and none is stored twice.
func TestRunLogSpoolSharedByProcesses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := &storedRuns{down: true}
	const each = 40
	logs := [2]*RunLog{}
	for i := range logs {
		sp, _ := newTestSpool(t, dir)
		logs[i] = &RunLog{Store: store, Spool: sp}
	}
	var wg sync.WaitGroup
	for i, l := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				_ = l.RecordRun(ctx, failureRow(fmt.Sprintf("p%d-%02d", i, j)))
			}
		}()
	}
	wg.Wait()
	if got := logs[0].Pending(); got != 2*each {
		t.Fatalf("spool holds %d rows after two writers, want %d (a lost update)", got, 2*each)
	}
	store.set(false, false)
	for _, l := range logs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Flush(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ids := store.ids()
	slices.Sort(ids)
	if len(ids) != 2*each || len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("stored %d rows (%d distinct), want %d once each", len(ids), len(slices.Compact(ids)), 2*each)
	}
}

// TestRunLogLastSuccessCountsSpool: a success kept in the spool counts for
// the start-up catch-up, so a job that succeeded during an outage is not
// re-run at once.
func TestRunLogLastSuccessCountsSpool(t *testing.T) {
	ctx := context.Background()
	sp, _ := newTestSpool(t, t.TempDir())
	ok := sink.SyncRun{RunID: "r1", Job: JobBalance, Scope: "acme", StartedAt: spoolT0, FinishedAt: spoolT0.Add(time.Minute), Status: sink.RunSuccess}
	if err := (&RunLog{Store: &storedRuns{down: true}, Spool: sp}).RecordRun(ctx, ok); err == nil {
		t.Fatal("RecordRun succeeded while the store is down")
	}
	last, err := (&RunLog{Store: &storedRuns{}, Spool: sp}).LastSuccess(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := last[[2]string{JobBalance, "acme"}]; !got.Equal(ok.FinishedAt) {
		t.Errorf("LastSuccess = %s, want the spooled success %s", got, ok.FinishedAt)
	}
}
