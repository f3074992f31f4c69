package main

import (
	"context"

	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// faults is the fault injection of a binary built with -tags faultinject
// (fault_faultinject.go reads it from the environment); loadFaults of the
// default build (fault_off.go) returns none, so no environment variable can
// make syncd fail on purpose.
type faults struct {
	// panicking, if set, names the job whose every run panics.
	panicking string
	// sinkHook, if set, is called at the sink's fault points.
	sinkHook func(point string)
}

// sinkOptions passes the sink's part on.
func (f faults) sinkOptions() []sink.Option {
	if f.sinkHook == nil {
		return nil
	}
	return []sink.Option{sink.WithFaultHook(f.sinkHook)}
}

// apply arms the job part on a built program.
func (f faults) apply(p *Program) {
	if f.panicking == "" {
		return
	}
	job := f.panicking
	p.Logger.Warn("fault injection: every run of this job panics", "job", job)
	p.runners[job] = func(context.Context, jobs.Window) error { return panicJob(job) }
}

// panicJob panics the way a bug would: a nil map written deep in a job.
func panicJob(job string) error {
	var m map[string]int
	m[job]++ //nolint:staticcheck // SA5000: the assignment to an entry in a nil map is the point
	return nil
}
