//go:build faultinject

package sink

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// CrashAtEnv names the variable that makes a faultinject build kill itself
// (SIGKILL, as kill -9 would) at a fault point:
//
//	SYNCD_FAULT_CRASH_AT=<point>[:<n>]   the n-th time (default 1) the point is reached
//
// Points:
//
//	staged           after Commit inserted a block into a staging table
//	before-swap      a month is validated, before its first REPLACE PARTITION
//	between-swaps    cost_records swapped, bill_summaries not yet (= swapped:cost_records)
//	after-swaps      both tables swapped, before the sync_runs row (= swapped:bill_summaries)
//	swapped:<table>  after the swap of any table (org_units, accounts too)
const CrashAtEnv = "SYNCD_FAULT_CRASH_AT"

var crashAliases = map[string]string{
	"between-swaps": faultSwapped + TableCostRecords,
	"after-swaps":   faultSwapped + TableBillSummaries,
}

func init() {
	spec := os.Getenv(CrashAtEnv)
	if spec == "" {
		return
	}
	point, n, err := parseCrashAt(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "syncd: %s=%s: %v\n", CrashAtEnv, spec, err)
		os.Exit(2)
	}
	var reached atomic.Int64
	faultPoint = func(p string) {
		if p != point || reached.Add(1) != int64(n) {
			return
		}
		fmt.Fprintf(os.Stderr, "fault injection: SIGKILL at %s (reached %d times)\n", spec, n)
		self, err := os.FindProcess(os.Getpid())
		if err == nil {
			err = self.Kill()
		}
		if err != nil {
			panic(fmt.Sprintf("fault injection: cannot kill itself at %s: %v", spec, err))
		}
		select {} // the signal is on its way
	}
}

// parseCrashAt parses <point>[:<n>] into the internal point name and n.
func parseCrashAt(spec string) (string, int, error) {
	point, n := spec, 1
	if i := strings.LastIndex(spec, ":"); i >= 0 && !strings.HasSuffix(spec[:i], "swapped") {
		v, err := strconv.Atoi(spec[i+1:])
		if err != nil || v < 1 {
			return "", 0, fmt.Errorf("%q is not a positive count", spec[i+1:])
		}
		point, n = spec[:i], v
	}
	if a, ok := crashAliases[point]; ok {
		point = a
	}
	switch point {
	case faultStaged, faultBeforeSwap:
	case faultSwapped + TableCostRecords, faultSwapped + TableBillSummaries, faultSwapped + TableOrgUnits, faultSwapped + TableAccounts:
	default:
		return "", 0, errors.New("unknown point (want staged, before-swap, between-swaps, after-swaps or swapped:<table>, optionally :<n>)")
	}
	return point, n, nil
}
