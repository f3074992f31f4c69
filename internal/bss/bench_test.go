package bss

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// benchPage returns a res-fee-records body of n records shaped like the
// reference fixture's first record (about 2 KB each).
func benchPage(tb testing.TB, offset, n, total int) []byte {
	var fx struct {
		FeeRecords []map[string]any `json:"fee_records"`
	}
	if err := json.Unmarshal(fixture(tb, "res_fee_records.json"), &fx); err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"total_count":%d,"currency":"CNY","fee_records":[`, total)
	for i := 0; i < n; i++ {
		r := fx.FeeRecords[i%3]
		r["id"] = fmt.Sprintf("fr-2405-%024d", offset+i)
		r["amount"] = json.Number(fmt.Sprintf("%d.%02d", i, i%100))
		if i > 0 {
			b.WriteByte(',')
		}
		rb, _ := json.Marshal(r)
		b.Write(rb)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// BenchmarkDecodeResourceRecordsPage decodes one 1000-record page: the
// fixture-shaped benchPage and a simulator page (zh_CN names, numbers as
// the simulator sends them), each through decodeResourceRecordsPage (the
// fast path) and through the encoding/json reference it falls back to.
func BenchmarkDecodeResourceRecordsPage(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{
		{"fixture", benchPage(b, 0, 1000, 1000)},
		{"sim", simPage(b, newSim(bsssim.SiteCN), "zh_CN", "cycle=2024-05&statistic_type=3&offset=0&limit=1000")},
	}
	decoders := []struct {
		name   string
		decode func([]byte, Month, string) ([]ResourceRecord, int, string, error)
	}{
		{"fast", decodeResourceRecordsPage},
		{"slow", decodeResourceRecordsPageSlow},
	}
	for _, bd := range bodies {
		if _, _, _, ok := fastResourceRecordsPage(bd.body, Month{2024, 5}, "CNY"); !ok {
			b.Fatalf("%s: the fast path declines the page", bd.name)
		}
		for _, dec := range decoders {
			b.Run(bd.name+"/"+dec.name, func(b *testing.B) {
				b.SetBytes(int64(len(bd.body)))
				b.ReportAllocs()
				for b.Loop() {
					recs, _, _, err := dec.decode(bd.body, Month{2024, 5}, "CNY")
					if err != nil || len(recs) != 1000 {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
				// allocs/op covers 1000 records; divide by 1000 for allocs/record.
			})
		}
	}
}

// BenchmarkDecodeTransactionPage decodes one 1000-record fee-records page:
// the fixture-shaped benchTxnPage and a simulator page, each through
// decodeTransactionPage (the fast path) and through the encoding/json
// reference it falls back to.
func BenchmarkDecodeTransactionPage(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{
		{"fixture", benchTxnPage(b, 0, 1000, 1000)},
		{"sim", simTxnPages(b, 1000)["zh_CN/all/off0"]},
	}
	decoders := []struct {
		name   string
		decode func([]byte, Month, string) ([]TransactionBill, int, string, error)
	}{
		{"fast", decodeTransactionPage},
		{"slow", decodeTransactionPageSlow},
	}
	for _, bd := range bodies {
		if bills, _, _, ok := fastTransactionPage(bd.body, fuzzCycle, "CNY"); !ok || len(bills) != 1000 {
			b.Fatalf("%s: the fast path declines the page or it has not 1000 records (%d)", bd.name, len(bills))
		}
		for _, dec := range decoders {
			b.Run(bd.name+"/"+dec.name, func(b *testing.B) {
				b.SetBytes(int64(len(bd.body)))
				b.ReportAllocs()
				for b.Loop() {
					bills, _, _, err := dec.decode(bd.body, fuzzCycle, "CNY")
					if err != nil || len(bills) != 1000 {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkPagingHTTP pages 10,000 records through the full client stack
// (signing, limiter disabled, retries, decoding) against a local server.
func BenchmarkPagingHTTP(b *testing.B) {
	const total = 10000
	pages := map[int][]byte{}
	for off := 0; off < total; off += 1000 {
		pages[off] = benchPage(b, off, 1000, total)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(pages[off])
	}))
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/p/", RateLimit: -1, RecordsRateLimit: -1}, testCreds)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		for _, err := range c.ResourceRecords(context.Background(), ResourceRecordOptions{Cycle: Month{2024, 5}}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
}
