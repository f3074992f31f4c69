package sink

// Fault points are named places in the month swap (Commit and swap) at which
// the hook given with WithFaultHook is called: a syncd binary built with
// -tags faultinject kills itself there when told to (cmd/syncd,
// SYNCD_FAULT_CRASH_AT), so that the reliability suite reaches each of them
// deterministically instead of by timing. Without a hook they do nothing.
const (
	FaultStaged     = "staged"      // a block was inserted into a staging table by Commit
	FaultBeforeSwap = "before-swap" // a month is validated, before its first REPLACE PARTITION
	FaultSwapped    = "swapped:"    // + table: that table's partition was just replaced
)

// WithFaultHook makes the sink call hook(point) at every fault point.
func WithFaultHook(hook func(point string)) Option { return func(s *Sink) { s.fault = hook } }

// faultPoint calls the fault hook, if any.
func (s *Sink) faultPoint(point string) {
	if s.fault != nil {
		s.fault(point)
	}
}
