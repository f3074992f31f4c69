package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memLimitRatio is the share of the container's memory limit given to the
// Go heap when GOMEMLIMIT is not set: the rest covers stacks, the runtime
// and, on the embedded engine, chDB's own memory.
const memLimitRatio = 0.9

// memLimit is the soft memory limit set from the container's limit (zero
// when none was set), for the command to log once its logger exists.
type memLimit struct{ soft, container int64 }

// applyMemoryLimit sets the Go soft memory limit to memLimitRatio of the
// memory limit that container reports (memlimit.FromCgroup in production:
// cgroup v2 memory.max or v1 memory.limit_in_bytes, read by automemlimit),
// unless GOMEMLIMIT is set (the runtime already applies it) or there is no
// limit. Without it the heap may grow to twice the live data (GOGC=100) and
// a container with a tight limit is killed although syncd's live memory fits.
func applyMemoryLimit(container memlimit.Provider) memLimit {
	var found uint64
	soft, err := memlimit.Set(memlimit.WithRatio(memLimitRatio), memlimit.WithProvider(func() (uint64, error) {
		l, err := container()
		if err != nil {
			return 0, memlimit.ErrNoLimit // not in a container, or no limit: leave the runtime's default
		}
		found = l
		return l, nil // Set applies the ratio
	}))
	if err != nil || found == 0 {
		return memLimit{}
	}
	return memLimit{soft: soft, container: int64(found)}
}

func (m memLimit) log(logger *slog.Logger) {
	if m.soft > 0 {
		logger.Info("Go soft memory limit set from the container's memory limit (set GOMEMLIMIT to override)",
			"limit_mib", m.soft>>20, "container_limit_mib", m.container>>20)
	}
}

type memLimitKey struct{}

// withMemLimit passes what main applied to the command, which logs it.
func withMemLimit(ctx context.Context, m memLimit) context.Context {
	return context.WithValue(ctx, memLimitKey{}, m)
}

func memLimitFrom(ctx context.Context) memLimit {
	m, _ := ctx.Value(memLimitKey{}).(memLimit)
	return m
}

// defaultGCPercent is the collector's target when GOGC is not set: the heap
// may grow to 1.5× the live data after a collection instead of 2×. A month
// keeps 28–49 MiB live whatever its size, but on a busy machine a
// collection starved of CPU lets the heap run past its goal: at GOGC=100 a
// 5.15M-record month peaked at 119–172 MiB RSS, at 50 at 95 MiB, with the
// month still faster than a raw insert (docs/performance.md, issue 14).
const defaultGCPercent = 50

// applyGCPercent sets the collector's target to defaultGCPercent unless
// GOGC is set (the runtime already applies it), and returns the target
// it set (0: none).
func applyGCPercent() int {
	if _, set := os.LookupEnv("GOGC"); set {
		return 0
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}
