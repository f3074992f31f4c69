package jobs

import (
	"fmt"
	"runtime/debug"
)

// helperPanic carries a panic out of a goroutine a job started, so that the
// job's own goroutine raises it again where the scheduler (or syncd sync)
// recovers and counts it; unrecovered, it would kill the process.
type helperPanic struct {
	value any
	stack []byte
}

// capturePanic recovers a panic into *p; use as `defer capturePanic(&p)`.
func capturePanic(p **helperPanic) {
	if r := recover(); r != nil {
		*p = &helperPanic{value: r, stack: debug.Stack()}
	}
}

// repanic raises the captured panic, with the helper goroutine's stack, in
// the calling goroutine; it does nothing on nil.
func (p *helperPanic) repanic() {
	if p != nil {
		panic(fmt.Sprintf("%v\n\n[raised in a helper goroutine of the job]\n%s", p.value, p.stack))
	}
}
