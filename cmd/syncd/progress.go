package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

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

// terminalWidth is the width in columns of the terminal behind w, or 0 when
// it cannot be told.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}

// progressDisplay draws one status line for a bills run at the bottom of a
// terminal: (scope, month) pairs done of total, rows, API calls and an ETA
// from the pace so far. It is also the writer of the log lines while it
// runs, so that the two never interleave: a log line clears the status line,
// is written in its place, and the status line is drawn again below it.
type progressDisplay struct {
	w     io.Writer
	now   func() time.Time
	width func() int // terminal columns, 0 if unknown; the line is cut to fit so that \r returns to its start
	start time.Time

	mu      sync.Mutex
	last    time.Time
	line    string // the status line on screen, "" when none is
	partial []byte // a log write not yet ended by a newline
	cur     jobs.Progress
	done    jobs.Progress // totals of the earlier bills runs of this sync (bills, then recheck)
	seen    bool
}

func newProgressDisplay(w io.Writer, now func() time.Time) *progressDisplay {
	return &progressDisplay{w: w, now: now, start: now(), width: func() int { return terminalWidth(w) }}
}

// update redraws the line at most ten times a second (and always when a
// month completes).
func (d *progressDisplay) update(p jobs.Progress) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen && (p.Total != d.cur.Total || p.Done < d.cur.Done) {
		// A new bills run (recheck after bills): keep the first one's totals.
		d.done = addProgress(d.done, d.cur)
	}
	d.cur, d.seen = p, true
	now := d.now()
	if now.Sub(d.last) < 100*time.Millisecond && p.Done < p.Total {
		return
	}
	d.last = now
	d.draw(formatProgress(p, now.Sub(d.start)))
}

// draw replaces the status line with s.
func (d *progressDisplay) draw(s string) {
	if n := d.width(); n > 1 {
		s = cut(s, n-1)
	}
	d.line = s
	fmt.Fprintf(d.w, "\r\033[K%s", s)
}

// Write writes log output above the status line. A log handler writes one
// whole record per call; a write without a final newline is held back
// until its line is complete, so a status line is never drawn inside it.
func (d *progressDisplay) Write(b []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.partial = append(d.partial, b...)
	i := bytes.LastIndexByte(d.partial, '\n')
	if i < 0 {
		return len(b), nil
	}
	out := d.partial[:i+1]
	var err error
	if d.line != "" {
		_, err = fmt.Fprintf(d.w, "\r\033[K%s%s", out, d.line)
	} else {
		_, err = d.w.Write(out)
	}
	d.partial = append(d.partial[:0], d.partial[i+1:]...)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// finish replaces the status line with the totals of the run and ends it;
// later output goes to the terminal as it comes.
func (d *progressDisplay) finish() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.partial) > 0 {
		d.partial = append(d.partial, '\n')
		if d.line != "" {
			fmt.Fprint(d.w, "\r\033[K")
			d.line = ""
		}
		_, _ = d.w.Write(d.partial)
		d.partial = d.partial[:0]
	}
	if !d.seen {
		return
	}
	total := addProgress(d.done, d.cur)
	fmt.Fprintf(d.w, "\r\033[K%s\n", formatTotals(total, d.now().Sub(d.start)))
	d.line = ""
	d.seen = false
}

// addProgress sums the counts of two bills runs.
func addProgress(a, b jobs.Progress) jobs.Progress {
	return jobs.Progress{Total: a.Total + b.Total, Done: a.Done + b.Done, Committed: a.Committed + b.Committed,
		Rows: a.Rows + b.Rows, APICalls: a.APICalls + b.APICalls}
}

// cut shortens s to at most n runes, marking the cut with an ellipsis.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
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

// formatTotals renders the last line of a bills run's display.
func formatTotals(p jobs.Progress, elapsed time.Duration) string {
	s := fmt.Sprintf("bills: %d of %d months×scopes committed", p.Committed, p.Total)
	if n := p.Done - p.Committed; n > 0 {
		s += fmt.Sprintf(", %d not committed", n)
	}
	if n := p.Total - p.Done; n > 0 {
		s += fmt.Sprintf(", %d not reached", n)
	}
	return s + fmt.Sprintf("  rows %d  api calls %d  in %s", p.Rows, p.APICalls, elapsed.Round(time.Second))
}
