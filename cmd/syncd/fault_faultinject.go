//go:build faultinject

package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// The variables a binary built with -tags faultinject reads (test/reliability
// builds one), so that recovery can be proven from outside the process; their
// values and the crash points are in docs/reliability.md ("Fault injection").
const (
	PanicJobEnv = "SYNCD_FAULT_PANIC_JOB"
	CrashAtEnv  = "SYNCD_FAULT_CRASH_AT"
)

var crashAliases = map[string]string{
	"between-swaps": sink.FaultSwapped + sink.TableCostRecords,
	"after-swaps":   sink.FaultSwapped + sink.TableBillSummaries,
}

func loadFaults(getenv func(string) string) (faults, error) {
	var f faults
	if job := getenv(PanicJobEnv); job != "" {
		if !slices.Contains(jobs.AllJobs, job) {
			return f, fmt.Errorf("%s: unknown job %q (want one of %s)", PanicJobEnv, job, strings.Join(jobs.AllJobs, ", "))
		}
		f.panicking = job
	}
	spec := getenv(CrashAtEnv)
	if spec == "" {
		return f, nil
	}
	point, n, err := parseCrashAt(spec)
	if err != nil {
		return f, fmt.Errorf("%s=%s: %w", CrashAtEnv, spec, err)
	}
	var reached atomic.Int64
	f.sinkHook = func(p string) {
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
	return f, nil
}

// parseCrashAt parses <point>[:<n>] into the sink's point name and n.
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
	case sink.FaultStaged, sink.FaultBeforeSwap:
	case sink.FaultSwapped + sink.TableCostRecords, sink.FaultSwapped + sink.TableBillSummaries,
		sink.FaultSwapped + sink.TableOrgUnits, sink.FaultSwapped + sink.TableAccounts:
	default:
		return "", 0, errors.New("unknown point (want staged, before-swap, between-swaps, after-swaps or swapped:<table>, optionally :<n>)")
	}
	return point, n, nil
}
