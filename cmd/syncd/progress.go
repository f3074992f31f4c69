package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/syncd-io/syncd/internal/jobs"
)

// isTerminal reports whether w is a character device (a terminal), where a
// self-overwriting progress line makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressDisplay draws one status line for a bills run: (scope, month)
// pairs done of total, rows, API calls and an ETA from the pace so far.
type progressDisplay struct {
	w     io.Writer
	now   func() time.Time
	start time.Time

	mu   sync.Mutex
	last time.Time
	drew bool
}

func newProgressDisplay(w io.Writer, now func() time.Time) *progressDisplay {
	return &progressDisplay{w: w, now: now, start: now()}
}

// update redraws the line at most ten times a second (and always when a
// month completes).
func (d *progressDisplay) update(p jobs.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if now.Sub(d.last) < 100*time.Millisecond && p.Done < p.Total {
		return
	}
	d.last = now
	d.drew = true
	fmt.Fprintf(d.w, "\r\033[K%s", formatProgress(p, now.Sub(d.start)))
}

// finish ends the line.
func (d *progressDisplay) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.drew {
		fmt.Fprintln(d.w)
	}
}

// formatProgress renders a progress line; the ETA extrapolates the time per
// completed (scope, month).
func formatProgress(p jobs.Progress, elapsed time.Duration) string {
	eta := "?"
	if p.Done > 0 {
		left := time.Duration(float64(elapsed) / float64(p.Done) * float64(p.Total-p.Done))
		eta = left.Round(time.Second).String()
	}
	return fmt.Sprintf("bills %d/%d months×scopes  %s %s  rows %d  api calls %d  elapsed %s  eta %s",
		p.Done, p.Total, p.Scope, p.Month, p.Rows, p.APICalls, elapsed.Round(time.Second), eta)
}
