package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
)

// TestProgressDisplayKeepsLogsAbove checks the bytes the display sends to
// the terminal: a log line clears the status line, is written whole, and
// the status line is drawn again after it; a log write without its newline
// waits for the rest; the end replaces the status line with the totals.
func TestProgressDisplayKeepsLogsAbove(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	d := newProgressDisplay(&out, func() time.Time { return now })
	d.width = func() int { return 60 }
	m := bss.Month{Year: 2026, Month: 11}
	d.update(jobs.Progress{Total: 4, Done: 1, Committed: 1, Scope: "acme", Month: m, Rows: 10, APICalls: 2})
	line := "\r\033[K" + cut(formatProgress(jobs.Progress{Total: 4, Done: 1, Committed: 1, Scope: "acme", Month: m, Rows: 10, APICalls: 2}, 0), 59)
	if got := out.String(); got != line {
		t.Fatalf("first draw = %q, want %q", got, line)
	}
	if r := []rune(strings.TrimPrefix(line, "\r\033[K")); len(r) != 59 || r[58] != '…' {
		t.Errorf("the status line is not cut to the width less one column: %q", string(r))
	}
	out.Reset()
	if _, err := d.Write([]byte("level=INFO msg=\"month ")); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("half a log line reached the terminal: %q", out.String())
	}
	if _, err := d.Write([]byte("committed\"\n")); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "\r\033[Klevel=INFO msg=\"month committed\"\n"+strings.TrimPrefix(line, "\r\033[K"); got != want {
		t.Errorf("log write = %q, want %q", got, want)
	}
	out.Reset()
	now = now.Add(3 * time.Second)
	d.update(jobs.Progress{Total: 4, Done: 4, Committed: 3, Scope: "acme", Month: m, Rows: 40, APICalls: 9})
	out.Reset()
	d.finish()
	if got, want := out.String(), "\r\033[Kbills: 3 of 4 months×scopes committed, 1 not committed  rows 40  api calls 9  in 3s\n"; got != want {
		t.Errorf("finish = %q, want %q", got, want)
	}
	out.Reset()
	if _, err := d.Write([]byte("level=INFO msg=after\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "level=INFO msg=after\n" {
		t.Errorf("a log line after the end = %q, want it as written", got)
	}
	d.finish()
	if out.String() != "level=INFO msg=after\n" {
		t.Errorf("a second finish wrote %q", out.String())
	}
}

// TestProgressTotalsOfTwoRuns checks that the totals line adds a recheck's
// months to the bills run before it.
func TestProgressTotalsOfTwoRuns(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	d := newProgressDisplay(&out, func() time.Time { return now })
	d.width = func() int { return 0 }
	d.update(jobs.Progress{Total: 2, Done: 2, Committed: 2, Rows: 5, APICalls: 3})
	d.update(jobs.Progress{Total: 3, Done: 1, Committed: 1, Rows: 1, APICalls: 1})
	out.Reset()
	d.finish()
	if got, want := out.String(), "\r\033[Kbills: 3 of 5 months×scopes committed, 2 not reached  rows 6  api calls 4  in 0s\n"; got != want {
		t.Errorf("finish = %q, want %q", got, want)
	}
}
