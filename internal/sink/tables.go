package sink

// Table names of the data contract.
const (
	TableCostRecords      = "cost_records"
	TableBillSummaries    = "bill_summaries"
	TableBalances         = "balances"
	TableResourcePackages = "resource_packages"
	TableOrgUnits         = "org_units"
	TableAccounts         = "accounts"
	TableSyncRuns         = "sync_runs"
)

// The row specs: columns and their writers come from the rows' ch tags (rows.go).
var (
	costRecordSpec      = dataTable(specOf[CostRecord](TableCostRecords))
	billSummarySpec     = dataTable(specOf[BillSummary](TableBillSummaries))
	balanceSpec         = dataTable(specOf[BalanceSnapshot](TableBalances))
	resourcePackageSpec = dataTable(specOf[ResourcePackageSnapshot](TableResourcePackages))
	orgUnitSpec         = dataTable(specOf[OrgUnit](TableOrgUnits))
	accountSpec         = dataTable(specOf[Account](TableAccounts))
	syncRunSpec         = dataTable(specOf[SyncRun](TableSyncRuns))
)

// writtenTable is a table the sink writes rows into, as its row spec
// declares it.
type writtenTable struct {
	name           string
	columns, types []string
	// data: a table of the data contract, whose syncd_clickhouse_* and
	// syncd_rows_written_total series are pre-created; false for the sink's
	// bookkeeping (manifests, applied migrations).
	data bool
}

// written lists every table the sink writes, in the order the package
// declares their row specs with dataTable or bookkeepingTable, so a new table
// is declared once, where its row spec is: the pre-created metric labels
// (dataTables) and TestRowSpecs come from here.
var written []writtenTable

// dataTable declares the row spec of a table of the data contract.
func dataTable[R any](spec *tableSpec[R]) *tableSpec[R] { return declare(spec, true) }

// bookkeepingTable declares the row spec of a table the sink keeps for
// itself (manifests, applied migrations).
func bookkeepingTable[R any](spec *tableSpec[R]) *tableSpec[R] { return declare(spec, false) }

func declare[R any](spec *tableSpec[R], data bool) *tableSpec[R] {
	written = append(written, writtenTable{name: spec.table, columns: spec.columns(), types: spec.types(), data: data})
	return spec
}

// dataTables lists the tables of the data contract the sink writes, for
// pre-created metric labels.
func dataTables() []string {
	var out []string
	for _, t := range written {
		if t.data {
			out = append(out, t.name)
		}
	}
	return out
}
