package sink

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// DropScopeBills removes every stored bill month (cost_records and
// bill_summaries) of scope, one DROP PARTITION per table and month, and
// returns how many months it removed. The bills job calls it for a scope
// whose bills are stored under another scope (an enterprise member configured
// beside its master), so that an earlier double copy disappears; nothing is
// done when the scope holds no bills.
func (s *Sink) DropScopeBills(ctx context.Context, scope string) (int, error) {
	q := fmt.Sprintf("SELECT DISTINCT toString(toYYYYMM(bill_cycle)) AS m FROM %[1]s.%[2]s WHERE scope = %[4]s "+
		"UNION ALL SELECT DISTINCT toString(toYYYYMM(bill_cycle)) AS m FROM %[1]s.%[3]s WHERE scope = %[4]s",
		s.cfg.Database, TableCostRecords, TableBillSummaries, quote(scope))
	res, err := s.eng.query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("drop bills of scope %s: %w", scope, err)
	}
	months := make(map[string]bool)
	for i := range res.Rows {
		months[res.Value(i, "m")] = true
	}
	if s.cfg.Cluster != "" {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"replication_alter_partitions_sync": 2}))
	}
	for m := range months {
		for _, t := range []string{TableCostRecords, TableBillSummaries} {
			stmt := fmt.Sprintf("ALTER TABLE %s.%s DROP PARTITION (%s, %s)", s.cfg.Database, t, quote(scope), m)
			if err := s.eng.exec(ctx, stmt); err != nil {
				return 0, fmt.Errorf("drop bills of scope %s, month %s, from %s: %w", scope, m, t, err)
			}
		}
	}
	return len(months), nil
}
