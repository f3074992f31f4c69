package jobs

import (
	"sync"

	"github.com/syncd-io/syncd/internal/bss"
)

// Progress reports how far a bills run has got, for a terminal display.
type Progress struct {
	// Total and Done count (scope, month) pairs; Committed counts those of
	// Done that were committed (the others failed or were interrupted).
	Total, Done, Committed int
	// Scope and Month are the pair being synced.
	Scope string
	Month bss.Month
	// Rows and APICalls are totals of the run so far.
	Rows, APICalls int64
}

// runProgress adds up a bills run over the accounts synced side by side
// and shows it through Progress (if set), one call at a time.
type runProgress struct {
	total int
	show  func(Progress)

	mu         sync.Mutex
	done       int
	committed  int
	rows, apis int64 // of the months finished
}

// reading shows the month being read, with its rows and calls so far.
func (p *runProgress) reading(scope string, m bss.Month, rows, calls int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.show != nil {
		p.show(Progress{Total: p.total, Done: p.done, Committed: p.committed, Scope: scope, Month: m, Rows: p.rows + rows, APICalls: p.apis + calls})
	}
}

// finished counts a month as done with its rows and calls.
func (p *runProgress) finished(scope string, m bss.Month, rows, calls int64, committed bool) {
	p.mu.Lock()
	p.done++
	if committed {
		p.committed++
	}
	p.rows += rows
	p.apis += calls
	p.mu.Unlock()
	p.reading(scope, m, 0, 0)
}
