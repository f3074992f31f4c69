package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// partitionTable describes a table replaced one (scope, month) partition
// at a time with the month protocol of the bills, on its own (amortised
// costs, transaction bills): stage, validate (row count, unique natural
// keys), REPLACE PARTITION (DROP PARTITION when empty), and record the
// month's digest in a manifest table that `syncd verify` checks against.
type partitionTable struct {
	table, manifests string
	what             string // "amortised month": the writer's messages
	month            string // the Date column of the partition's month
	key              string // the natural key within a (scope, month)
	// seq, if set, is the last column of key: it numbers the rows that
	// repeat the rest of the key (0, 1, 2…). Writers stage it 0 and Commit,
	// when validation finds repeated keys, numbers them in ClickHouse
	// (numberRepeats), so a writer keeps no per-key state however large
	// the month.
	seq string
	// amount and official are the two money columns the digest sums (into
	// TableDigest.Amount and OfficialAmount); the manifest stores the row
	// count and both sums in the columns rowsCol, amountCol, officialCol.
	amount, official            string
	rowsCol, amountCol, offiCol string
	manifestSpec                *tableSpec[partManifestRow]
}

// partManifestRow is one committed partition's manifest.
type partManifestRow struct {
	Scope       string
	Month       time.Time
	Seq         uint64
	CommittedAt time.Time
	RunID       string
	Digest      TableDigest
}

// newPartitionTable fills in the manifest spec of pt.
func newPartitionTable(pt partitionTable) *partitionTable {
	pt.manifestSpec = bookkeepingTable(&tableSpec[partManifestRow]{table: pt.manifests, fields: []field[partManifestRow]{
		strField("scope", func(r *partManifestRow) string { return r.Scope }),
		dateField(pt.month, func(r *partManifestRow) time.Time { return r.Month }),
		uint64Field("seq", func(r *partManifestRow) uint64 { return r.Seq }),
		timeField("committed_at", func(r *partManifestRow) time.Time { return r.CommittedAt }),
		strField("run_id", func(r *partManifestRow) string { return r.RunID }),
		uint64Field(pt.rowsCol, func(r *partManifestRow) uint64 { return r.Digest.Rows }),
		decField(pt.amountCol, func(r *partManifestRow) decimal.Decimal { return r.Digest.Amount }),
		decField(pt.offiCol, func(r *partManifestRow) decimal.Decimal { return r.Digest.OfficialAmount }),
		uint64Field("keys_checksum", func(r *partManifestRow) uint64 { return r.Digest.KeysChecksum }),
	}})
	return &pt
}

// PartitionWriter replaces one (scope, month) of a partitionTable with the
// month protocol of the bills (see MonthWriter): rows are sent into staging
// as they come, like the cost records (stagedRows: streamed in small blocks
// within one INSERT), Commit validates them (row count, unique natural keys), swaps the
// partition in with REPLACE PARTITION (DROP PARTITION when empty) and
// records the month's manifest. Until Commit succeeds readers see the
// previous month. Not safe for concurrent use; always call Abort (a no-op
// after Commit).
type PartitionWriter[R any] struct {
	s       *Sink
	pt      *partitionTable
	keyOf   func(*R) (scope *string, month *time.Time)
	scope   string
	month   time.Time
	logger  *slog.Logger
	spec    *tableSpec[R]
	rows    *stagedRows[R]
	staged  int
	created string
	done    bool
	sealed  bool // Seal succeeded: no more rows
	err     error
	runID   string
}

// SetRunID names the run that commits the month, in its manifest.
func (w *PartitionWriter[R]) SetRunID(id string) { w.runID = id }

// beginPartition starts replacing the month of scope (the civil first day
// at 00:00 UTC) of pt in a fresh staging table.
func beginPartition[R any](ctx context.Context, s *Sink, pt *partitionTable, spec *tableSpec[R],
	keyOf func(*R) (*string, *time.Time), scope string, month time.Time) (*PartitionWriter[R], error) {
	if err := checkCycle(month); err != nil {
		return nil, fmt.Errorf("begin %s: %w", pt.what, err)
	}
	if scope == "" {
		return nil, fmt.Errorf("begin %s: empty scope", pt.what)
	}
	if err := s.CleanupStaging(ctx, s.cfg.StagingTTL); err != nil {
		s.logger.Warn("staging cleanup failed", slog.Any("err", err))
	}
	w := &PartitionWriter[R]{s: s, pt: pt, keyOf: keyOf, scope: scope, month: month,
		logger: s.logger.With(slog.String("scope", scope), slog.String(pt.month, month.Format("2006-01")))}
	name, err := s.createStaging(ctx, pt.table, s.stagingSuffix())
	if err != nil {
		return nil, fmt.Errorf("begin %s %s %s: %w", pt.what, scope, month.Format("2006-01"), err)
	}
	w.created, w.spec, w.rows = name, spec, newStagedRows(s, spec, name)
	return w, nil
}

// Add buffers r (an empty scope or month takes the writer's) and sends the
// buffered block into staging when it is full (see stagedRows).
func (w *PartitionWriter[R]) Add(ctx context.Context, r R) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("%s writer failed earlier: %w", w.pt.what, w.err)
	}
	if w.sealed {
		return ErrWriterSealed
	}
	row := w.rows.stage(&r)
	if err := w.checkRow(row); err != nil {
		return fmt.Errorf("add row %d to %s: %w", w.staged+1, w.pt.table, err)
	}
	if err := w.rows.add(row); err != nil {
		return fmt.Errorf("add row %d to %s: %w", w.staged+1, w.pt.table, err)
	}
	w.staged++
	if err := w.rows.sendFull(ctx); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *PartitionWriter[R]) checkRow(r *R) error {
	scope, month := w.keyOf(r)
	if *scope == "" {
		*scope = w.scope
	} else if *scope != w.scope {
		return fmt.Errorf("scope %q in a month of scope %q", *scope, w.scope)
	}
	if month.IsZero() {
		*month = w.month
	} else if !month.Equal(w.month) {
		return fmt.Errorf("%s %s in month %s", w.pt.month, month.Format(time.DateOnly), w.month.Format(time.DateOnly))
	}
	return nil
}

// Seal ends the staging INSERT, like MonthWriter.Seal: the server writes
// the rows it still buffers, and no rows can be added after it. Commit
// seals a writer that is not sealed yet.
func (w *PartitionWriter[R]) Seal(ctx context.Context) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("%s writer failed earlier: %w", w.pt.what, w.err)
	}
	if err := w.seal(ctx); err != nil {
		return fmt.Errorf("seal %s %s %s: %w", w.pt.what, w.scope, w.month.Format("2006-01"), err)
	}
	return nil
}

func (w *PartitionWriter[R]) seal(ctx context.Context) error {
	if w.sealed {
		return nil
	}
	if err := w.rows.finish(ctx); err != nil {
		w.err = err
		return err
	}
	w.sealed = true
	return nil
}

// Staged returns the rows added so far.
func (w *PartitionWriter[R]) Staged() int { return w.staged }

// Commit inserts the remaining rows, validates the staged month (want rows,
// unique natural keys), swaps it in and records its manifest. A validation
// failure returns a *ValidationError and leaves the stored month untouched.
func (w *PartitionWriter[R]) Commit(ctx context.Context, want int) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return fmt.Errorf("%s writer failed earlier: %w", w.pt.what, w.err)
	}
	w.done = true
	defer w.drop()
	pt := w.pt
	month := w.scope + " " + w.month.Format("2006-01")
	if err := w.seal(ctx); err != nil {
		return fmt.Errorf("commit %s %s: %w", pt.what, month, err)
	}
	err := w.s.validate(ctx, w.created, pt.table, want, pt.key, "")
	if ve := (*ValidationError)(nil); pt.seq != "" && errors.As(err, &ve) && ve.Got == ve.Want {
		// The right count with repeated keys: rows staged with seq 0 that
		// repeat the rest of the key. Number them and validate again.
		if err = w.numberRepeats(ctx, want); err == nil {
			err = w.s.validate(ctx, w.created, pt.table, want, pt.key, "")
		}
	}
	if err != nil {
		return fmt.Errorf("commit %s %s: %w", pt.what, month, err)
	}
	staged, err := w.s.partitionDigests(ctx, pt, w.s.cfg.Database+"."+w.created, "")
	if err != nil {
		return fmt.Errorf("commit %s %s: %w", pt.what, month, err)
	}
	if len(staged) > 1 {
		return fmt.Errorf("commit %s %s: staging holds %d months", pt.what, month, len(staged))
	}
	var digest TableDigest
	for _, d := range staged {
		digest = d
	}
	part := fmt.Sprintf("(%s, %s)", quote(w.scope), w.month.Format("200601"))
	if err := w.s.swap(ctx, part, []swapPair{{pt.table, w.created, want}}); err != nil {
		return fmt.Errorf("commit %s %s: %w", pt.what, month, err)
	}
	now := w.s.now().UTC()
	row := partManifestRow{Scope: w.scope, Month: w.month, Seq: uint64(now.UnixNano()), CommittedAt: now.Truncate(time.Second),
		RunID: w.runID, Digest: digest}
	if err := insertRows(context.WithoutCancel(ctx), w.s, pt.manifestSpec, pt.manifests, []partManifestRow{row}); err != nil {
		return fmt.Errorf("commit %s %s: swapped, but recording its manifest failed: %w", pt.what, month, err)
	}
	w.logger.Info(pt.what+" committed", slog.Int("rows", want))
	return nil
}

// numberRepeats numbers, in pt.seq, the staged rows that repeat the rest
// of the natural key (see partitionTable.seq); Commit calls it only when
// validation found repeated keys, so a month without repeats (the common
// case) costs nothing more. The month is copied into a fresh staging table: the rows without repeats
// as they are, the repeated ones with seq 0, 1, 2… in a fixed order of
// their other columns (so a re-sync numbers them the same way), and the writer
// carries on with the copy. Tuples, arraySort and ARRAY JOIN rather than
// window functions: ClickHouse 18.16 has none.
func (w *PartitionWriter[R]) numberRepeats(ctx context.Context, want int) error {
	pt := w.pt
	var base []string // the key without seq, with scope (one per staging table, but say so)
	for k := range strings.SplitSeq(pt.key, ",") {
		if k = strings.TrimSpace(k); k != pt.seq {
			base = append(base, k)
		}
	}
	if !slices.Contains(base, "scope") {
		base = append([]string{"scope"}, base...)
	}
	keys := strings.Join(base, ", ")
	old := w.s.cfg.Database + "." + w.created
	name, err := w.s.createStaging(ctx, pt.table, w.s.stagingSuffix())
	if err != nil {
		return fmt.Errorf("number repeated keys of %s: %w", pt.table, err)
	}
	cols := make([]string, len(w.spec.fields))
	var rest, exprs []string // the columns outside the key; what the copy selects
	for i, f := range w.spec.fields {
		cols[i] = f.name
		switch {
		case f.name == pt.seq:
			exprs = append(exprs, "toInt32(n - 1)")
		case slices.Contains(base, f.name):
			exprs = append(exprs, f.name)
		case strings.HasPrefix(f.typ, "Decimal"):
			// As its exact text: 18.16 crashes aggregating a Decimal128
			// beside another value (a tuple or a second groupArray): an
			// unaligned 128-bit load in deserializeAndInsertFromArena
			// (ClickHouse issue #3783, reproduced on 18.16.1).
			rest = append(rest, "toString("+f.name+")")
			exprs = append(exprs, fmt.Sprintf("CAST(tupleElement(r, %d) AS %s)", len(rest), f.typ))
		default:
			rest = append(rest, f.name)
			exprs = append(exprs, fmt.Sprintf("tupleElement(r, %d)", len(rest)))
		}
	}
	into := fmt.Sprintf("INSERT INTO %s.%s (%s) ", w.s.cfg.Database, name, strings.Join(cols, ", "))
	repeated := fmt.Sprintf("(%s) IN (SELECT %s FROM %s GROUP BY %s HAVING count() > 1)", keys, keys, old, keys)
	for _, q := range []string{
		into + fmt.Sprintf("SELECT %s FROM %s WHERE NOT %s", strings.Join(cols, ", "), old, repeated),
		into + fmt.Sprintf("SELECT %s FROM (SELECT %s, arraySort(groupArray(tuple(%s))) AS g FROM %s WHERE %s GROUP BY %s) "+
			"ARRAY JOIN g AS r, arrayEnumerate(g) AS n", strings.Join(exprs, ", "), keys, strings.Join(rest, ", "), old, repeated, keys),
	} {
		if err := w.s.eng.exec(ctx, q); err != nil {
			_ = w.s.dropTable(context.WithoutCancel(ctx), name)
			return fmt.Errorf("number repeated keys of %s: %w", pt.table, err)
		}
	}
	w.logger.Info("numbered the repeated natural keys of the month", slog.String("table", pt.table), slog.Int("rows", want))
	if err := w.s.dropTable(ctx, w.created); err != nil {
		w.logger.Warn("drop staging table failed; it is dropped after the staging TTL", slog.Any("err", err))
	}
	w.created = name
	return nil
}

// Abort drops the staging table; the stored month stays as it was. It is a
// no-op after Commit or a previous Abort, and works with a cancelled ctx.
func (w *PartitionWriter[R]) Abort(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	w.rows.abort() // else the DROP waits for an open INSERT to end
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := w.s.dropTable(ctx, w.created); err != nil {
		return fmt.Errorf("abort %s %s %s: %w", w.pt.what, w.scope, w.month.Format("2006-01"), err)
	}
	return nil
}

func (w *PartitionWriter[R]) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w.rows.abort()
	if err := w.s.dropTable(ctx, w.created); err != nil {
		w.logger.Warn("drop staging table failed; it is dropped after the staging TTL", slog.Any("err", err))
	}
}

// partitionDigests digests the months of pt per (scope, month): rows, the
// sums of its two money columns and the key checksum.
func (s *Sink) partitionDigests(ctx context.Context, pt *partitionTable, from, where string) (map[MonthKey]TableDigest, error) {
	if where != "" {
		where = " WHERE " + where
	}
	q := fmt.Sprintf("SELECT scope, toString(%[1]s) AS cycle, count() AS n, sum(%[2]s) AS amount, "+
		"sum(%[3]s) AS official, sum(cityHash64(%[4]s)) AS keys FROM %[5]s%[6]s GROUP BY scope, %[1]s ORDER BY scope, cycle",
		pt.month, pt.amount, pt.official, pt.key, from, where)
	return s.digestRows(ctx, pt.table, q)
}

// PartitionCheck is the audit of one stored month of a table replaced by
// partition (amortised costs, transaction bills).
type PartitionCheck struct {
	MonthKey // Cycle is the partition's month
	Status   string
	Stored   TableDigest
	Manifest *TableDigest // nil when the month has none
	Problems []string
}

// verifyPartitions compares every stored month of pt whose month lies in
// [from, to] (zero bounds: unbounded) with its latest manifest, like Verify
// does for the bills, ordered by scope and month.
func (s *Sink) verifyPartitions(ctx context.Context, pt *partitionTable, from, to time.Time) ([]PartitionCheck, error) {
	var conds []string
	if !from.IsZero() {
		conds = append(conds, pt.month+" >= toDate('"+from.Format(time.DateOnly)+"')")
	}
	if !to.IsZero() {
		conds = append(conds, pt.month+" <= toDate('"+to.Format(time.DateOnly)+"')")
	}
	where := strings.Join(conds, " AND ")
	stored, err := s.partitionDigests(ctx, pt, s.cfg.Database+"."+pt.table, where)
	if err != nil {
		return nil, err
	}
	w := ""
	if where != "" {
		w = " WHERE " + where
	}
	res, err := s.eng.query(ctx, fmt.Sprintf("SELECT scope, toString(%[1]s) AS cycle, argMax(%[2]s, seq) AS n, argMax(%[3]s, seq) AS a, "+
		"argMax(%[4]s, seq) AS c, argMax(keys_checksum, seq) AS k FROM %[5]s%[6]s GROUP BY scope, %[1]s ORDER BY scope, cycle",
		pt.month, pt.rowsCol, pt.amountCol, pt.offiCol, s.cfg.Database+"."+pt.manifests, w))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", pt.manifests, err)
	}
	mans := make(map[MonthKey]TableDigest, len(res.Rows))
	for i := range res.Rows {
		k, err := monthKeyOf(res, i)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", pt.manifests, err)
		}
		d, err := parseDigest(res.Value(i, "n"), res.Value(i, "a"), res.Value(i, "c"), res.Value(i, "k"))
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", pt.manifests, k, err)
		}
		mans[k] = d
	}
	keys := make([]MonthKey, 0, len(stored)+len(mans))
	for k := range stored {
		keys = append(keys, k)
	}
	for k := range mans {
		if _, ok := stored[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b MonthKey) int {
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		return a.Cycle.Compare(b.Cycle)
	})
	out := make([]PartitionCheck, 0, len(keys))
	for _, k := range keys {
		c := PartitionCheck{MonthKey: k, Stored: stored[k], Status: MonthUnverified}
		if m, ok := mans[k]; ok {
			c.Manifest = &m
			c.Problems = pt.compare(c.Stored, m)
			c.Status = MonthOK
			if len(c.Problems) > 0 {
				c.Status = MonthMismatch
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (pt *partitionTable) compare(got, want TableDigest) []string {
	return compareDigest(pt.table, pt.amount, pt.official, got, want)
}

// mismatchedPartitions returns the stored months of pt that differ from
// their manifests.
func (s *Sink) mismatchedPartitions(ctx context.Context, pt *partitionTable) ([]MonthKey, error) {
	checks, err := s.verifyPartitions(ctx, pt, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	var out []MonthKey
	for _, c := range checks {
		if c.Status == MonthMismatch {
			out = append(out, c.MonthKey)
		}
	}
	return out, nil
}
