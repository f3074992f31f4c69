package sink_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

var (
	march = time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC)
	april = time.Date(2024, time.April, 1, 0, 0, 0, 0, time.UTC)
)

// month is the source of truth for one (scope, cycle): what the API would
// return.
type month struct {
	scope string
	cycle time.Time
	cost  []sink.CostRecord
	sums  []sink.BillSummary
}

// nastyNames exercise text escaping on both engines.
var nastyNames = []string{"plain", "tab\there", "new\nline", `back\slash`, "quote'd", `dq"x`, "crlf\r\n", "ünïcödé 云服务器", `\N`, "", "nul\x00byte"}

func money(r *rand.Rand) decimal.Decimal {
	// Up to 8 fractional digits, sometimes negative (refunds).
	d := decimal.New(r.Int64N(10_000_000_000), -8)
	if r.IntN(10) == 0 {
		d = d.Neg()
	}
	return d
}

func costRecord(r *rand.Rand, scope string, cycle time.Time, id int) sink.CostRecord {
	day := cycle.AddDate(0, 0, r.IntN(28))
	return sink.CostRecord{
		Scope:               scope,
		RecordID:            fmt.Sprintf("rec-%s-%s-%07d", scope, cycle.Format("200601"), id),
		BillCycle:           cycle,
		BillDate:            day,
		BillType:            int32(1 + r.IntN(4)),
		CustomerID:          fmt.Sprintf("cust-%d", r.IntN(5)),
		AccountName:         "acct",
		RegionCode:          "cn-north-4",
		ServiceTypeCode:     fmt.Sprintf("hws.service.type.%d", r.IntN(20)),
		ResourceTypeCode:    "hws.resource.type.vm",
		ResourceID:          fmt.Sprintf("res-%d", r.IntN(1000)),
		ResourceName:        nastyNames[r.IntN(len(nastyNames))],
		ResourceTags:        `[{"key":"env","value":"prod"}]`,
		EnterpriseProjectID: "0",
		ChargeMode:          "3",
		TradeID:             fmt.Sprintf("trade-%d", id),
		TradeTime:           day.Add(time.Duration(r.IntN(86400)) * time.Second),
		EffectiveTime:       day,
		ExpireTime:          day.Add(time.Hour),
		Usage:               decimal.New(r.Int64N(1_000_000), -4),
		UsageUnit:           "Hour",
		OfficialAmount:      money(r),
		DiscountAmount:      money(r),
		Amount:              money(r),
		CashAmount:          money(r),
		CreditAmount:        money(r),
		CouponAmount:        money(r),
		DebtAmount:          money(r),
		AdjustmentAmount:    money(r),
		Currency:            "CNY",
	}
}

func genMonth(seed uint64, scope string, cycle time.Time, records, summaries int) *month {
	r := rand.New(rand.NewPCG(seed, 7))
	m := &month{scope: scope, cycle: cycle}
	for i := range records {
		m.cost = append(m.cost, costRecord(r, scope, cycle, i))
	}
	for i := range summaries {
		m.sums = append(m.sums, sink.BillSummary{
			Scope:           scope,
			BillCycle:       cycle,
			CustomerID:      fmt.Sprintf("cust-%d", i%5),
			ServiceTypeCode: fmt.Sprintf("hws.service.type.%d", i/5),
			ChargingMode:    int32(1 + i%2),
			BillType:        1,
			OfficialAmount:  money(r),
			ConsumeAmount:   money(r),
			CashAmount:      money(r),
			Currency:        "CNY",
		})
	}
	return m
}

// reissue changes the month as Huawei may: edits amounts, removes lines and
// adds late lines.
func (m *month) reissue(seed uint64, added int) *month {
	r := rand.New(rand.NewPCG(seed, 11))
	out := &month{scope: m.scope, cycle: m.cycle, sums: slices.Clone(m.sums)}
	for _, c := range m.cost {
		switch r.IntN(20) {
		case 0: // vanished upstream
			continue
		case 1, 2:
			c.Amount = money(r)
			c.CashAmount = c.CashAmount.Add(decimal.New(1, -8))
		}
		out.cost = append(out.cost, c)
	}
	for i := range added {
		out.cost = append(out.cost, costRecord(r, m.scope, m.cycle, 1_000_000+int(seed)*100_000+i))
	}
	out.sums = out.sums[:len(out.sums)-1]
	for i := range out.sums {
		out.sums[i].ConsumeAmount = money(r)
	}
	return out
}

func (m *month) counts() sink.MonthCounts {
	return sink.MonthCounts{CostRecords: len(m.cost), BillSummaries: len(m.sums)}
}

// write streams m through a MonthWriter and commits it.
func write(ctx context.Context, s *sink.Sink, m *month) error {
	return writeWant(ctx, s, m, m.counts())
}

func mustWrite(t *testing.T, s *sink.Sink, m *month) {
	t.Helper()
	if err := write(context.Background(), s, m); err != nil {
		t.Fatalf("write month %s %s: %v", m.scope, m.cycle.Format("2006-01"), err)
	}
}

func query(t *testing.T, s *sink.Sink, q string) *sink.Result {
	t.Helper()
	res, err := s.Query(context.Background(), strings.ReplaceAll(q, "DB.", s.Database()+"."))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	return res
}

var costMoneyCols = []struct {
	col string
	get func(*sink.CostRecord) decimal.Decimal
}{
	{"amount", func(r *sink.CostRecord) decimal.Decimal { return r.Amount }},
	{"official_amount", func(r *sink.CostRecord) decimal.Decimal { return r.OfficialAmount }},
	{"discount_amount", func(r *sink.CostRecord) decimal.Decimal { return r.DiscountAmount }},
	{"cash_amount", func(r *sink.CostRecord) decimal.Decimal { return r.CashAmount }},
	{"credit_amount", func(r *sink.CostRecord) decimal.Decimal { return r.CreditAmount }},
	{"coupon_amount", func(r *sink.CostRecord) decimal.Decimal { return r.CouponAmount }},
	{"debt_amount", func(r *sink.CostRecord) decimal.Decimal { return r.DebtAmount }},
	{"adjustment_amount", func(r *sink.CostRecord) decimal.Decimal { return r.AdjustmentAmount }},
	{"usage", func(r *sink.CostRecord) decimal.Decimal { return r.Usage }},
}

// checkMonth compares the stored month with the source: exact row counts,
// exact decimal sums, and every record's id, amount and name.
func checkMonth(t *testing.T, s *sink.Sink, m *month) {
	t.Helper()
	where := fmt.Sprintf("scope = '%s' AND bill_cycle = '%s'", m.scope, m.cycle.Format(time.DateOnly))
	var sel []string
	for _, c := range costMoneyCols {
		sel = append(sel, "sum("+c.col+") AS "+c.col)
	}
	res := query(t, s, "SELECT count() AS n, uniqExact(record_id) AS u, "+strings.Join(sel, ", ")+" FROM DB.cost_records WHERE "+where)
	if got, want := res.Value(0, "n"), fmt.Sprint(len(m.cost)); got != want {
		t.Fatalf("%s %s: %s cost_records, want %s", m.scope, m.cycle.Format("2006-01"), got, want)
	}
	if got, want := res.Value(0, "u"), fmt.Sprint(len(m.cost)); got != want {
		t.Errorf("%s distinct record ids, want %s", got, want)
	}
	for _, c := range costMoneyCols {
		want := decimal.Zero
		for i := range m.cost {
			want = want.Add(c.get(&m.cost[i]).Truncate(8))
		}
		got, err := decimal.NewFromString(res.Value(0, c.col))
		if len(m.cost) == 0 {
			continue
		}
		if err != nil || !got.Equal(want) {
			t.Errorf("sum(%s) = %q, want %s", c.col, res.Value(0, c.col), want)
		}
	}
	rows := query(t, s, "SELECT record_id, amount, resource_name, bill_date, bill_cycle, trade_time FROM DB.cost_records WHERE "+where+" ORDER BY record_id")
	src := slices.Clone(m.cost)
	slices.SortFunc(src, func(a, b sink.CostRecord) int { return strings.Compare(a.RecordID, b.RecordID) })
	if len(rows.Rows) != len(src) {
		t.Fatalf("listed %d records, want %d", len(rows.Rows), len(src))
	}
	for i, r := range rows.Rows {
		want := []string{src[i].RecordID, src[i].Amount.String(), src[i].ResourceName,
			src[i].BillDate.Format(time.DateOnly), m.cycle.Format(time.DateOnly), src[i].TradeTime.UTC().Format(time.DateTime)}
		if !slices.Equal(r, want) {
			t.Fatalf("record %d = %q, want %q", i, r, want)
		}
	}
	sums := query(t, s, "SELECT count() AS n, sum(consume_amount) AS consume, sum(official_amount) AS official FROM DB.bill_summaries WHERE "+where)
	if got, want := sums.Value(0, "n"), fmt.Sprint(len(m.sums)); got != want {
		t.Fatalf("%s bill_summaries, want %s", got, want)
	}
	consume, official := decimal.Zero, decimal.Zero
	for _, b := range m.sums {
		consume, official = consume.Add(b.ConsumeAmount), official.Add(b.OfficialAmount)
	}
	if len(m.sums) > 0 {
		if got := decimal.RequireFromString(sums.Value(0, "consume")); !got.Equal(consume) {
			t.Errorf("sum(consume_amount) = %s, want %s", got, consume)
		}
		if got := decimal.RequireFromString(sums.Value(0, "official")); !got.Equal(official) {
			t.Errorf("sum(official_amount) = %s, want %s", got, official)
		}
	}
}

func stagingTables(t *testing.T, s *sink.Sink) []string {
	t.Helper()
	res := query(t, s, fmt.Sprintf("SELECT name FROM system.tables WHERE database = '%s' ORDER BY name", s.Database()))
	var out []string
	for _, r := range res.Rows {
		if strings.HasPrefix(r[0], "staging_") {
			out = append(out, r[0])
		}
	}
	return out
}

func TestMonthReplace(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)

			// Neighbours that every rewrite of acme/2024-03 must leave alone.
			other := genMonth(2, "beta", march, 300, 5)
			next := genMonth(3, "acme", april, 200, 5)
			mustWrite(t, s, other)
			mustWrite(t, s, next)

			// 25,003 rows at BatchRows=10,000: three blocks per table.
			v1 := genMonth(1, "acme", march, 25_003, 40)
			mustWrite(t, s, v1)
			checkMonth(t, s, v1)

			v2 := v1.reissue(4, 1_000)
			mustWrite(t, s, v2)
			checkMonth(t, s, v2)

			t.Run("abort after staged blocks", func(t *testing.T) {
				w, err := s.BeginMonth(ctx, "acme", march)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range v1.reissue(5, 15_000).cost { // more than one block
					if err := w.AddCostRecord(ctx, c); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Abort(ctx); err != nil {
					t.Fatal(err)
				}
				if err := w.AddCostRecord(ctx, v1.cost[0]); !errors.Is(err, sink.ErrWriterDone) {
					t.Errorf("add after abort: %v, want ErrWriterDone", err)
				}
				checkMonth(t, s, v2)
				if st := stagingTables(t, s); len(st) != 0 {
					t.Errorf("staging tables left: %v", st)
				}
			})

			t.Run("background insert fails", func(t *testing.T) {
				// Blocks are inserted in the background while the next one
				// fills; an insert that fails there (its staging table is
				// gone) must still fail the month and keep the stored one.
				w, err := s.BeginMonth(ctx, "acme", march)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = w.Abort(ctx) }()
				v3 := v2.reissue(10, 0)
				var failed error
				for i, c := range v3.cost {
					if i == 5_000 {
						for _, st := range stagingTables(t, s) {
							if strings.HasPrefix(st, "staging_"+sink.TableCostRecords) {
								if err := s.Exec(ctx, "DROP TABLE "+s.Database()+"."+st); err != nil {
									t.Fatal(err)
								}
							}
						}
					}
					if failed = w.AddCostRecord(ctx, c); failed != nil {
						break
					}
				}
				if failed == nil {
					failed = w.Commit(ctx, v3.counts())
				}
				if failed == nil || !strings.Contains(failed.Error(), "insert") {
					t.Fatalf("write with its staging table dropped: err = %v, want an insert error", failed)
				}
				if err := w.Commit(ctx, v3.counts()); err == nil {
					t.Fatal("commit after a failed insert succeeded")
				}
				checkMonth(t, s, v2)
			})

			t.Run("wrong count", func(t *testing.T) {
				v3 := v2.reissue(6, 10)
				want := v3.counts()
				want.CostRecords++ // total_count said one more than we got
				err := writeWant(ctx, s, v3, want)
				var ve *sink.ValidationError
				if !errors.As(err, &ve) || ve.Table != sink.TableCostRecords || ve.Got != len(v3.cost) || ve.Want != want.CostRecords {
					t.Fatalf("commit with wrong count: %v, want ValidationError on cost_records", err)
				}
				checkMonth(t, s, v2)
				if st := stagingTables(t, s); len(st) != 0 {
					t.Errorf("staging tables left: %v", st)
				}
			})

			t.Run("duplicate record ids", func(t *testing.T) {
				v3 := v2.reissue(7, 10)
				v3.cost = append(v3.cost, v3.cost[3], v3.cost[7])
				err := write(ctx, s, v3)
				var ve *sink.ValidationError
				if !errors.As(err, &ve) || len(ve.Duplicates) != 2 || !strings.Contains(ve.Duplicates[0], "rec-acme") {
					t.Fatalf("commit with duplicates: %v, want ValidationError naming 2 duplicates", err)
				}
				checkMonth(t, s, v2)
			})

			t.Run("duplicate summary keys", func(t *testing.T) {
				v3 := v2.reissue(8, 10)
				v3.sums = append(v3.sums, v3.sums[0])
				err := write(ctx, s, v3)
				var ve *sink.ValidationError
				if !errors.As(err, &ve) || ve.Table != sink.TableBillSummaries || len(ve.Duplicates) != 1 {
					t.Fatalf("commit with duplicate summaries: %v, want ValidationError on bill_summaries", err)
				}
				checkMonth(t, s, v2)
			})

			t.Run("cancelled mid-stream", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				w, err := s.BeginMonth(cctx, "acme", march)
				if err != nil {
					t.Fatal(err)
				}
				v3 := v2.reissue(9, 0)
				var addErr error
				for i, c := range v3.cost {
					if i == 12_345 {
						cancel()
					}
					if addErr = w.AddCostRecord(cctx, c); addErr != nil {
						break
					}
				}
				if addErr == nil {
					addErr = w.Commit(cctx, v3.counts())
				}
				if !errors.Is(addErr, context.Canceled) {
					t.Fatalf("write after cancel: %v, want context.Canceled", addErr)
				}
				if err := w.AddCostRecord(ctx, v3.cost[0]); err == nil {
					t.Error("writer still accepts rows after a failed insert")
				}
				if err := w.Abort(cctx); err != nil { // the run's (cancelled) context, as a deferred Abort has
					t.Fatal(err)
				}
				if st := stagingTables(t, s); len(st) != 0 {
					t.Errorf("staging tables left after Abort with a cancelled context: %v", st)
				}
				checkMonth(t, s, v2)
			})

			t.Run("crash leaves staging, cleaned at start", func(t *testing.T) {
				// A writer from a run that died an hour ago: staged, never
				// committed nor aborted.
				crashed := sinktest.OpenConfig(t, sinkConfigOf(t, s, engine), sink.WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }))
				w, err := crashed.BeginMonth(ctx, "acme", march)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range v1.cost[:11_000] {
					if err := w.AddCostRecord(ctx, c); err != nil {
						t.Fatal(err)
					}
				}
				want := 2
				if engine == sink.EngineServer {
					// The cost records' staging table has its wire pair
					// (wire.go), which the cleanup must drop too.
					want = 4
				}
				if st := stagingTables(t, s); len(st) != want {
					t.Fatalf("staging tables = %v, want %d", st, want)
				}
				checkMonth(t, s, v2)
				// A fresh writer (young staging tables) must survive the
				// cleanup that start-up runs.
				live, err := s.BeginMonth(ctx, "beta", march)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = live.Abort(ctx) }()
				if err := s.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				if st := stagingTables(t, s); len(st) != 2 || !strings.Contains(st[0], "_"+time.Now().UTC().Format("20060102")) {
					t.Fatalf("after cleanup staging tables = %v, want only the live writer's 2", st)
				}
				checkMonth(t, s, v2)
			})

			t.Run("empty month empties the partition", func(t *testing.T) {
				empty := &month{scope: "acme", cycle: april}
				mustWrite(t, s, empty)
				checkMonth(t, s, empty)
				mustWrite(t, s, next)
			})

			checkMonth(t, s, v2)
			checkMonth(t, s, other)
			checkMonth(t, s, next)
		})
	}
}

func sinkConfigOf(t *testing.T, s *sink.Sink, engine string) sink.Config {
	cfg := sinktest.Config(t, engine)
	cfg.Database = s.Database()
	return cfg
}

// writeWant streams m through a MonthWriter and commits it expecting want.
func writeWant(ctx context.Context, s *sink.Sink, m *month, want sink.MonthCounts) error {
	w, err := s.BeginMonth(ctx, m.scope, m.cycle)
	if err != nil {
		return err
	}
	defer func() { _ = w.Abort(ctx) }()
	if err := addMonth(ctx, w, m); err != nil {
		return err
	}
	return w.Commit(ctx, want)
}

// addMonth adds every row of m to w.
func addMonth(ctx context.Context, w *sink.MonthWriter, m *month) error {
	for _, c := range m.cost {
		if err := w.AddCostRecord(ctx, c); err != nil {
			return err
		}
	}
	for _, b := range m.sums {
		if err := w.AddBillSummary(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// TestMonthSwap interrupts Commit inside its swap phase: cancelled between the
// two tables, a transient REPLACE PARTITION failure, and failures that
// persist on the first or the second table.
func TestMonthSwap(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			defer sink.SetBeforeSwap(s, nil)
			v1 := genMonth(11, "acme", march, 500, 6)
			mustWrite(t, s, v1)
			errSwap := errors.New("injected swap failure")

			t.Run("cancelled between tables", func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				sink.SetBeforeSwap(s, func(_ context.Context, table, _ string) error {
					if table == sink.TableBillSummaries {
						cancel() // e.g. SIGTERM after cost_records was swapped
					}
					return nil
				})
				v2 := v1.reissue(12, 50)
				if err := write(ctx, s, v2); err != nil {
					t.Fatalf("commit cancelled between the swaps: %v, want success", err)
				}
				checkMonth(t, s, v2)
				v1 = v2
			})

			t.Run("transient failure retried", func(t *testing.T) {
				// The first REPLACE PARTITION of bill_summaries really fails on the
				// engine (its staging table is renamed away), the retry finds it.
				var calls int
				sink.SetBeforeSwap(s, func(ctx context.Context, table, staging string) error {
					if table != sink.TableBillSummaries {
						return nil
					}
					calls++
					from, to := staging, staging+"_away"
					if calls == 2 {
						from, to = to, from
					}
					return s.Exec(ctx, "RENAME TABLE "+s.Database()+"."+from+" TO "+s.Database()+"."+to)
				})
				v2 := v1.reissue(13, 20)
				if err := write(context.Background(), s, v2); err != nil {
					t.Fatalf("commit with one failed swap attempt: %v, want success", err)
				}
				if calls != 2 {
					t.Errorf("bill_summaries swap attempts = %d, want 2", calls)
				}
				checkMonth(t, s, v2)
				v1 = v2
			})

			t.Run("first table fails", func(t *testing.T) {
				sink.SetBeforeSwap(s, func(_ context.Context, table, _ string) error {
					if table == sink.TableCostRecords {
						return errSwap
					}
					return nil
				})
				err := write(context.Background(), s, v1.reissue(14, 20))
				if !errors.Is(err, errSwap) || strings.Contains(err.Error(), "already swapped") {
					t.Fatalf("commit: %v, want the injected failure and nothing swapped", err)
				}
				checkMonth(t, s, v1)
				if st := stagingTables(t, s); len(st) != 0 {
					t.Errorf("staging tables left: %v", st)
				}
			})

			t.Run("second table fails, re-run repairs", func(t *testing.T) {
				sink.SetBeforeSwap(s, func(_ context.Context, table, _ string) error {
					if table == sink.TableBillSummaries {
						return errSwap
					}
					return nil
				})
				v2 := v1.reissue(15, 20)
				err := write(context.Background(), s, v2)
				if !errors.Is(err, errSwap) || !strings.Contains(err.Error(), "already swapped: cost_records") {
					t.Fatalf("commit: %v, want the injected failure naming cost_records as swapped", err)
				}
				sink.SetBeforeSwap(s, nil)
				mustWrite(t, s, v2)
				checkMonth(t, s, v2)
			})
		})
	}
}

func TestMonthRejectsShiftedCycle(t *testing.T) {
	s := sinktest.Open(t, sink.EngineEmbedded)
	ctx := context.Background()
	shanghai := time.FixedZone("UTC+8", 8*3600)
	for _, c := range []time.Time{
		time.Date(2024, 3, 1, 0, 0, 0, 0, shanghai),   // the UTC+8 instant, not the civil date
		time.Date(2024, 2, 29, 16, 0, 0, 0, time.UTC), // the same instant in UTC
		time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC),
	} {
		if w, err := s.BeginMonth(ctx, "acme", c); err == nil {
			_ = w.Abort(ctx)
			t.Errorf("BeginMonth(%s) succeeded, want error", c.Format(time.RFC3339))
		}
	}
	w, err := s.BeginMonth(ctx, "acme", march)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Abort(ctx) }()
	rec := genMonth(1, "acme", march, 1, 0).cost[0]
	rec.BillCycle = april
	if err := w.AddCostRecord(ctx, rec); err == nil {
		t.Error("record of another cycle accepted")
	}
	rec.BillCycle, rec.Scope = march, "beta"
	if err := w.AddCostRecord(ctx, rec); err == nil {
		t.Error("record of another scope accepted")
	}
}

// TestMonthRejectsInexactMoney proves that a value Decimal(38, 8) cannot hold
// exactly is refused with an error naming the column, instead of being
// truncated, and that the writer stays usable for the rows that do fit.
func TestMonthRejectsInexactMoney(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := context.Background()
			w, err := s.BeginMonth(ctx, "acme", march)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = w.Abort(ctx) }()
			good := genMonth(1, "acme", march, 1, 0).cost[0]
			for _, c := range []struct {
				name   string
				mutate func(*sink.CostRecord)
				want   string
			}{
				{"nine decimals", func(r *sink.CostRecord) { r.Amount = decimal.RequireFromString("0.123456789") }, "column amount: 0.123456789 has more than 8 decimal places"},
				{"too large", func(r *sink.CostRecord) { r.CashAmount = decimal.New(1, 30) }, "column cash_amount"},
				{"usage", func(r *sink.CostRecord) { r.Usage = decimal.RequireFromString("-1e-9") }, "column usage"},
			} {
				bad := good
				c.mutate(&bad)
				err := w.AddCostRecord(ctx, bad)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: AddCostRecord error = %v, want it to contain %q", c.name, err, c.want)
				}
			}
			if err := w.AddCostRecord(ctx, good); err != nil {
				t.Fatalf("writer unusable after a rejected row: %v", err)
			}
			if err := w.Commit(ctx, sink.MonthCounts{CostRecords: 1}); err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, "SELECT toString(sum(amount)) AS a, count() AS n FROM "+s.Database()+".cost_records WHERE scope = 'acme'")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.Value(0, "n"), "1"; got != want {
				t.Errorf("rows = %s, want %s", got, want)
			}
			if got, want := decimal.RequireFromString(res.Value(0, "a")), good.Amount; !got.Equal(want) {
				t.Errorf("sum(amount) = %s, want %s", got, want)
			}
			bal := []sink.BalanceSnapshot{{Scope: "acme", ObservedAt: time.Now().UTC(), CustomerID: "c", AccountID: "a", AccountType: 1, Amount: decimal.RequireFromString("1.000000001"), Currency: "CNY"}}
			if err := s.WriteBalances(ctx, bal); err == nil || !strings.Contains(err.Error(), "column amount") {
				t.Errorf("WriteBalances error = %v, want a column amount error", err)
			}
		})
	}
}

// TestCleanupKeepsForeignTables checks that the staging cleanup drops only
// tables named the way syncd names its staging tables, and never those of a
// writer of this process that is still running, whatever their age.
func TestCleanupKeepsForeignTables(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			if err := s.Exec(ctx, "CREATE TABLE "+s.Database()+".staging_notes (x UInt8) ENGINE = Memory"); err != nil {
				t.Fatal(err)
			}
			w, err := s.BeginMonth(ctx, "acme", march)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = w.Abort(ctx) }()
			mine := stagingTables(t, s) // the writer's two tables and staging_notes
			// A leftover of a crashed run, named as syncd names staging tables.
			if err := s.Exec(ctx, "CREATE TABLE "+s.Database()+".staging_cost_records_20200101000000_deadbeef AS "+s.Database()+".cost_records"); err != nil {
				t.Fatal(err)
			}
			if err := s.CleanupStaging(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if st := stagingTables(t, s); len(mine) != 3 || !slices.Equal(st, mine) {
				t.Errorf("after cleanup: %v, want the running writer's tables and staging_notes: %v", st, mine)
			}
			if err := w.Abort(ctx); err != nil {
				t.Fatal(err)
			}
			if st := stagingTables(t, s); !slices.Equal(st, []string{"staging_notes"}) {
				t.Errorf("after abort: %v, want only staging_notes", st)
			}
		})
	}
}

// TestVerify: every committed month has a manifest that Verify compares the
// stored month with; duplicated rows (what resurrected parts look like),
// deleted rows and an emptied month are each reported, and re-committing the
// month makes it agree again.
func TestVerify(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			ctx := context.Background()
			a, b, c := genMonth(7, "acme", march, 40, 6), genMonth(8, "acme", april, 30, 5), genMonth(9, "beta", march, 20, 4)
			for _, m := range []*month{a, b, c} {
				if err := write(ctx, s, m); err != nil {
					t.Fatal(err)
				}
			}
			mismatched := func() []sink.MonthKey {
				t.Helper()
				got, err := s.MismatchedMonths(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}
			if got := mismatched(); len(got) != 0 {
				t.Fatalf("healthy tables: MismatchedMonths = %v, want none", got)
			}
			checks, err := s.Verify(ctx, march, march)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 || checks[0].Status != sink.MonthOK || checks[0].Stored.CostRecords.Rows != 40 ||
				checks[0].Manifest == nil || !checks[0].Stored.CostRecords.Amount.Equal(a.costSum()) {
				t.Fatalf("Verify(march) = %+v, want acme and beta ok, acme with 40 rows summing %s", checks, a.costSum())
			}
			db := s.Database()
			if err := s.Exec(ctx, "INSERT INTO "+db+".cost_records SELECT * FROM "+db+".cost_records WHERE scope = 'acme' AND bill_cycle = '2024-04-01' LIMIT 3"); err != nil {
				t.Fatal(err)
			}
			if err := s.Exec(ctx, "INSERT INTO "+db+".bill_summaries SELECT * FROM "+db+".bill_summaries WHERE scope = 'beta' LIMIT 1"); err != nil {
				t.Fatal(err)
			}
			want := []sink.MonthKey{{Scope: "acme", Cycle: april}, {Scope: "beta", Cycle: march}}
			if got := mismatched(); !slices.Equal(got, want) {
				t.Errorf("after duplicating rows: MismatchedMonths = %v, want %v", got, want)
			}
			// Rows deleted behind syncd's back (a mutation, asynchronous on 18.16).
			if err := s.Exec(ctx, "ALTER TABLE "+db+".cost_records DELETE WHERE scope = 'acme' AND bill_cycle = '2024-03-01' AND record_id < 'rec-acme-202403-0000010'"); err != nil {
				t.Fatal(err)
			}
			want = []sink.MonthKey{{Scope: "acme", Cycle: march}, {Scope: "acme", Cycle: april}, {Scope: "beta", Cycle: march}}
			deadline := time.Now().Add(30 * time.Second)
			for got := mismatched(); !slices.Equal(got, want); got = mismatched() {
				if time.Now().After(deadline) {
					t.Fatalf("after deleting rows: MismatchedMonths = %v, want %v", got, want)
				}
				time.Sleep(200 * time.Millisecond)
			}
			// Re-committing repairs; an emptied month (DROP PARTITION, not an
			// empty REPLACE, which ClickHouse 26.6+ refuses) is committed too.
			empty := &month{scope: "beta", cycle: march}
			for _, m := range []*month{a, b, empty} {
				if err := write(ctx, s, m); err != nil {
					t.Fatalf("rewrite %s %s: %v", m.scope, m.cycle.Format("2006-01"), err)
				}
			}
			if got := mismatched(); len(got) != 0 {
				t.Errorf("after re-committing: MismatchedMonths = %v, want none", got)
			}
			checkMonth(t, s, empty)
			checks, err = s.Verify(ctx, march, march)
			if err != nil {
				t.Fatal(err)
			}
			if len(checks) != 2 || checks[1].Scope != "beta" || checks[1].Status != sink.MonthOK || checks[1].Manifest.CostRecords.Rows != 0 {
				t.Errorf("Verify(march) after emptying beta = %+v, want beta ok with a zero-row manifest", checks)
			}
			started, err := s.StartedAt(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if age := time.Since(started); age < 0 || age > 24*time.Hour {
				t.Errorf("StartedAt = %s, %s ago; want a recent start", started, age)
			}
		})
	}
}

func (m *month) costSum() decimal.Decimal {
	var s decimal.Decimal
	for _, c := range m.cost {
		s = s.Add(c.Amount)
	}
	return s
}

// TestSeal: Seal ends the staging INSERTs before Commit (every added row is
// in staging once it returns), refuses rows after it, is idempotent, and
// leaves Commit to validate and swap the month, for both kinds of writer.
func TestSeal(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			staged := func(table string) string {
				t.Helper()
				var rows []string
				for _, name := range stagingTables(t, s) {
					if strings.HasPrefix(name, "staging_"+table+"_") && !strings.HasSuffix(name, "_win") && !strings.HasSuffix(name, "_wmv") {
						rows = append(rows, query(t, s, "SELECT count() FROM DB."+name).Rows[0][0])
					}
				}
				return strings.Join(rows, ",")
			}
			m := genMonth(21, "acme", march, sink.StreamBlockRows+300, 4)
			w, err := s.BeginMonth(ctx, m.scope, m.cycle)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = w.Abort(ctx) }()
			if err := addMonth(ctx, w, m); err != nil {
				t.Fatal(err)
			}
			if err := w.Seal(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := staged("cost_records"), fmt.Sprint(len(m.cost)); got != want {
				t.Errorf("staged cost records after Seal: %s, want %s", got, want)
			}
			if got, want := staged("bill_summaries"), fmt.Sprint(len(m.sums)); got != want {
				t.Errorf("staged bill summaries after Seal: %s, want %s", got, want)
			}
			if err := w.AddCostRecord(ctx, m.cost[0]); !errors.Is(err, sink.ErrWriterSealed) {
				t.Errorf("AddCostRecord after Seal: %v, want ErrWriterSealed", err)
			}
			if err := w.AddBillSummary(ctx, m.sums[0]); !errors.Is(err, sink.ErrWriterSealed) {
				t.Errorf("AddBillSummary after Seal: %v, want ErrWriterSealed", err)
			}
			if err := w.Seal(ctx); err != nil {
				t.Errorf("second Seal: %v", err)
			}
			if err := w.Commit(ctx, m.counts()); err != nil {
				t.Fatal(err)
			}
			checkMonth(t, s, m)

			fees := feeRows(3, march, sink.StreamBlockRows+10)
			fw, err := s.BeginFeeMonth(ctx, "acme", march)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = fw.Abort(ctx) }()
			for _, r := range fees {
				if err := fw.Add(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if engine == sink.EngineServer && !slices.ContainsFunc(stagingTables(t, s), func(n string) bool {
				return strings.HasPrefix(n, "staging_fee_records_") && strings.HasSuffix(n, "_win")
			}) {
				t.Errorf("transaction bills staged without a wire table: %v", stagingTables(t, s))
			}
			if err := fw.Seal(ctx); err != nil {
				t.Fatal(err)
			}
			if got, want := staged("fee_records"), fmt.Sprint(len(fees)); got != want {
				t.Errorf("staged transaction bills after Seal: %s, want %s", got, want)
			}
			if err := fw.Add(ctx, fees[0]); !errors.Is(err, sink.ErrWriterSealed) {
				t.Errorf("Add after Seal: %v, want ErrWriterSealed", err)
			}
			if err := fw.Commit(ctx, len(fees)); err != nil {
				t.Fatal(err)
			}
			if got := query(t, s, "SELECT count() FROM DB.fee_records WHERE scope = 'acme'").Rows[0][0]; got != fmt.Sprint(len(fees)) {
				t.Errorf("stored %s transaction bills, want %d", got, len(fees))
			}
		})
	}
}
