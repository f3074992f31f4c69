package sink

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Natural keys of the month tables: one stored row per key is the
// exactly-once invariant the month swap maintains.
const (
	costRecordsKey   = "record_id"
	billSummariesKey = "customer_id, service_type_code, resource_type_code, charging_mode, bill_type"
)

// MonthKey names one stored (scope, bill month): one partition of
// cost_records and of bill_summaries.
type MonthKey struct {
	Scope string
	// Cycle is the first day of the UTC+8 billing month as a civil date
	// (midnight UTC), like the rows' BillCycle.
	Cycle time.Time
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

// DuplicatedMonths returns the stored months in which some natural key of
// cost_records or bill_summaries appears more than once.
//
// The month swap never produces such a month, but a plain MergeTree table
// can: REPLACE PARTITION only deactivates the replaced parts in memory, and
// if the server (or, for the embedded engine, the syncd process) dies before
// background cleanup removes them from disk, they are loaded as active again
// at the next start, next to their replacement (ClickHouse issue #107605,
// fixed in ClickHouse by PR #107623 for newer releases; ClickHouse 18.16 and
// the embedded 26.5 are affected). The bill tables keep old parts for only
// one second (old_parts_lifetime) to keep that window short, and the bills
// job calls DuplicatedMonths after every engine restart and re-syncs what it
// returns. It scans both tables, so it is meant for that, not for every run.
func (s *Sink) DuplicatedMonths(ctx context.Context) ([]MonthKey, error) {
	seen := make(map[MonthKey]bool)
	var out []MonthKey
	for _, t := range []struct{ table, key string }{
		{TableCostRecords, costRecordsKey},
		{TableBillSummaries, billSummariesKey},
	} {
		q := fmt.Sprintf("SELECT scope, toString(bill_cycle) AS cycle FROM %s.%s GROUP BY scope, bill_cycle "+
			"HAVING count() != uniqExact(%s) ORDER BY scope, cycle", s.cfg.Database, t.table, t.key)
		res, err := s.eng.query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("duplicated months in %s: %w", t.table, err)
		}
		for i := range res.Rows {
			c, err := time.Parse(time.DateOnly, res.Value(i, "cycle"))
			if err != nil {
				return nil, fmt.Errorf("duplicated months in %s: bill_cycle %q: %w", t.table, res.Value(i, "cycle"), err)
			}
			k := MonthKey{Scope: res.Value(i, "scope"), Cycle: c}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out, nil
}
