package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// RunFunc is what a job does; w is an explicit window of bill months or the
// zero Window ("what the schedule needs").
type RunFunc func(ctx context.Context, w Window) error

// Outcome is how one run of a job ended.
type Outcome struct {
	// Result is a Result* value: success, failure, panic or interrupted.
	Result string
	// Err is the run's error (nil on success); for a panic, the panic.
	Err      error
	Start    time.Time
	Duration time.Duration
}

// Runner runs jobs the one way both the daemon's scheduler and `syncd sync`
// do: a run ID in the context (and in every log line of the run), an
// optional timeout, panic recovery with the panicking stack, an
// interruption told apart from a failure, one log line for the outcome, and
// the syncd_job_runs_total/duration metrics. The jobs themselves write their
// sync_runs rows (one per scope) through their RunLog.
type Runner struct {
	Logger  *slog.Logger
	Metrics *Metrics
	Now     func() time.Time
}

// Run runs fn as job name. A timeout of zero means none.
func (r *Runner) Run(ctx context.Context, name string, timeout time.Duration, fn RunFunc, w Window) Outcome {
	now := clock(r.Now)
	id := NewRunID()
	ctx = WithRunID(ctx, id)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	logger := r.Logger.With("job", name, "run_id", id)
	start := now()
	logger.Debug("job started")
	value, stack, err := runRecovering(ctx, fn, w)
	o := Outcome{Err: err, Start: start, Duration: now().Sub(start)}
	switch {
	case stack != "":
		o.Result = ResultPanic
		logger.Error("job panicked", "duration", o.Duration, "panic", value, "stack", stack)
	case Interrupted(ctx, err):
		// SIGINT/SIGTERM or the daemon's shutdown: not a failure; what was
		// committed stays.
		o.Result = ResultInterrupted
		logger.Info("job interrupted", "duration", o.Duration, "err", err)
	case err != nil:
		o.Result = ResultFailure
		logger.Error("job failed", "duration", o.Duration, "err", err)
	default:
		o.Result = ResultSuccess
		logger.Info("job succeeded", "duration", o.Duration)
	}
	r.Metrics.ObserveRun(name, o.Result, o.Duration)
	return o
}

// runRecovering runs fn, turning a panic into an error and the panicking
// goroutine's stack (helper goroutines of a job carry theirs over, see
// capturePanic), so that one job's bug neither kills the process nor skips
// the deferred clean-up.
func runRecovering(ctx context.Context, fn RunFunc, w Window) (value, stack string, err error) {
	defer func() {
		if v := recover(); v != nil {
			value, stack = fmt.Sprint(v), string(debug.Stack())
			err = fmt.Errorf("job panicked: %s", value)
		}
	}()
	return "", "", fn(ctx, w)
}
