package sink_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestDecimalRoundTrip: the edge values of the buffered decimal columns
// (zero, negative, 18/19/30-digit coefficients, exponents -8..+10,
// trailing zeros, the Decimal(38, 8) max and min) come back exactly from
// both engines, over several blocks that reuse the columns' buffers.
func TestDecimalRoundTrip(t *testing.T) {
	edges := sink.EdgeDecimals()
	observed := time.Date(2024, 3, 5, 1, 2, 3, 0, time.UTC)
	var rows []sink.BalanceSnapshot
	for i := 0; len(rows) < 2*sink.MinBatchRows+sink.MinBatchRows/2; i++ {
		d := edges[i%len(edges)]
		rows = append(rows, sink.BalanceSnapshot{Scope: "edge", ObservedAt: observed, CustomerID: "c", AccountID: fmt.Sprintf("a%06d", i),
			Amount: d, CreditAmount: d.Neg(), DesignatedAmount: edges[(i+1)%len(edges)], DebtAmount: edges[(i*7)%len(edges)]})
	}
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			if err := s.WriteBalances(context.Background(), rows); err != nil {
				t.Fatal(err)
			}
			res := query(t, s, "SELECT account_id, amount, credit_amount, designated_amount, debt_amount FROM DB.balances ORDER BY account_id")
			if len(res.Rows) != len(rows) {
				t.Fatalf("read %d rows, want %d", len(res.Rows), len(rows))
			}
			for i, r := range res.Rows {
				want := rows[i]
				if r[0] != want.AccountID {
					t.Fatalf("row %d is account %s, want %s", i, r[0], want.AccountID)
				}
				for j, w := range []decimal.Decimal{want.Amount, want.CreditAmount, want.DesignatedAmount, want.DebtAmount} {
					if got, err := decimal.NewFromString(r[j+1]); err != nil || !got.Equal(w) {
						t.Errorf("account %s %s = %q, want %s", r[0], res.Columns[j+1], r[j+1], w)
					}
				}
			}
		})
	}
}

// TestStagedDecimalRoundTrip streams a month of cost records whose money
// columns hold the edge values: the first and last blocks only values that
// fit Int64 at scale 8 (the server engine's wire tables, wire.go), the
// middle one also the wider ones (sent as decimals beside the stream). Every
// value comes back exactly from both engines, and the server engine made a
// wire pair and dropped it with the staging table.
func TestStagedDecimalRoundTrip(t *testing.T) {
	limit := decimal.RequireFromString("92233720368.54775808") // 2^63 at scale 8
	var narrow, all []decimal.Decimal
	for _, d := range sink.EdgeDecimals() {
		all = append(all, d)
		if d.Abs().LessThan(limit) || d.Equal(limit.Neg()) {
			narrow = append(narrow, d)
		}
	}
	all = append(all, limit, limit.Neg().Sub(decimal.New(1, -8)))
	narrow = append(narrow, limit.Sub(decimal.New(1, -8)), limit.Neg())
	n := 2*sink.StreamBlockRows + 100
	r := rand.New(rand.NewPCG(5, 5))
	m := &month{scope: "edge", cycle: march}
	for i := range n {
		edges := narrow
		if i >= sink.StreamBlockRows && i < 2*sink.StreamBlockRows {
			edges = all
		}
		c := costRecord(r, m.scope, m.cycle, i)
		c.Amount, c.OfficialAmount = edges[i%len(edges)], edges[(i+1)%len(edges)]
		c.CashAmount, c.DebtAmount = edges[(i*7)%len(edges)].Neg(), edges[(i*3)%len(edges)]
		c.Usage = edges[(i*5)%len(edges)]
		m.cost = append(m.cost, c)
	}
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			w, err := s.BeginMonth(ctx, m.scope, m.cycle)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = w.Abort(ctx) }()
			if err := addMonth(ctx, w, m); err != nil {
				t.Fatal(err)
			}
			wired := 0
			for _, name := range stagingTables(t, s) {
				if strings.HasSuffix(name, "_win") || strings.HasSuffix(name, "_wmv") {
					wired++
				}
			}
			if want := map[string]int{sink.EngineServer: 2}[engine]; wired != want {
				t.Errorf("%d wire tables while staging, want %d: %v", wired, want, stagingTables(t, s))
			}
			if err := w.Commit(ctx, m.counts()); err != nil {
				t.Fatal(err)
			}
			if st := stagingTables(t, s); len(st) != 0 {
				t.Errorf("staging tables left after Commit: %v", st)
			}
			res := query(t, s, "SELECT record_id, amount, official_amount, cash_amount, debt_amount, usage FROM DB.cost_records WHERE scope = 'edge' ORDER BY record_id")
			if len(res.Rows) != n {
				t.Fatalf("read %d rows, want %d", len(res.Rows), n)
			}
			for i, row := range res.Rows {
				c := m.cost[i]
				if row[0] != c.RecordID {
					t.Fatalf("row %d is %s, want %s", i, row[0], c.RecordID)
				}
				for j, want := range []decimal.Decimal{c.Amount, c.OfficialAmount, c.CashAmount, c.DebtAmount, c.Usage} {
					if got, err := decimal.NewFromString(row[j+1]); err != nil || !got.Equal(want) {
						t.Errorf("%s %s = %q, want %s", row[0], res.Columns[j+1], row[j+1], want)
					}
				}
			}
		})
	}
}

// TestWireCast: the wire tables' conversion from Int64 (value×10^8) to
// Decimal(38, 8) is exact at the limits on every engine, so a server of any
// version converts the same way (the embedded engine does not use wire
// tables, but runs the newest ClickHouse).
func TestWireCast(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			for v, want := range map[string]string{
				"9223372036854775807":  "92233720368.54775807",
				"-9223372036854775808": "-92233720368.54775808",
				"1":                    "0.00000001",
				"-1":                   "-0.00000001",
				"0":                    "0",
				"150000000":            "1.5",
				"-1234567890123":       "-12345.67890123",
			} {
				res := query(t, s, "SELECT toTypeName(d), toString(d) FROM (SELECT "+sink.WireCast("toInt64('"+v+"')")+" AS d)")
				if got := res.Rows[0]; got[0] != "Decimal(38, 8)" || !decimal.RequireFromString(got[1]).Equal(decimal.RequireFromString(want)) {
					t.Errorf("%s: got %v, want Decimal(38, 8) %s", v, got, want)
				}
			}
		})
	}
}

// TestWireTables: the wire pair's view rebuilds cost records exactly, every
// column included (the DEFAULT ones it computes), on the server and on the
// embedded engine, which runs the newest ClickHouse: the pair's DDL works on
// any server version users run, though only 18.16 runs as a server here.
func TestWireTables(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			m := genMonth(31, "acme", march, 3000, 2)
			m.cost[0].Amount = decimal.RequireFromString("-92233720368.54775808")
			m.cost[1].Amount = decimal.RequireFromString("92233720368.54775807")
			m.cost[2].ResourceTags = "env=prod;team=finops"
			m.cost[3].ChargeMode = "1"
			mustWrite(t, s, m)
			name, err := sink.WireCopy(ctx, s)
			defer func() {
				if err := sink.DropStaging(ctx, s, name); err != nil {
					t.Error(err)
				}
			}()
			if err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, r := range query(t, s, "SELECT name FROM system.columns WHERE database = '"+s.Database()+"' AND table = 'cost_records' AND default_kind != 'ALIAS'").Rows {
				cols = append(cols, "toString("+r[0]+")")
			}
			if len(cols) < 50 {
				t.Fatalf("cost_records has %d columns", len(cols))
			}
			digest := "SELECT count(), toString(groupBitXor(cityHash64(" + strings.Join(cols, ", ") + "))) FROM DB."
			want, got := query(t, s, digest+"cost_records").Rows[0], query(t, s, digest+name).Rows[0]
			if want[0] != fmt.Sprint(len(m.cost)) || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("staged through the wire pair: %v rows/digest, stored: %v", got, want)
			}
			// On a server the stored rows came through wire tables too: the
			// DEFAULT columns the view computed must hold what their
			// expressions give over the stored columns, as a plain INSERT
			// would have filled them.
			defaults := query(t, s, "SELECT name, default_expression FROM system.columns WHERE database = '"+s.Database()+"' AND table = 'cost_records' AND default_kind = 'DEFAULT'").Rows
			if len(defaults) < 3 {
				t.Fatalf("cost_records has %d DEFAULT columns", len(defaults))
			}
			for _, d := range defaults {
				if n := query(t, s, "SELECT countIf(NOT ("+d[0]+" = ("+d[1]+"))) FROM DB."+name).Rows[0][0]; n != "0" {
					t.Errorf("%s rows hold a %s other than %s", n, d[0], d[1])
				}
			}
		})
	}
}

// TestWireFallback: when the server refuses the wire tables (here a table
// already holds the view's name), the rows go into staging as decimals and
// the month commits exactly; nothing of the pair is left behind.
func TestWireFallback(t *testing.T) {
	ctx := context.Background()
	s := sinktest.Open(t, sink.EngineServer)
	m := genMonth(41, "acme", march, sink.StreamBlockRows+500, 3)
	w, err := s.BeginMonth(ctx, m.scope, m.cycle)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Abort(ctx) }()
	for _, name := range stagingTables(t, s) {
		if strings.HasPrefix(name, "staging_cost_records_") {
			if err := s.Exec(ctx, "CREATE TABLE "+s.Database()+"."+name+"_wmv (x UInt8) ENGINE = Memory"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := addMonth(ctx, w, m); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, m.counts()); err != nil {
		t.Fatal(err)
	}
	checkMonth(t, s, m)
	if st := stagingTables(t, s); len(st) != 0 {
		t.Errorf("left after Commit: %v", st)
	}
}
