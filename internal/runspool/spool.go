// Package runspool keeps the sync_runs rows that could not be written in a local file, so that they outlive the process (jobs.RunLog uses it).
package runspool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
)

// Spool is a small local file that keeps the sync_runs rows a jobs.RunLog could
// not write, so that they outlive the process. It holds one JSON object per
// line, at most the RunLog's bound of them, and only what the sync_runs row
// holds (no credentials, no DSN). Every change replaces the whole file
// atomically (a temporary file is written and fsynced, renamed over it, and
// the directory fsynced), so a crash leaves either the old or the new file,
// never a half-written one; every reader-writer holds an exclusive lock on a
// sibling .lock file, so processes sharing the directory neither lose a row
// nor write one twice at once. A line that cannot be read (a damaged disk,
// an edit by hand) is reported with its number and skipped.
//
// The directory and files are created on first use (mode 0700 and 0600),
// so a program that never needs the spool leaves no trace.
type Spool struct {
	dir, name string
	logger    *slog.Logger
	warned    atomic.Bool
}

// New returns the spool file name in dir. name must be a plain file
// name; the program derives it from the ClickHouse target, so that rows
// kept for one server are never written into another.
func New(dir, name string, logger *slog.Logger) *Spool {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Spool{dir: dir, name: name, logger: logger.With("spool", filepath.Join(dir, name))}
}

// Path returns the spool file's path.
func (s *Spool) Path() string { return filepath.Join(s.dir, s.name) }

// Check reports why the spool could not be written, or nil: the directory,
// or its nearest existing parent when it does not exist yet, must be a
// writable directory. It creates nothing. A problem is logged as a warning
// (once per process: the same warning as a failed spool write).
func (s *Spool) Check() error {
	err := s.check()
	if err != nil {
		s.Warn("the sync_runs spool directory is not usable; rows that cannot be written while ClickHouse is unreachable are kept in memory only", err)
	}
	return err
}

func (s *Spool) check() error {
	dir := s.dir
	for {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("spool directory %s: %s is not a directory", s.dir, dir)
			}
			if err := writable(dir); err != nil {
				return fmt.Errorf("spool directory %s: %s is not writable: %w", s.dir, dir, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("spool directory %s: %w", s.dir, err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("spool directory %s: no existing parent", s.dir)
		}
		dir = parent
	}
}

// Warn logs a spool problem at warning level the first time, at debug level
// after that: the operator needs to know once, not at every run.
func (s *Spool) Warn(msg string, err error) {
	if s.warned.CompareAndSwap(false, true) {
		s.logger.Warn(msg, "err", err)
		return
	}
	s.logger.Debug(msg, "err", err)
}

// Exists reports whether the spool file exists (a cheap check before
// taking the lock).
func (s *Spool) Exists() bool {
	_, err := os.Stat(s.Path())
	return err == nil
}

// lockPoll is how often a busy spool lock is tried again.
const lockPoll = 25 * time.Millisecond

// Lock creates the directory if needed and takes the spool's exclusive
// lock, waiting at most until ctx is done. The returned function releases it.
func (s *Spool) Lock(ctx context.Context) (func(), error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool directory: %w", err)
	}
	return lockFile(ctx, s.Path()+".lock")
}

// Read returns the rows in the spool, skipping (and, with report, logging)
// lines that cannot be read. A missing file holds no rows.
func (s *Spool) Read(report bool) []sink.SyncRun {
	b, err := os.ReadFile(s.Path())
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && report {
			s.Warn("cannot read the sync_runs spool", err)
		}
		return nil
	}
	rows, bad := decodeSpool(b)
	if report {
		for _, e := range bad {
			s.logger.Warn("skipping a corrupt line of the sync_runs spool; the row it held is lost", "line", e.line, "err", e.err)
		}
	}
	return rows
}

// Replace atomically replaces the spool with rows; no rows removes it.
// The caller holds the lock.
func (s *Spool) Replace(rows []sink.SyncRun) error {
	// Temporary files of a writer that crashed (only lock holders write them).
	if old, err := filepath.Glob(filepath.Join(s.dir, "."+s.name+".tmp-*")); err == nil {
		for _, f := range old {
			_ = os.Remove(f)
		}
	}
	if len(rows) == 0 {
		if err := os.Remove(s.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return syncDir(s.dir)
	}
	var buf bytes.Buffer
	for _, r := range rows {
		line, err := json.Marshal(toSpoolRow(r))
		if err != nil {
			return fmt.Errorf("encode run %s: %w", r.RunID, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	f, err := os.CreateTemp(s.dir, "."+s.name+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(buf.Bytes())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.Path())
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return syncDir(s.dir)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, fs.ErrInvalid) || errors.Is(err, errors.ErrUnsupported) {
		return nil // platforms whose directories cannot be fsynced
	}
	return err
}

// spoolVersion is the version of the spool line format.
const spoolVersion = 1

// spoolRow is one line of the spool: a sync_runs row with explicit names,
// money as exact decimal strings and times in RFC 3339.
type spoolRow struct {
	V              int             `json:"v"`
	RunID          string          `json:"run_id"`
	Job            string          `json:"job"`
	Scope          string          `json:"scope"`
	BillCycle      string          `json:"bill_cycle,omitempty"` // YYYY-MM-DD; absent when not about a month
	StartedAt      time.Time       `json:"started_at"`
	FinishedAt     time.Time       `json:"finished_at"`
	Status         string          `json:"status"`
	Rows           uint64          `json:"rows"`
	APICalls       uint64          `json:"api_calls"`
	Error          string          `json:"error,omitempty"`
	ItemisedAmount decimal.Decimal `json:"itemised_amount"`
	SummaryAmount  decimal.Decimal `json:"summary_amount"`
	Drift          decimal.Decimal `json:"reconciliation_drift"`
	Currency       string          `json:"currency,omitempty"`
	FeeAmount      decimal.Decimal `json:"fee_amount"`
	FeeDrift       decimal.Decimal `json:"fee_drift"`
}

func toSpoolRow(r sink.SyncRun) spoolRow {
	row := spoolRow{
		V: spoolVersion, RunID: r.RunID, Job: r.Job, Scope: r.Scope, StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(),
		Status: r.Status, Rows: r.Rows, APICalls: r.APICalls, Error: r.Error,
		ItemisedAmount: r.ItemisedAmount, SummaryAmount: r.SummaryAmount, Drift: r.Drift, Currency: r.Currency,
		FeeAmount: r.FeeAmount, FeeDrift: r.FeeDrift,
	}
	if !r.BillCycle.IsZero() {
		row.BillCycle = r.BillCycle.UTC().Format(time.DateOnly)
	}
	return row
}

func (row spoolRow) syncRun() (sink.SyncRun, error) {
	switch {
	case row.V != spoolVersion:
		return sink.SyncRun{}, fmt.Errorf("unknown spool format version %d (want %d)", row.V, spoolVersion)
	case row.RunID == "" || row.Job == "":
		return sink.SyncRun{}, errors.New("run_id and job are required")
	}
	r := sink.SyncRun{
		RunID: row.RunID, Job: row.Job, Scope: row.Scope, StartedAt: row.StartedAt.UTC(), FinishedAt: row.FinishedAt.UTC(),
		Status: row.Status, Rows: row.Rows, APICalls: row.APICalls, Error: row.Error,
		ItemisedAmount: row.ItemisedAmount, SummaryAmount: row.SummaryAmount, Drift: row.Drift, Currency: row.Currency,
		FeeAmount: row.FeeAmount, FeeDrift: row.FeeDrift,
	}
	if row.BillCycle != "" {
		c, err := time.Parse(time.DateOnly, row.BillCycle)
		if err != nil {
			return sink.SyncRun{}, fmt.Errorf("bill_cycle: %w", err)
		}
		r.BillCycle = c
	}
	return r, nil
}

// badLine is a spool line that could not be read.
type badLine struct {
	line int
	err  error
}

// decodeSpool parses spool content: the rows of the readable lines, and
// the number and error of every other non-empty line.
func decodeSpool(b []byte) ([]sink.SyncRun, []badLine) {
	var (
		rows []sink.SyncRun
		bad  []badLine
	)
	for i, line := range bytes.Split(b, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var row spoolRow
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		err := dec.Decode(&row)
		if err == nil && dec.More() {
			err = errors.New("trailing data after the JSON object")
		}
		var r sink.SyncRun
		if err == nil {
			r, err = row.syncRun()
		}
		if err != nil {
			bad = append(bad, badLine{line: i + 1, err: err})
			continue
		}
		rows = append(rows, r)
	}
	return rows, bad
}

// Logger returns the spool's logger (it names the spool file).
func (s *Spool) Logger() *slog.Logger { return s.logger }

// MarshalRow returns the line the spool holds for r (without the newline).
func MarshalRow(r sink.SyncRun) ([]byte, error) { return json.Marshal(toSpoolRow(r)) }
