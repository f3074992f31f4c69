package runspool

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
)

var spoolT0 = time.Date(2024, 5, 15, 4, 0, 0, 0, time.UTC)

func failureRow(id string) sink.SyncRun {
	return sink.SyncRun{RunID: id, Job: "bills", Scope: "acme", BillCycle: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		StartedAt: spoolT0, FinishedAt: spoolT0.Add(time.Minute), Status: sink.RunFailure, APICalls: 7,
		Error: "month 2024-05: commit month acme 2024-05: dial tcp 127.0.0.1:9000: connect: connection refused"}
}

// TestSpoolRowRoundTrip: every field survives the spool exactly.
func TestSpoolRowRoundTrip(t *testing.T) {
	rows := []sink.SyncRun{
		{RunID: "a1", Job: "bills", Scope: "prod-eu", BillCycle: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
			StartedAt: spoolT0, FinishedAt: spoolT0.Add(1500 * time.Millisecond), Status: sink.RunSuccess, Rows: 123456, APICalls: 42,
			ItemisedAmount: decimal.RequireFromString("12345678901234567890.12345678"), SummaryAmount: decimal.RequireFromString("-0.00000001"),
			Drift: decimal.RequireFromString("0.1"), Currency: "CNY"},
		{RunID: "a2", Job: "balances", Scope: "dev", StartedAt: spoolT0, FinishedAt: spoolT0, Status: sink.RunFailure,
			Error: "balances scope dev: \"quoted\" \\ newline\n…"},
	}
	var b bytes.Buffer
	for _, r := range rows {
		line, err := MarshalRow(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	got, bad := decodeSpool(b.Bytes())
	if len(bad) != 0 || len(got) != len(rows) {
		t.Fatalf("decoded %d rows, %v bad; want %d", len(got), bad, len(rows))
	}
	for i := range rows {
		if d := diffRuns(got[i], rows[i]); d != "" {
			t.Errorf("row %d: %s", i, d)
		}
	}
}

// diffRuns describes how got differs from want, or "".
func diffRuns(got, want sink.SyncRun) string {
	var d []string
	if !got.BillCycle.Equal(want.BillCycle) || !got.StartedAt.Equal(want.StartedAt) || !got.FinishedAt.Equal(want.FinishedAt) {
		d = append(d, fmt.Sprintf("times %v/%v/%v, want %v/%v/%v", got.BillCycle, got.StartedAt, got.FinishedAt, want.BillCycle, want.StartedAt, want.FinishedAt))
	}
	for _, p := range [][2]decimal.Decimal{{got.ItemisedAmount, want.ItemisedAmount}, {got.SummaryAmount, want.SummaryAmount}, {got.Drift, want.Drift}} {
		if !p[0].Equal(p[1]) {
			d = append(d, fmt.Sprintf("amount %s, want %s", p[0], p[1]))
		}
	}
	got.BillCycle, got.StartedAt, got.FinishedAt, got.ItemisedAmount, got.SummaryAmount, got.Drift = time.Time{}, time.Time{}, time.Time{}, decimal.Zero, decimal.Zero, decimal.Zero
	want.BillCycle, want.StartedAt, want.FinishedAt, want.ItemisedAmount, want.SummaryAmount, want.Drift = time.Time{}, time.Time{}, time.Time{}, decimal.Zero, decimal.Zero, decimal.Zero
	if fmt.Sprint(got) != fmt.Sprint(want) {
		d = append(d, fmt.Sprintf("%+v, want %+v", got, want))
	}
	return strings.Join(d, "; ")
}

// FuzzDecodeSpool: any file content is read without panicking; every row
// read has a run_id and a job and survives a second round trip unchanged.
func FuzzDecodeSpool(f *testing.F) {
	line, _ := MarshalRow(failureRow("r1"))
	f.Add(append(line, '\n'))
	f.Add([]byte(`{"v":1,"run_id":"x","job":"bills","bill_cycle":"2024-13-01"}`))
	f.Add([]byte("\n\n{\"v\":1}\n\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, _ := decodeSpool(b)
		for _, r := range rows {
			if r.RunID == "" || r.Job == "" {
				t.Fatalf("row without run_id or job: %+v", r)
			}
			line, err := MarshalRow(r)
			if err != nil {
				t.Fatal(err)
			}
			again, bad := decodeSpool(line)
			if len(bad) != 0 || len(again) != 1 {
				t.Fatalf("re-encoded row %s does not decode: %v", line, bad)
			}
			if d := diffRuns(again[0], r); d != "" {
				t.Fatalf("round trip: %s", d)
			}
		}
	})
}
