package sink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/syncd-io/syncd/schema"
)

// stagingPrefix starts the name of every staging table:
// staging_<table>_<yyyymmddhhmmss>_<random>.
const stagingPrefix = "staging_"

// ValidationError reports a month or tree that failed validation before the
// swap; the previously stored data is untouched.
type ValidationError struct {
	Table      string
	Want, Got  int
	Duplicates []string // up to 5 duplicated natural keys
	Reason     string
}

func (e *ValidationError) Error() string {
	switch {
	case len(e.Duplicates) > 0:
		return fmt.Sprintf("validate %s: duplicate natural keys %s", e.Table, strings.Join(e.Duplicates, ", "))
	case e.Reason != "":
		return fmt.Sprintf("validate %s: %s", e.Table, e.Reason)
	default:
		return fmt.Sprintf("validate %s: %d rows staged, want %d", e.Table, e.Got, e.Want)
	}
}

// ErrWriterDone is returned by a MonthWriter used after Commit or Abort.
var ErrWriterDone = errors.New("month writer already committed or aborted")

// ErrWriterSealed is returned when a row is added to a writer after Seal.
var ErrWriterSealed = errors.New("writer sealed: no rows can be added after Seal")

// MonthWriter replaces one (scope, bill_cycle) month of cost_records and
// bill_summaries. Cost records are sent as they come (stagedRows: streamed
// in small blocks within one INSERT, so a month of any size takes one small
// block of memory). Staging makes a partial insert harmless:
// Commit ends the inserts, validates the staged month and swaps the staging
// partitions in. Until Commit succeeds, readers see the
// previous month. A MonthWriter is not safe for concurrent use. Always call
// Abort (e.g. deferred): after Commit it does nothing.
type MonthWriter struct {
	s       *Sink
	scope   string
	cycle   time.Time
	logger  *slog.Logger
	cost    *stagedRows[CostRecord]
	sums    *rowBlock[BillSummary]
	staged  MonthCounts
	created []string // staging tables created, unqualified names
	done    bool
	sealed  bool   // Seal succeeded: no more rows
	err     error  // first insert error; the writer is unusable after it
	runID   string // recorded in the month's manifest
}

// SetRunID names the run that commits the month, in its manifest.
func (w *MonthWriter) SetRunID(id string) { w.runID = id }

// BeginMonth starts replacing the month cycle of scope. cycle must be the
// civil first day of the month at 00:00 UTC (bill_cycle, never shifted). It
// creates fresh staging tables and drops staging tables left by crashed runs
// older than the staging TTL.
func (s *Sink) BeginMonth(ctx context.Context, scope string, cycle time.Time) (*MonthWriter, error) {
	if err := checkCycle(cycle); err != nil {
		return nil, fmt.Errorf("begin month: %w", err)
	}
	if scope == "" {
		return nil, errors.New("begin month: empty scope")
	}
	if err := s.CleanupStaging(ctx, s.cfg.StagingTTL); err != nil {
		s.logger.Warn("staging cleanup failed", slog.Any("err", err))
	}
	w := &MonthWriter{
		s:      s,
		scope:  scope,
		cycle:  cycle,
		logger: s.logger.With(slog.String("scope", scope), slog.String("bill_cycle", cycle.Format("2006-01"))),
		sums:   newRowBlock(billSummarySpec),
	}
	suffix := s.stagingSuffix()
	for _, table := range []string{TableCostRecords, TableBillSummaries} {
		name, err := s.createStaging(ctx, table, suffix)
		if err != nil {
			w.dropStaging()
			return nil, fmt.Errorf("begin month %s %s: %w", scope, cycle.Format("2006-01"), err)
		}
		w.created = append(w.created, name)
		if table == TableCostRecords {
			w.cost = newStagedRows(s, costRecordSpec, name)
		} else {
			w.sums.table = name
		}
	}
	return w, nil
}

func checkCycle(cycle time.Time) error {
	_, off := cycle.Zone()
	if cycle.Day() != 1 || cycle.Hour() != 0 || cycle.Minute() != 0 || cycle.Second() != 0 || cycle.Nanosecond() != 0 || off != 0 {
		return fmt.Errorf("bill cycle %s is not the first day of a month at 00:00 UTC", cycle.Format(time.RFC3339))
	}
	return nil
}

func (s *Sink) stagingSuffix() string {
	var r [4]byte
	_, _ = rand.Read(r[:])
	return s.now().UTC().Format("20060102150405") + "_" + hex.EncodeToString(r[:])
}

// createStaging creates db.staging_<table>_<suffix> with the structure,
// engine and partition key of db.table, and returns its unqualified name.
func (s *Sink) createStaging(ctx context.Context, table, suffix string) (string, error) {
	name := stagingPrefix + table + "_" + suffix
	q := fmt.Sprintf("CREATE TABLE %s.%s AS %s.%s", s.cfg.Database, name, s.cfg.Database, table)
	if s.cfg.Cluster != "" {
		// Local and not replicated: AS alone would copy the Replicated engine
		// with the table's ZooKeeper path.
		eng, err := schema.StagingEngine(table)
		if err != nil {
			return "", err
		}
		q += " " + eng
	}
	s.inUse.Store(name, true) // before CREATE: a cleanup must not see it unprotected
	if err := s.eng.exec(ctx, q); err != nil {
		s.inUse.Delete(name)
		return "", fmt.Errorf("create staging table for %s: %w", table, err)
	}
	return name, nil
}

// dropTable drops the staging table name, with its wire pair if the engine
// made one (see wire.go).
func (s *Sink) dropTable(ctx context.Context, name string) error {
	var werr error
	if w, ok := s.eng.(interface {
		dropWire(ctx context.Context, db, name string) error
	}); ok {
		werr = w.dropWire(ctx, s.cfg.Database, name)
	}
	if err := s.eng.exec(ctx, fmt.Sprintf("DROP TABLE IF EXISTS %s.%s", s.cfg.Database, name)); err != nil {
		return errors.Join(werr, err)
	}
	// With the staging table gone, CleanupStaging drops what is left of its
	// wire pair (wireBase) once it is old enough.
	s.inUse.Delete(name)
	return werr
}

// CleanupStaging drops staging tables created more than olderThan ago (left
// behind by crashed or killed runs); olderThan 0 drops them whatever their
// age. Tables that this process's writers still use are never dropped (other
// processes' are protected by their age only), nor are tables whose names
// syncd did not generate (say a user's staging_notes).
func (s *Sink) CleanupStaging(ctx context.Context, olderThan time.Duration) error {
	res, err := s.eng.query(ctx, fmt.Sprintf("SELECT name FROM system.tables WHERE database = %s", quote(s.cfg.Database)))
	if err != nil {
		return fmt.Errorf("list staging tables: %w", err)
	}
	cutoff := s.now().UTC().Add(-olderThan)
	var errs []error
	seen := make(map[string]bool)
	for _, r := range res.Rows {
		// A wire table goes with its staging table, even when that one is
		// gone (a kill between the DROPs).
		name := wireBase(r[0])
		if !strings.HasPrefix(name, stagingPrefix) || seen[name] {
			continue
		}
		seen[name] = true
		if _, mine := s.inUse.Load(name); mine {
			continue
		}
		created, ok := stagingTime(name)
		if !ok {
			continue // not a name syncd generates: not ours to drop
		}
		if olderThan > 0 && created.After(cutoff) {
			continue
		}
		if err := s.dropTable(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("drop staging table %s: %w", name, err))
			continue
		}
		s.logger.Info("dropped leftover staging table", slog.String("table", name))
	}
	return errors.Join(errs...)
}

// stagingTime parses the creation time out of a staging table name
// (staging_<table>_<yyyymmddhhmmss>_<8 hex digits>); ok is false for any
// other name.
func stagingTime(name string) (time.Time, bool) {
	parts := strings.Split(name, "_")
	if len(parts) < 4 || len(parts[len(parts)-1]) != 8 {
		return time.Time{}, false
	}
	if _, err := hex.DecodeString(parts[len(parts)-1]); err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", parts[len(parts)-2])
	return t, err == nil
}

// AddCostRecord buffers r and sends the buffered block into staging when
// it is full (see stagedRows). An empty Scope or BillCycle is filled with
// the writer's; a different one is an error.
func (w *MonthWriter) AddCostRecord(ctx context.Context, r CostRecord) error {
	if err := w.addable(); err != nil {
		return err
	}
	row := w.cost.stage(&r)
	if err := w.check(&row.Scope, &row.BillCycle); err != nil {
		return fmt.Errorf("add cost record %s: %w", r.RecordID, err)
	}
	if err := w.cost.add(row); err != nil {
		return fmt.Errorf("add cost record %s: %w", r.RecordID, err)
	}
	w.staged.CostRecords++
	if err := w.cost.sendFull(ctx); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *MonthWriter) usable() error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("month writer failed earlier: %w", w.err)
	}
	return nil
}

// addable reports whether rows can still be added.
func (w *MonthWriter) addable() error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.sealed {
		return ErrWriterSealed
	}
	return nil
}

// Seal ends the month's staging INSERTs: the server writes the rows it
// still buffers (for a large month the cost records' last part, about a
// second at a million rows) and the bill summaries are inserted. No rows can
// be added after it. Commit seals a writer that is not sealed yet; sealing
// each writer of a month as soon as its rows are read (the bills job does)
// lets the server write the last parts while other rows are still read,
// instead of one writer after the other at Commit.
func (w *MonthWriter) Seal(ctx context.Context) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.seal(ctx); err != nil {
		return fmt.Errorf("seal month %s %s: %w", w.scope, w.cycle.Format("2006-01"), err)
	}
	return nil
}

func (w *MonthWriter) seal(ctx context.Context) error {
	if w.sealed {
		return nil
	}
	if err := w.cost.finish(ctx); err != nil {
		w.err = err
		return err
	}
	if w.staged.CostRecords > 0 {
		w.s.faultPoint(FaultStaged)
	}
	if w.sums.rows > 0 {
		if err := w.flush(ctx, TableBillSummaries, &w.sums.block); err != nil {
			return err
		}
		w.s.faultPoint(FaultStaged)
	}
	w.sealed = true
	return nil
}

// flush inserts one block into staging. A failed insert makes the writer
// unusable: whether to retry the month is the caller's decision (Abort, then
// BeginMonth again).
func (w *MonthWriter) flush(ctx context.Context, table string, b *block) error {
	if err := w.s.insertBlock(ctx, table, b); err != nil {
		w.err = err
		return err
	}
	return nil
}

// AddBillSummary buffers r like AddCostRecord.
func (w *MonthWriter) AddBillSummary(ctx context.Context, r BillSummary) error {
	if err := w.addable(); err != nil {
		return err
	}
	if err := w.check(&r.Scope, &r.BillCycle); err != nil {
		return fmt.Errorf("add bill summary %s/%s: %w", r.CustomerID, r.ServiceTypeCode, err)
	}
	if err := w.sums.add(&r); err != nil {
		return fmt.Errorf("add bill summary %s/%s: %w", r.CustomerID, r.ServiceTypeCode, err)
	}
	w.staged.BillSummaries++
	if w.sums.rows >= w.s.cfg.BatchRows {
		return w.flush(ctx, TableBillSummaries, &w.sums.block)
	}
	return nil
}

func (w *MonthWriter) check(scope *string, cycle *time.Time) error {
	if *scope == "" {
		*scope = w.scope
	} else if *scope != w.scope {
		return fmt.Errorf("scope %q in a month of scope %q", *scope, w.scope)
	}
	if cycle.IsZero() {
		*cycle = w.cycle
	} else if !cycle.Equal(w.cycle) {
		return fmt.Errorf("bill cycle %s in month %s", cycle.Format(time.DateOnly), w.cycle.Format(time.DateOnly))
	}
	return nil
}

// Staged returns the rows added so far.
func (w *MonthWriter) Staged() MonthCounts { return w.staged }

// Commit inserts the remaining buffered rows, validates the staged month
// (row counts equal want, no duplicate natural keys: record_id for
// cost_records, (customer_id, service_type_code, resource_type_code,
// charging_mode, bill_type) for bill_summaries) and swaps each table's
// partition with ALTER TABLE … REPLACE PARTITION … FROM staging, which also
// removes rows that vanished upstream. A validation failure returns a
// *ValidationError and leaves the stored month untouched. The staging
// tables are dropped in every case.
func (w *MonthWriter) Commit(ctx context.Context, want MonthCounts) (err error) {
	if err := w.usable(); err != nil {
		return err
	}
	w.done = true
	defer w.dropStaging()
	month := w.scope + " " + w.cycle.Format("2006-01")
	if err := w.seal(ctx); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	if err := w.s.validate(ctx, w.cost.table(), TableCostRecords, want.CostRecords, costRecordsKey, "record_id = ''"); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	if err := w.s.validate(ctx, w.sums.table, TableBillSummaries, want.BillSummaries, billSummariesKey, ""); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	var digest MonthDigest
	if digest.CostRecords, err = w.s.stagedDigest(ctx, w.cost.table(), TableCostRecords); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	if digest.BillSummaries, err = w.s.stagedDigest(ctx, w.sums.table, TableBillSummaries); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	w.s.faultPoint(FaultBeforeSwap)
	part := fmt.Sprintf("(%s, %s)", quote(w.scope), w.cycle.Format("200601"))
	if err := w.s.swap(ctx, part, []swapPair{
		{TableCostRecords, w.cost.table(), want.CostRecords},
		{TableBillSummaries, w.sums.table, want.BillSummaries},
	}); err != nil {
		return fmt.Errorf("commit month %s: %w", month, err)
	}
	// The month is in place; its manifest is what `syncd verify` checks it
	// against later. Without it (a crash or error here), the stored month
	// differs from the previous manifest and the next check re-syncs it.
	if err := w.s.recordManifest(context.WithoutCancel(ctx), MonthKey{Scope: w.scope, Cycle: w.cycle}, w.runID, digest); err != nil {
		return fmt.Errorf("commit month %s: swapped, but recording its manifest failed: %w", month, err)
	}
	w.logger.Info("month committed", slog.Int("cost_records", want.CostRecords), slog.Int("bill_summaries", want.BillSummaries))
	return nil
}

// Abort drops the staging tables; the stored month stays as it was. It is a
// no-op after Commit or a previous Abort. It works with a cancelled ctx
// (keeping its values, with a 30s timeout of its own), so `defer
// w.Abort(ctx)` cleans up after a cancelled run too.
func (w *MonthWriter) Abort(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.dropStagingCtx(ctx); err != nil {
		return fmt.Errorf("abort month %s %s: %w", w.scope, w.cycle.Format("2006-01"), err)
	}
	return nil
}

func (w *MonthWriter) dropStaging() {
	// The caller's context may be cancelled (that may be why we are here);
	// dropping staging must still happen.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.dropStagingCtx(ctx); err != nil {
		w.logger.Warn("drop staging tables failed; they are dropped after the staging TTL", slog.Any("err", err))
	}
}

func (w *MonthWriter) dropStagingCtx(ctx context.Context) error {
	if w.cost != nil {
		w.cost.abort() // nothing may stay open on a table being dropped
	}
	var errs []error
	for _, name := range w.created {
		if err := w.s.dropTable(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("drop staging table %s: %w", name, err))
		}
	}
	w.created = nil
	w.sums.reset()
	return errors.Join(errs...)
}

// validate checks that staging holds want rows with unique natural keys.
// badCond, when set, is a condition no row may satisfy.
func (s *Sink) validate(ctx context.Context, staging, table string, want int, key, badCond string) error {
	full := s.cfg.Database + "." + staging
	q := fmt.Sprintf("SELECT count(), uniqExact(%s) FROM %s", key, full)
	if badCond != "" {
		q = fmt.Sprintf("SELECT count(), uniqExact(%s), countIf(%s) FROM %s", key, badCond, full)
	}
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return fmt.Errorf("validate %s: %w", table, err)
	}
	if len(res.Rows) != 1 {
		return fmt.Errorf("validate %s: %d result rows", table, len(res.Rows))
	}
	got, err1 := strconv.Atoi(res.Rows[0][0])
	uniq, err2 := strconv.Atoi(res.Rows[0][1])
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("validate %s: %w", table, err)
	}
	if got != want {
		return &ValidationError{Table: table, Want: want, Got: got}
	}
	if badCond != "" && res.Rows[0][2] != "0" {
		return &ValidationError{Table: table, Want: want, Got: got, Reason: res.Rows[0][2] + " rows with " + badCond}
	}
	if uniq != got {
		dups, err := s.eng.query(ctx, fmt.Sprintf(
			"SELECT toString(tuple(%s)) AS k, count() AS n FROM %s GROUP BY k HAVING n > 1 ORDER BY k LIMIT 5", key, full))
		ve := &ValidationError{Table: table, Want: want, Got: got}
		if err == nil {
			for _, r := range dups.Rows {
				ve.Duplicates = append(ve.Duplicates, r[0])
			}
		}
		if len(ve.Duplicates) == 0 {
			ve.Reason = fmt.Sprintf("%d duplicate natural keys", got-uniq)
		}
		return ve
	}
	return nil
}

// swapPair is one table whose partition a swap replaces from staging.
type swapPair struct {
	table, staging string
	rows           int
}

// swapAttempts bounds how often one REPLACE PARTITION is tried.
const swapAttempts = 3

// swap replaces partition part of each table from its staging table, in
// order. Each REPLACE PARTITION is atomic, the sequence is not: ClickHouse
// has no multi-table transaction. To keep the window in which the tables
// disagree as short as possible, the swaps ignore the caller's cancellation
// (a shutdown must not stop between two tables; they are metadata operations
// that take milliseconds) and each is retried: REPLACE PARTITION from the
// same staging data is idempotent. If a later swap still fails, the error
// names the tables already swapped; re-running the month repairs it.
func (s *Sink) swap(ctx context.Context, part string, pairs []swapPair) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	var done []string
	for _, p := range pairs {
		var err error
		for attempt := 1; ; attempt++ {
			err = s.replaceAttempt(ctx, p, part)
			if err == nil || ctx.Err() != nil || attempt == swapAttempts {
				break
			}
			s.logger.Warn("replace partition failed, retrying", slog.String("table", p.table), slog.Int("attempt", attempt), slog.Any("err", err))
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		if err != nil {
			if len(done) > 0 {
				return fmt.Errorf("%w (already swapped: %s; re-run to make the tables agree)", err, strings.Join(done, ", "))
			}
			return err
		}
		done = append(done, p.table)
		s.faultPoint(FaultSwapped + p.table)
		s.metrics.rowsWritten.WithLabelValues(p.table).Add(float64(p.rows))
	}
	return nil
}

// replaceAttempt is one try of replacePartition, after the test hook.
func (s *Sink) replaceAttempt(ctx context.Context, p swapPair, part string) error {
	if s.beforeSwap != nil {
		if err := s.beforeSwap(ctx, p.table, p.staging); err != nil {
			return err
		}
	}
	return s.replacePartition(ctx, p, part)
}

// replacePartition atomically replaces partition part of db.table with the
// same partition of db.staging. A month staged empty drops the partition
// instead: ClickHouse 26.6 and later refuse REPLACE PARTITION from a source
// without parts in it (PR #104939), DROP PARTITION means the same on every
// version without a setting older servers reject, and it is atomic too.
func (s *Sink) replacePartition(ctx context.Context, p swapPair, part string) error {
	q := fmt.Sprintf("ALTER TABLE %s.%s REPLACE PARTITION %s FROM %s.%s", s.cfg.Database, p.table, part, s.cfg.Database, p.staging)
	if p.rows == 0 {
		q = fmt.Sprintf("ALTER TABLE %s.%s DROP PARTITION %s", s.cfg.Database, p.table, part)
	}
	if s.cfg.Cluster != "" {
		// Return only when every replica has the new partition, so a read
		// from any replica after Commit sees the new month.
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"replication_alter_partitions_sync": 2}))
	}
	if n, ok := s.eng.(swapNoter); ok {
		n.noteSwap(s.cfg.Database, p.table, s.logger)
	}
	if err := s.eng.exec(ctx, q); err != nil {
		return fmt.Errorf("replace partition %s of %s: %w", part, p.table, err)
	}
	return nil
}
