package sink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A month manifest records what a month commit put in place; Verify compares
// every stored month with its latest manifest. Any engine bug, crash or
// manual change that alters a stored month is found this way: parts
// resurrected after a restart (ClickHouse #107605), a swap torn by a crash
// (#104660), rows deleted or TTL'd behind syncd's back.

// Natural keys of the month tables: one stored row per key is the
// exactly-once invariant the month swap maintains.
const (
	costRecordsKey   = "record_id"
	billSummariesKey = "customer_id, service_type_code, resource_type_code, charging_mode, bill_type"
)

// TableMonthManifests holds one row per committed month.
const TableMonthManifests = "month_manifests"

// MonthKey names one stored (scope, bill month): one partition of
// cost_records and of bill_summaries.
type MonthKey struct {
	Scope string
	// Cycle is the first day of the UTC+8 billing month as a civil date
	// (midnight UTC), like the rows' BillCycle.
	Cycle time.Time
}

func (k MonthKey) String() string { return k.Scope + " " + k.Cycle.Format("2006-01") }

// TableDigest summarises one month of one table: its rows, the exact sums of
// its two money columns, and the checksum of its natural keys (the sum
// modulo 2^64 of cityHash64 of each key, order-independent, and changed by a
// duplicated, missing or altered key).
type TableDigest struct {
	Rows           uint64
	Amount         decimal.Decimal
	OfficialAmount decimal.Decimal
	KeysChecksum   uint64
}

// Equal reports whether two digests are the same (decimals compared by value).
func (d TableDigest) Equal(o TableDigest) bool {
	return d.Rows == o.Rows && d.Amount.Equal(o.Amount) && d.OfficialAmount.Equal(o.OfficialAmount) && d.KeysChecksum == o.KeysChecksum
}

// MonthDigest is the digest of both month tables.
type MonthDigest struct {
	CostRecords, BillSummaries TableDigest
}

// Manifest is the latest manifest of a month.
type Manifest struct {
	MonthDigest
	RunID       string
	CommittedAt time.Time
}

// digestSQL returns per-(scope, bill_cycle) digests of a month table; the
// amount column of bill_summaries is consume_amount.
func digestSQL(from, table, where string) string {
	key, amount := costRecordsKey, "amount"
	if table == TableBillSummaries {
		key, amount = billSummariesKey, "consume_amount"
	}
	if where != "" {
		where = " WHERE " + where
	}
	return fmt.Sprintf("SELECT scope, toString(bill_cycle) AS cycle, count() AS n, sum(%s) AS amount, sum(official_amount) AS official, "+
		"sum(cityHash64(%s)) AS keys FROM %s%s GROUP BY scope, bill_cycle ORDER BY scope, cycle", amount, key, from, where)
}

// digests runs digestSQL and returns its rows by month.
func (s *Sink) digests(ctx context.Context, from, table, where string) (map[MonthKey]TableDigest, error) {
	return s.digestRows(ctx, table, digestSQL(from, table, where))
}

// digestRows runs a digest query (columns scope, cycle, n, amount,
// official, keys; one row per month) and returns its rows by month.
func (s *Sink) digestRows(ctx context.Context, table, q string) (map[MonthKey]TableDigest, error) {
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("digest %s: %w", table, err)
	}
	out := make(map[MonthKey]TableDigest, len(res.Rows))
	for i := range res.Rows {
		k, err := monthKeyOf(res, i)
		if err != nil {
			return nil, fmt.Errorf("digest %s: %w", table, err)
		}
		d, err := parseDigest(res.Value(i, "n"), res.Value(i, "amount"), res.Value(i, "official"), res.Value(i, "keys"))
		if err != nil {
			return nil, fmt.Errorf("digest %s %s: %w", table, k, err)
		}
		out[k] = d
	}
	return out, nil
}

func monthKeyOf(res *Result, i int) (MonthKey, error) {
	c, err := time.Parse(time.DateOnly, res.Value(i, "cycle"))
	if err != nil {
		return MonthKey{}, fmt.Errorf("bill_cycle %q: %w", res.Value(i, "cycle"), err)
	}
	return MonthKey{Scope: res.Value(i, "scope"), Cycle: c}, nil
}

func parseDigest(n, amount, official, keys string) (TableDigest, error) {
	var d TableDigest
	var errs [4]error
	d.Rows, errs[0] = strconv.ParseUint(n, 10, 64)
	d.Amount, errs[1] = decimal.NewFromString(amount)
	d.OfficialAmount, errs[2] = decimal.NewFromString(official)
	d.KeysChecksum, errs[3] = strconv.ParseUint(keys, 10, 64)
	for _, err := range errs {
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

// stagedDigest digests a staging table, which holds one month (none when empty).
func (s *Sink) stagedDigest(ctx context.Context, staging, table string) (TableDigest, error) {
	m, err := s.digests(ctx, s.cfg.Database+"."+staging, table, "")
	if err != nil {
		return TableDigest{}, err
	}
	if len(m) > 1 {
		return TableDigest{}, fmt.Errorf("digest %s: staging holds %d months", table, len(m))
	}
	for _, d := range m {
		return d, nil
	}
	return TableDigest{}, nil
}

type manifestRow struct {
	Scope           string
	BillCycle       time.Time
	Seq             uint64
	CommittedAt     time.Time
	RunID           string
	Cost, Summaries TableDigest
}

var manifestSpec = bookkeepingTable(&tableSpec[manifestRow]{table: TableMonthManifests, fields: []field[manifestRow]{
	strField("scope", func(r *manifestRow) string { return r.Scope }),
	dateField("bill_cycle", func(r *manifestRow) time.Time { return r.BillCycle }),
	uint64Field("seq", func(r *manifestRow) uint64 { return r.Seq }),
	timeField("committed_at", func(r *manifestRow) time.Time { return r.CommittedAt }),
	strField("run_id", func(r *manifestRow) string { return r.RunID }),
	uint64Field("cost_records", func(r *manifestRow) uint64 { return r.Cost.Rows }),
	decField("cost_amount", func(r *manifestRow) decimal.Decimal { return r.Cost.Amount }),
	decField("cost_official_amount", func(r *manifestRow) decimal.Decimal { return r.Cost.OfficialAmount }),
	uint64Field("cost_keys_checksum", func(r *manifestRow) uint64 { return r.Cost.KeysChecksum }),
	uint64Field("bill_summaries", func(r *manifestRow) uint64 { return r.Summaries.Rows }),
	decField("summary_amount", func(r *manifestRow) decimal.Decimal { return r.Summaries.Amount }),
	decField("summary_official_amount", func(r *manifestRow) decimal.Decimal { return r.Summaries.OfficialAmount }),
	uint64Field("summary_keys_checksum", func(r *manifestRow) uint64 { return r.Summaries.KeysChecksum }),
}})

// recordManifest appends the manifest of a committed month.
func (s *Sink) recordManifest(ctx context.Context, k MonthKey, runID string, d MonthDigest) error {
	now := s.now().UTC()
	row := manifestRow{Scope: k.Scope, BillCycle: k.Cycle, Seq: uint64(now.UnixNano()), CommittedAt: now.Truncate(time.Second),
		RunID: runID, Cost: d.CostRecords, Summaries: d.BillSummaries}
	return insertRows(ctx, s, manifestSpec, TableMonthManifests, []manifestRow{row})
}

// manifests returns the latest manifest of every month matching where.
func (s *Sink) manifests(ctx context.Context, where string) (map[MonthKey]Manifest, error) {
	if where != "" {
		where = " WHERE " + where
	}
	q := "SELECT scope, toString(bill_cycle) AS cycle, argMax(run_id, seq) AS run_id, toString(argMax(committed_at, seq)) AS committed_at, " +
		"argMax(cost_records, seq) AS cn, argMax(cost_amount, seq) AS ca, argMax(cost_official_amount, seq) AS co, argMax(cost_keys_checksum, seq) AS ck, " +
		"argMax(bill_summaries, seq) AS sn, argMax(summary_amount, seq) AS sa, argMax(summary_official_amount, seq) AS so, argMax(summary_keys_checksum, seq) AS sk " +
		"FROM " + s.cfg.Database + "." + TableMonthManifests + where + " GROUP BY scope, bill_cycle ORDER BY scope, cycle"
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read month manifests: %w", err)
	}
	out := make(map[MonthKey]Manifest, len(res.Rows))
	for i := range res.Rows {
		k, err := monthKeyOf(res, i)
		if err != nil {
			return nil, fmt.Errorf("read month manifests: %w", err)
		}
		var m Manifest
		m.RunID = res.Value(i, "run_id")
		m.CommittedAt, _ = time.Parse(time.DateTime, res.Value(i, "committed_at"))
		var err1, err2 error
		m.CostRecords, err1 = parseDigest(res.Value(i, "cn"), res.Value(i, "ca"), res.Value(i, "co"), res.Value(i, "ck"))
		m.BillSummaries, err2 = parseDigest(res.Value(i, "sn"), res.Value(i, "sa"), res.Value(i, "so"), res.Value(i, "sk"))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("read month manifest %s: %w", k, errors.Join(err1, err2))
		}
		out[k] = m
	}
	return out, nil
}

// Month check outcomes.
const (
	MonthOK         = "ok"
	MonthMismatch   = "mismatch"
	MonthUnverified = "unverified" // stored rows but no manifest (committed before syncd recorded them)
)

// MonthCheck is the audit of one stored month.
type MonthCheck struct {
	MonthKey
	Status   string
	Stored   MonthDigest
	Manifest *Manifest // nil when the month has none
	// Problems says what differs, one phrase each.
	Problems []string
	// Drift is the last recorded itemised-vs-summary drift of the month
	// (sync_runs.reconciliation_drift), "" when none is recorded.
	Drift string
}

// Verify compares every stored month whose bill cycle lies in [from, to]
// (zero bounds: unbounded) with its manifest, and returns one check per month
// that has stored rows or a manifest, ordered by scope and month.
func (s *Sink) Verify(ctx context.Context, from, to time.Time) ([]MonthCheck, error) {
	var conds []string
	if !from.IsZero() {
		conds = append(conds, "bill_cycle >= toDate('"+from.Format(time.DateOnly)+"')")
	}
	if !to.IsZero() {
		conds = append(conds, "bill_cycle <= toDate('"+to.Format(time.DateOnly)+"')")
	}
	where := strings.Join(conds, " AND ")
	cost, err := s.digests(ctx, s.cfg.Database+"."+TableCostRecords, TableCostRecords, where)
	if err != nil {
		return nil, err
	}
	sums, err := s.digests(ctx, s.cfg.Database+"."+TableBillSummaries, TableBillSummaries, where)
	if err != nil {
		return nil, err
	}
	mans, err := s.manifests(ctx, where)
	if err != nil {
		return nil, err
	}
	drift, err := s.lastDrift(ctx, where)
	if err != nil {
		return nil, err
	}
	keys := make(map[MonthKey]bool)
	for _, m := range []map[MonthKey]TableDigest{cost, sums} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range mans {
		keys[k] = true
	}
	sorted := make([]MonthKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.SortFunc(sorted, func(a, b MonthKey) int {
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		return a.Cycle.Compare(b.Cycle)
	})
	out := make([]MonthCheck, 0, len(sorted))
	for _, k := range sorted {
		c := MonthCheck{MonthKey: k, Stored: MonthDigest{CostRecords: cost[k], BillSummaries: sums[k]}, Drift: drift[k]}
		if m, ok := mans[k]; ok {
			c.Manifest = &m
			c.Problems = append(compareDigest(TableCostRecords, "amount", "official_amount", c.Stored.CostRecords, m.CostRecords),
				compareDigest(TableBillSummaries, "amount", "official_amount", c.Stored.BillSummaries, m.BillSummaries)...)
		}
		switch {
		case c.Manifest == nil:
			c.Status = MonthUnverified
		case len(c.Problems) > 0:
			c.Status = MonthMismatch
		default:
			c.Status = MonthOK
		}
		out = append(out, c)
	}
	// The month's transaction bills (fee_records, committed by the same
	// bills run) have manifests of their own; a transaction month that
	// differs from its manifest makes its bills month a mismatch, so the
	// start-up check and `syncd verify --repair` re-sync it.
	fees, err := s.verifyPartitions(ctx, feeTable, from, to)
	if err != nil {
		return nil, err
	}
	for _, f := range fees {
		if f.Status != MonthMismatch {
			continue
		}
		i, found := slices.BinarySearchFunc(out, f.MonthKey, func(c MonthCheck, k MonthKey) int {
			if c := strings.Compare(c.Scope, k.Scope); c != 0 {
				return c
			}
			return c.Cycle.Compare(k.Cycle)
		})
		if !found {
			out = slices.Insert(out, i, MonthCheck{MonthKey: f.MonthKey, Status: MonthMismatch, Drift: drift[f.MonthKey]})
		}
		out[i].Status = MonthMismatch
		out[i].Problems = append(out[i].Problems, f.Problems...)
	}
	return out, nil
}

// compareDigest lists how a stored table digest differs from the committed
// one; amount and official name the columns its two sums are of.
func compareDigest(table, amount, official string, got, want TableDigest) []string {
	var p []string
	if got.Rows != want.Rows {
		p = append(p, fmt.Sprintf("%s: %d rows stored, %d committed", table, got.Rows, want.Rows))
	}
	if !got.Amount.Equal(want.Amount) {
		p = append(p, fmt.Sprintf("%s: %s %s stored, %s committed", table, amount, got.Amount, want.Amount))
	}
	if !got.OfficialAmount.Equal(want.OfficialAmount) {
		p = append(p, fmt.Sprintf("%s: %s %s stored, %s committed", table, official, got.OfficialAmount, want.OfficialAmount))
	}
	if got.KeysChecksum != want.KeysChecksum && got.Rows == want.Rows {
		p = append(p, table+": natural keys differ from the committed ones")
	}
	return p
}

// lastDrift returns the reconciliation drift of each month's latest
// successful bills run.
func (s *Sink) lastDrift(ctx context.Context, where string) (map[MonthKey]string, error) {
	w := "bill_cycle IS NOT NULL AND status = 'success'"
	if where != "" {
		w += " AND " + where
	}
	q := "SELECT scope, toString(assumeNotNull(bill_cycle)) AS cycle, argMax(reconciliation_drift, finished_at) AS drift, argMax(currency, finished_at) AS currency FROM " +
		s.cfg.Database + "." + TableSyncRuns + " WHERE " + w + " GROUP BY scope, bill_cycle"
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read drift: %w", err)
	}
	out := make(map[MonthKey]string, len(res.Rows))
	for i := range res.Rows {
		k, err := monthKeyOf(res, i)
		if err != nil {
			return nil, fmt.Errorf("read drift: %w", err)
		}
		out[k] = strings.TrimSpace(res.Value(i, "drift") + " " + res.Value(i, "currency"))
	}
	return out, nil
}

// MismatchedMonths returns the stored months that differ from their
// manifests.
func (s *Sink) MismatchedMonths(ctx context.Context) ([]MonthKey, error) {
	checks, err := s.Verify(ctx, time.Time{}, time.Time{})
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

// StartedAt returns when the ClickHouse engine behind s last started, to the
// second (now() - uptime() on the server; the embedded engine starts with the
// process). Callers compare it between runs to notice a restart.
func (s *Sink) StartedAt(ctx context.Context) (time.Time, error) {
	res, err := s.eng.query(ctx, "SELECT toUInt64(now()) - uptime() AS started")
	if err != nil {
		return time.Time{}, fmt.Errorf("engine start time: %w", err)
	}
	v, err := strconv.ParseInt(res.Value(0, "started"), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("engine start time: %q: %w", res.Value(0, "started"), err)
	}
	return time.Unix(v, 0).UTC(), nil
}
