package bss

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestPageLongerThanLimit: a page with more rows than the limit asked for is
// a malformed answer (taking it would skip or repeat rows at the next
// offset). It fails the iterator with a *DecodeError naming the operation,
// the array and the offset, and is not retried.
func TestPageLongerThanLimit(t *testing.T) {
	ts := newTestServer(t)
	calls := 0
	ts.mux.HandleFunc("/v2/bills/customer-bills/res-fee-records", func(w http.ResponseWriter, r *http.Request) {
		calls++
		recs := make([]string, 1001)
		for i := range recs {
			recs[i] = fmt.Sprintf(`{"id":"rec-%d","amount":1,"measure_id":1}`, i)
		}
		writeJSON(w, 200, page(5000, recs...))
	})
	c := ts.client(t, Config{})
	n, err := collect(c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: mustMonth(t, "2024-05")}))
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want *DecodeError", err)
	}
	if de.Operation != OpResourceRecords || de.Field != "fee_records" || de.PageOffset != 0 ||
		!strings.Contains(err.Error(), "page has 1001 rows, more than the limit 1000") {
		t.Errorf("err = %v (%+v)", err, de)
	}
	if len(n) != 0 || calls != 1 {
		t.Errorf("yielded %d records over %d calls, want 0 records and no retry", len(n), calls)
	}
}
