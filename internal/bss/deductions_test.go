package bss

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDecodeDeductionPage decodes a deduction page and rejects records
// without a required field, naming it.
func TestDecodeDeductionPage(t *testing.T) {
	rec := `{"deduct_time":"2024-06-01T01:00:00Z","free_resource_id":"fr-1","resource_id":"r-1","product_id":"p-1",` +
		`"available_amount":"10.500","remaining_amount":"8.250","used_amount":"2.250","measure_id":10,` +
		`"effective_time":"2024-01-01T00:00:00Z","expire_time":"2025-01-01T00:00:00Z"}`
	rows, total, err := decodeDeductionPage([]byte(`{"total_count":1,"free_resource_records":[` + rec + `]}`))
	if err != nil || total != 1 || len(rows) != 1 {
		t.Fatalf("rows %v total %d err %v", rows, total, err)
	}
	if r := rows[0]; r.Used.String() != "2.25" || r.Remaining.String() != "8.25" || r.Available.String() != "10.5" || r.MeasureID != 10 ||
		r.DeductTime.Format("2006-01-02T15:04:05Z") != "2024-06-01T01:00:00Z" {
		t.Errorf("decoded %+v", r)
	}
	for _, f := range []string{"deduct_time", "free_resource_id", "available_amount", "remaining_amount", "used_amount"} {
		body := `{"total_count":1,"free_resource_records":[` + strings.Replace(rec, `"`+f+`"`, `"x_`+f+`"`, 1) + `]}`
		_, _, err := decodeDeductionPage([]byte(body))
		var de *DecodeError
		if !errors.As(err, &de) || de.Field != "free_resource_records[0]."+f {
			t.Errorf("without %s: %v", f, err)
		}
	}
	if _, _, err := decodeDeductionPage([]byte(`{"total_count":1,"free_resource_records":[{"used_amount":"abc"}]}`)); err == nil {
		t.Error("a non-numeric used_amount decoded")
	}
	if _, _, err := decodeDeductionPage([]byte(`{"free_resource_records":[]}`)); err == nil {
		t.Error("a page without total_count decoded")
	}
}

// TestDeductWindows splits any span into windows of at most 90 days.
func TestDeductWindows(t *testing.T) {
	from := mustTime(t, "2024-01-01T00:00:00+08:00")
	w := deductWindows(from, from.AddDate(0, 0, 200))
	want := [][2]string{{"2024-01-01", "2024-03-31"}, {"2024-04-01", "2024-06-30"}, {"2024-07-01", "2024-07-19"}}
	if len(w) != len(want) {
		t.Fatalf("windows %v, want %v", w, want)
	}
	for i := range want {
		if w[i] != want[i] {
			t.Errorf("window %d = %v, want %v", i, w[i], want[i])
		}
	}
	// UTC 16:00 is the next day in UTC+8.
	if w := deductWindows(mustTime(t, "2024-01-01T16:00:00Z"), mustTime(t, "2024-01-01T16:00:00Z")); len(w) != 1 || w[0] != [2]string{"2024-01-02", "2024-01-02"} {
		t.Errorf("one UTC+8 day: %v", w)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
