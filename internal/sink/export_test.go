package sink

import "context"

// SetBeforeSwap makes s call f before each REPLACE PARTITION attempt of a
// month or org swap, with the target table and the staging table's
// unqualified name; an error from f fails that attempt.
func SetBeforeSwap(s *Sink, f func(ctx context.Context, table, staging string) error) {
	s.beforeSwap = f
}

// RowSpecs returns, for each table the sink writes rows into, its columns
// and their ClickHouse types as the row specs declare them.
func RowSpecs() map[string][][2]string {
	out := map[string][][2]string{}
	add := func(table string, names, types []string) {
		for i := range names {
			out[table] = append(out[table], [2]string{names[i], types[i]})
		}
	}
	add(costRecordSpec.table, costRecordSpec.columns(), costRecordSpec.types())
	add(billSummarySpec.table, billSummarySpec.columns(), billSummarySpec.types())
	add(balanceSpec.table, balanceSpec.columns(), balanceSpec.types())
	add(resourcePackageSpec.table, resourcePackageSpec.columns(), resourcePackageSpec.types())
	add(orgUnitSpec.table, orgUnitSpec.columns(), orgUnitSpec.types())
	add(accountSpec.table, accountSpec.columns(), accountSpec.types())
	add(syncRunSpec.table, syncRunSpec.columns(), syncRunSpec.types())
	add(memberFundsSpec.table, memberFundsSpec.columns(), memberFundsSpec.types())
	add(manifestSpec.table, manifestSpec.columns(), manifestSpec.types())
	add(migrationSpec.table, migrationSpec.columns(), migrationSpec.types())
	add(feeRecordSpec.table, feeRecordSpec.columns(), feeRecordSpec.types())
	add(feeTable.manifests, feeTable.manifestSpec.columns(), feeTable.manifestSpec.types())
	add(amortizedTable.manifests, amortizedTable.manifestSpec.columns(), amortizedTable.manifestSpec.types())
	return out
}
