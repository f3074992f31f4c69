package sink

// Fault points are named places in the month swap (Commit and swap) at which
// a binary built with -tags faultinject kills itself when told to by
// SYNCD_FAULT_CRASH_AT (fault_faultinject.go), so that the reliability suite
// reaches each of them deterministically instead of by timing.
const (
	faultStaged     = "staged"      // a block was inserted into a staging table by Commit
	faultBeforeSwap = "before-swap" // a month is validated, before its first REPLACE PARTITION
	faultSwapped    = "swapped:"    // + table: that table's partition was just replaced
)

// faultPoint is called at every fault point. In the default build it stays
// a no-op: no environment variable can make the sink fail on purpose.
var faultPoint = func(string) {}
