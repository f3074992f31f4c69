package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"
)

// WriteBalances appends one balance snapshot. Every row needs Scope and
// ObservedAt (whole seconds are kept); writing the same observation again
// (a retry) does not change balances_latest.
func (s *Sink) WriteBalances(ctx context.Context, rows []BalanceSnapshot) error {
	for i := range rows {
		if rows[i].Scope == "" || rows[i].ObservedAt.IsZero() {
			return fmt.Errorf("write balances: row %d lacks scope or observed_at", i)
		}
	}
	if err := insertRows(ctx, s, balanceSpec, TableBalances, rows); err != nil {
		return fmt.Errorf("write balances: %w", err)
	}
	s.metrics.rowsWritten.WithLabelValues(TableBalances).Add(float64(len(rows)))
	return nil
}

// WriteResourcePackages appends one resource package snapshot, like
// WriteBalances.
func (s *Sink) WriteResourcePackages(ctx context.Context, rows []ResourcePackageSnapshot) error {
	for i := range rows {
		if rows[i].Scope == "" || rows[i].ObservedAt.IsZero() {
			return fmt.Errorf("write resource packages: row %d lacks scope or observed_at", i)
		}
	}
	if err := insertRows(ctx, s, resourcePackageSpec, TableResourcePackages, rows); err != nil {
		return fmt.Errorf("write resource packages: %w", err)
	}
	s.metrics.rowsWritten.WithLabelValues(TableResourcePackages).Add(float64(len(rows)))
	return nil
}

// ReplaceOrg replaces the org tree and member accounts of scope as a whole:
// both are staged, validated (unique org_id, unique customer_id) and swapped
// in with REPLACE PARTITION, each table atomically. Units and accounts with
// an empty Scope get scope; a different one is an error.
func (s *Sink) ReplaceOrg(ctx context.Context, scope string, units []OrgUnit, accounts []Account) (err error) {
	if scope == "" {
		return errors.New("replace org: empty scope")
	}
	units, accounts = slices.Clone(units), slices.Clone(accounts) // do not touch the caller's rows
	for i := range units {
		if units[i].Scope == "" {
			units[i].Scope = scope
		} else if units[i].Scope != scope {
			return fmt.Errorf("replace org %s: unit %s has scope %q", scope, units[i].OrgID, units[i].Scope)
		}
	}
	for i := range accounts {
		if accounts[i].Scope == "" {
			accounts[i].Scope = scope
		} else if accounts[i].Scope != scope {
			return fmt.Errorf("replace org %s: account %s has scope %q", scope, accounts[i].CustomerID, accounts[i].Scope)
		}
	}
	suffix := s.stagingSuffix()
	var created []string
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, name := range created {
			if derr := s.dropTable(dctx, name); derr != nil {
				s.logger.Warn("drop staging table failed", slog.String("table", name), slog.Any("err", derr))
			}
		}
	}()
	unitsStaging, err := s.createStaging(ctx, TableOrgUnits, suffix)
	if err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	created = append(created, unitsStaging)
	accountsStaging, err := s.createStaging(ctx, TableAccounts, suffix)
	if err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	created = append(created, accountsStaging)
	if err := insertRows(ctx, s, orgUnitSpec, unitsStaging, units); err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	if err := insertRows(ctx, s, accountSpec, accountsStaging, accounts); err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	if err := s.validate(ctx, unitsStaging, TableOrgUnits, len(units), "org_id", ""); err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	if err := s.validate(ctx, accountsStaging, TableAccounts, len(accounts), "customer_id", ""); err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	if err := s.swap(ctx, quote(scope), []swapPair{
		{TableOrgUnits, unitsStaging, len(units)},
		{TableAccounts, accountsStaging, len(accounts)},
	}); err != nil {
		return fmt.Errorf("replace org %s: %w", scope, err)
	}
	return nil
}

// RecordRun appends one sync_runs row.
func (s *Sink) RecordRun(ctx context.Context, run SyncRun) error {
	if run.RunID == "" || run.Job == "" {
		return errors.New("record run: run_id and job are required")
	}
	if err := insertRows(ctx, s, syncRunSpec, TableSyncRuns, []SyncRun{run}); err != nil {
		return fmt.Errorf("record run %s: %w", run.RunID, err)
	}
	s.metrics.rowsWritten.WithLabelValues(TableSyncRuns).Add(1)
	return nil
}

// RunRecorded reports whether sync_runs holds r: same run, job, scope,
// month, start (to the second, as stored) and status. The RunLog asks it
// before it writes a kept row again, so that a row whose first write had an
// unknown outcome is not stored twice (sync_runs is a plain MergeTree:
// nothing would merge the copies away). The sorting key (job, scope,
// started_at, run_id) makes it a point lookup.
func (s *Sink) RunRecorded(ctx context.Context, r SyncRun) (bool, error) {
	cycle := "isNull(bill_cycle)"
	if !r.BillCycle.IsZero() {
		cycle = "bill_cycle = toDate(" + quote(r.BillCycle.UTC().Format(time.DateOnly)) + ")"
	}
	res, err := s.eng.query(ctx, fmt.Sprintf(
		"SELECT count() FROM %s.sync_runs WHERE job = %s AND scope = %s AND started_at = toDateTime(%d) AND run_id = %s AND status = %s AND %s",
		s.cfg.Database, quote(r.Job), quote(r.Scope), r.StartedAt.Unix(), quote(r.RunID), quote(r.Status), cycle))
	if err != nil {
		return false, fmt.Errorf("look up run %s in sync_runs: %w", r.RunID, err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return false, fmt.Errorf("look up run %s in sync_runs: unexpected result %v", r.RunID, res.Rows)
	}
	return res.Rows[0][0] != "0", nil
}

// BackfillCommits returns, per scope, the months committed by bills runs
// that recorded backfill window (see SyncRun.BackfillWindow), with the id of
// their backfill and when each last succeeded.
func (s *Sink) BackfillCommits(ctx context.Context, window string) (map[string][]BackfillCommit, error) {
	res, err := s.eng.query(ctx, fmt.Sprintf(
		"SELECT scope, backfill_id, toString(assumeNotNull(bill_cycle)) AS cycle, toUInt32(max(finished_at)) AS finished FROM %s.sync_runs "+
			"WHERE job = 'bills' AND backfill_window = %s AND status = %s AND isNotNull(bill_cycle) "+
			"GROUP BY scope, backfill_id, bill_cycle ORDER BY scope, finished",
		s.cfg.Database, quote(window), quote(RunSuccess)))
	if err != nil {
		return nil, fmt.Errorf("backfill commits: %w", err)
	}
	out := make(map[string][]BackfillCommit)
	for i := range res.Rows {
		m, err := time.Parse(time.DateOnly, res.Value(i, "cycle"))
		if err != nil {
			return nil, fmt.Errorf("backfill commits row %d: %w", i, err)
		}
		sec, err := strconv.ParseInt(res.Value(i, "finished"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("backfill commits row %d: %w", i, err)
		}
		scope := res.Value(i, "scope")
		out[scope] = append(out[scope], BackfillCommit{ID: res.Value(i, "backfill_id"), Month: m, FinishedAt: time.Unix(sec, 0).UTC()})
	}
	return out, nil
}

// LastSuccess returns, per {job, scope}, the finish time of the last
// successful run recorded in sync_runs.
func (s *Sink) LastSuccess(ctx context.Context) (map[[2]string]time.Time, error) {
	res, err := s.eng.query(ctx, fmt.Sprintf(
		"SELECT job, scope, toUInt32(max(finished_at)) FROM %s.sync_runs WHERE status = %s GROUP BY job, scope",
		s.cfg.Database, quote(RunSuccess)))
	if err != nil {
		return nil, fmt.Errorf("last success: %w", err)
	}
	out := make(map[[2]string]time.Time, len(res.Rows))
	for _, r := range res.Rows {
		sec, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("last success: parse %q: %w", r[2], err)
		}
		out[[2]string{r[0], r[1]}] = time.Unix(sec, 0).UTC()
	}
	return out, nil
}
