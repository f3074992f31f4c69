package sink_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// benchRows is the month size of the writer benchmarks: SYNCD_BENCH_ROWS,
// 100k by default (make bench-sink uses 1M).
func benchRows(b *testing.B) int { return envInt(b, "SYNCD_BENCH_ROWS", 100_000) }

// benchBatch is the block size of the writer benchmarks: SYNCD_BENCH_BATCH,
// 50k (the default of Config.BatchRows) unless set.
func benchBatch(b *testing.B) int { return envInt(b, "SYNCD_BENCH_BATCH", 50_000) }

// envInt returns the integer in the environment variable name, or def when
// it is unset.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

// rowSource yields n distinct cost records cheaply: a pool of 10k generated
// rows recycled with fresh record IDs, so generation does not dominate.
type rowSource struct {
	pool []sink.CostRecord
	ids  []string
}

func newRowSource(scope string, n int) *rowSource {
	r := rand.New(rand.NewPCG(42, 42))
	src := &rowSource{ids: make([]string, n)}
	for i := range 10_000 {
		src.pool = append(src.pool, costRecord(r, scope, march, i))
	}
	for i := range n {
		src.ids[i] = fmt.Sprintf("rec-%s-%09d", scope, i)
	}
	return src
}

func (s *rowSource) row(i int) sink.CostRecord {
	r := s.pool[i%len(s.pool)]
	r.RecordID = s.ids[i]
	return r
}

// heapSampler records the peak heap above the baseline at start: peak
// counts everything allocated and not yet collected, live what the last GC
// found reachable.
type heapSampler struct {
	stop       chan struct{}
	wg         sync.WaitGroup
	peak, live atomic.Uint64
	base       uint64
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h := &heapSampler{stop: make(chan struct{}), base: ms.HeapAlloc}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.base && ms.HeapAlloc-h.base > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc - h.base)
			}
			sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > h.base && v-h.base > h.live.Load() {
				h.live.Store(v - h.base)
			}
		}
	}()
	return h
}

// done stops sampling and returns the peaks in MiB.
func (h *heapSampler) done() (peak, live float64) {
	close(h.stop)
	h.wg.Wait()
	return float64(h.peak.Load()) / (1 << 20), float64(h.live.Load()) / (1 << 20)
}

var costColumns = []string{"scope", "record_id", "bill_cycle", "bill_date", "bill_type", "customer_id", "account_name",
	"region_code", "region_name", "service_type_code", "service_type_name", "resource_type_code", "resource_type_name",
	"resource_id", "resource_name", "resource_tags", "product_id", "product_name", "product_spec_desc", "sku_code",
	"enterprise_project_id", "enterprise_project_name", "charge_mode", "period_type", "trade_id", "order_id",
	"trade_time", "effective_time", "expire_time", "usage_type", "usage", "usage_unit", "unit_price",
	"official_amount", "discount_amount", "amount", "cash_amount", "credit_amount", "coupon_amount",
	"flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount", "adjustment_amount", "currency"}

// rawInsert is the baseline: a hand-written clickhouse-go columnar insert of
// the same rows into the same table, in blocks of batch rows.
func rawInsert(ctx context.Context, b *testing.B, dsn, db string, src *rowSource, n, batch int) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	type cols struct {
		str   [26][]string
		dates [2][]time.Time
		times [3][]time.Time
		i32   []int32
		decs  [13][]decimal.Decimal
	}
	var c cols
	flush := func() {
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".cost_records ("+strings.Join(costColumns, ", ")+")")
		if err != nil {
			b.Fatal(err)
		}
		defer batch.Close()
		si, di, ti, ci := 0, 0, 0, 0
		for i, name := range costColumns {
			var v any
			switch name {
			case "bill_cycle", "bill_date":
				v = c.dates[di]
				di++
			case "trade_time", "effective_time", "expire_time":
				v = c.times[ti]
				ti++
			case "bill_type":
				v = c.i32
			case "usage", "unit_price", "official_amount", "discount_amount", "amount", "cash_amount", "credit_amount",
				"coupon_amount", "flexipurchase_coupon_amount", "stored_card_amount", "bonus_amount", "debt_amount", "adjustment_amount":
				v = c.decs[ci]
				ci++
			default:
				v = c.str[si]
				si++
			}
			if err := batch.Column(i).Append(v); err != nil {
				b.Fatalf("column %s: %v", name, err)
			}
		}
		if err := batch.Send(); err != nil {
			b.Fatal(err)
		}
		for i := range c.str {
			c.str[i] = c.str[i][:0]
		}
		for i := range c.decs {
			c.decs[i] = c.decs[i][:0]
		}
		c.dates[0], c.dates[1], c.i32 = c.dates[0][:0], c.dates[1][:0], c.i32[:0]
		for i := range c.times {
			c.times[i] = c.times[i][:0]
		}
	}
	for i := range n {
		r := src.row(i)
		r.Scope = "raw"
		s := [...]string{r.Scope, r.RecordID, r.CustomerID, r.AccountName, r.RegionCode, r.RegionName, r.ServiceTypeCode,
			r.ServiceTypeName, r.ResourceTypeCode, r.ResourceTypeName, r.ResourceID, r.ResourceName, r.ResourceTags,
			r.ProductID, r.ProductName, r.ProductSpecDesc, r.SkuCode, r.EnterpriseProjectID, r.EnterpriseProjectName,
			r.ChargeMode, r.PeriodType, r.TradeID, r.OrderID, r.UsageType, r.UsageUnit, r.Currency}
		for j, v := range s {
			c.str[j] = append(c.str[j], v)
		}
		c.dates[0] = append(c.dates[0], r.BillCycle)
		c.dates[1] = append(c.dates[1], r.BillDate)
		c.times[0] = append(c.times[0], r.TradeTime)
		c.times[1] = append(c.times[1], r.EffectiveTime)
		c.times[2] = append(c.times[2], r.ExpireTime)
		c.i32 = append(c.i32, r.BillType)
		for j, d := range [...]decimal.Decimal{r.Usage, r.UnitPrice, r.OfficialAmount, r.DiscountAmount, r.Amount, r.CashAmount,
			r.CreditAmount, r.CouponAmount, r.FlexipurchaseCouponAmount, r.StoredCardAmount, r.BonusAmount, r.DebtAmount, r.AdjustmentAmount} {
			c.decs[j] = append(c.decs[j], d)
		}
		if len(c.i32) == batch {
			flush()
		}
	}
	if len(c.i32) > 0 {
		flush()
	}
}

// BenchmarkMonthWriter compares, in one run, the MonthWriter (staging
// inserts + validation + REPLACE PARTITION) with a raw clickhouse-go
// columnar insert of the same rows into the same table on the ClickHouse
// server. Run it with -benchtime 1x (make bench-sink).
func BenchmarkMonthWriter(b *testing.B) {
	ctx := context.Background()
	n := benchRows(b)
	cfg := sinktest.Config(b, sink.EngineServer)
	cfg.BatchRows = benchBatch(b)
	s := sinktest.OpenConfig(b, cfg)
	src := newRowSource("acme", n)
	var rawSecs, writerSecs, peak, live float64
	for b.Loop() {
		waitMerges(ctx, b, s)
		start := time.Now()
		rawInsert(ctx, b, cfg.DSN, cfg.Database, src, n, cfg.BatchRows)
		rawSecs += time.Since(start).Seconds()

		// Background merges of the raw parts would slow the writer down.
		waitMerges(ctx, b, s)
		secs, p, l := writeMonth(ctx, b, s, src, n)
		writerSecs += secs
		peak, live = max(peak, p), max(live, l)
	}
	res, err := s.Query(ctx, "SELECT countIf(scope = 'acme'), countIf(scope = 'raw') FROM "+cfg.Database+".cost_records")
	if err != nil {
		b.Fatal(err)
	}
	if res.Rows[0][0] != strconv.Itoa(n) {
		b.Fatalf("writer stored %s rows, want %d", res.Rows[0][0], n)
	}
	loops := float64(b.N)
	b.ReportMetric(float64(n)*loops/writerSecs, "writer-rows/s")
	b.ReportMetric(float64(n)*loops/rawSecs, "raw-rows/s")
	b.ReportMetric(rawSecs/writerSecs, "writer/raw")
	b.ReportMetric(peak, "peak-heap-MiB")
	b.ReportMetric(live, "peak-live-heap-MiB")
	b.ReportMetric(0, "ns/op")
}

// writeMonth writes the n rows of src as the acme/march month through a
// MonthWriter and returns the seconds it took and the peak and peak live heap
// in MiB.
func writeMonth(ctx context.Context, b *testing.B, s *sink.Sink, src *rowSource, n int) (secs, peak, live float64) {
	return writeMonthRows(ctx, b, s, src.row, n)
}

// writeMonthRows is writeMonth with the rows given by row.
func writeMonthRows(ctx context.Context, b *testing.B, s *sink.Sink, row func(int) sink.CostRecord, n int) (secs, peak, live float64) {
	h := startHeapSampler()
	start := time.Now()
	w, err := s.BeginMonth(ctx, "acme", march)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := w.AddCostRecord(ctx, row(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(ctx, sink.MonthCounts{CostRecords: n}); err != nil {
		b.Fatal(err)
	}
	secs = time.Since(start).Seconds()
	peak, live = h.done()
	return secs, peak, live
}

// waitMerges waits (up to a minute) until the server runs no merges.
func waitMerges(ctx context.Context, b *testing.B, s *sink.Sink) {
	for range 600 {
		res, err := s.Query(ctx, "SELECT count() FROM system.merges")
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows[0][0] == "0" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkEmbeddedWriter measures the MonthWriter on the embedded engine
// (TabSeparated blocks through chDB).
func BenchmarkEmbeddedWriter(b *testing.B) {
	benchWriter(b, sink.EngineEmbedded, (*rowSource).row)
}

// benchWriter writes months of rows from row through a MonthWriter on
// engine and reports rows/s and the peak (live) heap.
func benchWriter(b *testing.B, engine string, row func(*rowSource, int) sink.CostRecord) {
	ctx := context.Background()
	n := benchRows(b)
	cfg := sinktest.Config(b, engine)
	cfg.BatchRows = benchBatch(b)
	s := sinktest.OpenConfig(b, cfg)
	src := newRowSource("acme", n)
	var secs, peak, live float64
	for b.Loop() {
		if engine == sink.EngineServer {
			waitMerges(ctx, b, s)
		}
		t, p, l := writeMonthRows(ctx, b, s, func(i int) sink.CostRecord { return row(src, i) }, n)
		secs += t
		peak, live = max(peak, p), max(live, l)
	}
	b.ReportMetric(float64(n)*float64(b.N)/secs, "rows/s")
	b.ReportMetric(peak, "peak-heap-MiB")
	b.ReportMetric(live, "peak-live-heap-MiB")
	b.ReportMetric(0, "ns/op")
}

// decodedRow is row(i) with decimals of its own, as the BSS decoder
// allocates them for every record (zeros excepted); row's share the
// pool's, which hides what a buffered decimal keeps alive.
func (s *rowSource) decodedRow(i int) sink.CostRecord {
	r := s.row(i)
	for _, d := range [...]*decimal.Decimal{&r.Usage, &r.UnitPrice, &r.OfficialAmount, &r.DiscountAmount, &r.Amount,
		&r.CashAmount, &r.CreditAmount, &r.CouponAmount, &r.FlexipurchaseCouponAmount, &r.StoredCardAmount,
		&r.BonusAmount, &r.DebtAmount, &r.AdjustmentAmount} {
		if !d.IsZero() {
			*d = decimal.New(d.CoefficientInt64(), d.Exponent())
		}
	}
	return r
}

// BenchmarkMonthWriterDecoded is the writer half of BenchmarkMonthWriter
// with rows whose decimals are allocated per row, as decoded from BSS
// pages: what buffering them costs shows in the heap.
func BenchmarkMonthWriterDecoded(b *testing.B) {
	benchWriter(b, sink.EngineServer, (*rowSource).decodedRow)
}
