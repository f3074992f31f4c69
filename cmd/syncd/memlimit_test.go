package main

import (
	"errors"
	"os"
	"runtime/debug"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestApplyMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	var container uint64 = 512 << 20

	t.Setenv("GOMEMLIMIT", "400MiB")
	if m := applyMemoryLimit(memlimit.Limit(container)); m.soft != 0 {
		t.Errorf("with GOMEMLIMIT set: applied %+v, want nothing", m)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the runtime limit changed to %d", got)
	}
	t.Setenv("GOMEMLIMIT", "")

	m := applyMemoryLimit(memlimit.Limit(container))
	if want := int64(float64(container) * memLimitRatio); m.soft != want || m.container != int64(container) {
		t.Errorf("applied %+v, want soft %d of container %d", m, want, container)
	}
	if got := debug.SetMemoryLimit(-1); got != m.soft {
		t.Errorf("runtime limit %d, want %d", got, m.soft)
	}
	debug.SetMemoryLimit(before)
	for _, err := range []error{memlimit.ErrNoLimit, memlimit.ErrCgroupsNotSupported, errors.New("unreadable")} {
		if m := applyMemoryLimit(func() (uint64, error) { return 0, err }); m.soft != 0 {
			t.Errorf("%v: applied %+v", err, m)
		}
		if got := debug.SetMemoryLimit(-1); got != before && got != 1<<63-1 {
			t.Errorf("%v: runtime limit %d, want the default", err, got)
		}
	}
}

func TestApplyGCPercent(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	t.Setenv("GOGC", "200")
	if got := applyGCPercent(); got != 0 {
		t.Errorf("with GOGC set: applied %d, want nothing", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the collector's target changed to %d", got)
	}
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	if got := applyGCPercent(); got != defaultGCPercent {
		t.Errorf("applied %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("collector's target %d, want %d", got, defaultGCPercent)
	}
}
