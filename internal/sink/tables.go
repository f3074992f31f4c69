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

// tables lists every table the sink writes, for pre-created metric labels.
var tables = []string{
	TableCostRecords, TableBillSummaries, TableBalances, TableResourcePackages,
	TableOrgUnits, TableAccounts, TableSyncRuns, TableAmortizedCosts, TableMemberFunds, TableFeeRecords,
}

// The row specs: columns and their writers come from the rows' ch tags (rows.go).
var (
	costRecordSpec      = specOf[CostRecord](TableCostRecords)
	billSummarySpec     = specOf[BillSummary](TableBillSummaries)
	balanceSpec         = specOf[BalanceSnapshot](TableBalances)
	resourcePackageSpec = specOf[ResourcePackageSnapshot](TableResourcePackages)
	orgUnitSpec         = specOf[OrgUnit](TableOrgUnits)
	accountSpec         = specOf[Account](TableAccounts)
	syncRunSpec         = specOf[SyncRun](TableSyncRuns)
)
