package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestRestartRepairsDuplicatedMonth: a plain MergeTree can show a replaced
// month twice after the engine dies right after a partition swap (ClickHouse
// #107605). A daemon's first bills run after an engine (re)start finds such
// months and re-syncs them, even a closed month no schedule would touch, so
// the tables equal the simulator's truth again.
func TestRestartRepairsDuplicatedMonth(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newE2E(t, engine)
			p := e.boot()
			e.checkBills(p.Sink)
			closed := e.sim.Months()[0]
			if open := jobs.OpenMonths(e2eNow, 3, 10); open[0].String() == closed {
				t.Fatalf("month %s is open; the test needs a closed one", closed)
			}
			// What a resurrected replaced part looks like: a second copy of
			// some of the month's rows, in both tables.
			db := p.Sink.Database()
			for _, q := range []string{
				fmt.Sprintf("INSERT INTO %s.cost_records SELECT * FROM %s.cost_records WHERE bill_cycle = toDate('%s-01') LIMIT 50", db, db, closed),
				fmt.Sprintf("INSERT INTO %s.bill_summaries SELECT * FROM %s.bill_summaries WHERE bill_cycle = toDate('%s-01') LIMIT 2", db, db, closed),
			} {
				if err := p.Sink.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			// A new daemon runs only the bills job (open months): the
			// integrity check adds the damaged closed month.
			p = &Program{Config: e.cfg, Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Now: func() time.Time { return e2eNow }}
			if err := p.Open(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := p.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			if err := p.Sync(ctx, []string{jobs.JobBills}, jobs.Window{}, nil); err != nil {
				t.Fatal(err)
			}
			e.checkBills(p.Sink)
			if !strings.Contains(e.logs.String(), "differs from its commit manifest after an engine restart") {
				t.Errorf("no log line about the repaired month %s", closed)
			}
			if got, err := p.Sink.MismatchedMonths(ctx); err != nil || len(got) != 0 {
				t.Errorf("MismatchedMonths after the repair = %v, %v; want none", got, err)
			}
		})
	}
}
