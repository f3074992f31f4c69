package jobs

import (
	"slices"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

func TestResumePlan(t *testing.T) {
	// 2024-05-15 12:00 UTC+8: April is final (since May 3rd, 10:00), May is open.
	now := time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)
	w := Window{From: bss.Month{Year: 2024, Month: 1}, To: bss.Month{Year: 2024, Month: 5}}
	month := func(m time.Month) time.Time { return time.Date(2024, m, 1, 0, 0, 0, 0, time.UTC) }
	at := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 0, 0, 0, 0, time.UTC) }
	c := func(id string, m time.Month, fin time.Time) sink.BackfillCommit {
		return sink.BackfillCommit{ID: id, Month: month(m), FinishedAt: fin}
	}
	ms := func(ns ...time.Month) []bss.Month {
		var out []bss.Month
		for _, n := range ns {
			out = append(out, bss.Month{Year: 2024, Month: n})
		}
		return out
	}
	cases := []struct {
		name    string
		commits []sink.BackfillCommit
		wantID  string
		skip    []bss.Month
	}{
		{"no earlier run", nil, "", nil},
		{"interrupted after two months", []sink.BackfillCommit{c("a", 1, at(5, 10)), c("a", 2, at(5, 10))}, "a", ms(1, 2)},
		{"the open month never counts", []sink.BackfillCommit{c("a", 1, at(5, 10)), c("a", 5, at(5, 10))}, "a", ms(1)},
		// April was committed on May 2nd, before it became final: read again.
		{"committed while provisional", []sink.BackfillCommit{c("a", 1, at(5, 10)), c("a", 4, at(5, 2))}, "a", ms(1)},
		{"complete: a new, full backfill", []sink.BackfillCommit{c("a", 1, at(5, 10)), c("a", 2, at(5, 10)), c("a", 3, at(5, 10)), c("a", 4, at(5, 10))}, "", nil},
		// A new backfill b started after a completed: only b's months count.
		{"latest backfill only", []sink.BackfillCommit{c("a", 1, at(5, 10)), c("a", 2, at(5, 10)), c("a", 3, at(5, 10)), c("a", 4, at(5, 10)), c("b", 1, at(5, 12))}, "b", ms(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, skip := resumePlan(tc.commits, w, now, 3, 10)
			if id != tc.wantID || !slices.Equal(skip, tc.skip) {
				t.Errorf("resumePlan = %q, %v; want %q, %v", id, skip, tc.wantID, tc.skip)
			}
		})
	}
}
