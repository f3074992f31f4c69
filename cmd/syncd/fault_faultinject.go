//go:build faultinject

package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/syncd-io/syncd/internal/jobs"
)

// PanicJobEnv names the variable that makes every run of one job panic in
// a binary built with -tags faultinject (test/reliability does), so that the
// scheduler's recovery can be proven from outside the process:
//
//	SYNCD_FAULT_PANIC_JOB=balances
//
// SYNCD_FAULT_CRASH_AT (kill -9 at a sink fault point) is read by
// internal/sink.
const PanicJobEnv = "SYNCD_FAULT_PANIC_JOB"

func init() {
	job := os.Getenv(PanicJobEnv)
	if job == "" {
		return
	}
	if !slices.Contains(jobs.AllJobs, job) {
		fmt.Fprintf(os.Stderr, "syncd: %s: unknown job %q (want one of %s)\n", PanicJobEnv, job, strings.Join(jobs.AllJobs, ", "))
		os.Exit(exitUsage)
	}
	injectFaults = func(p *Program) {
		p.Logger.Warn("fault injection: every run of this job panics", "job", job, "variable", PanicJobEnv)
		p.runners[job] = func(context.Context, jobs.Window) error { return panicJob(job) }
	}
}

// panicJob panics the way a bug would: a nil map written deep in a job.
func panicJob(job string) error {
	var m map[string]int
	m[job]++ //nolint:staticcheck // SA5000: the assignment to an entry in a nil map is the point
	return nil
}
