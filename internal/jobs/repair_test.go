package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// onSyncedRigs runs check, on every engine, on a rig whose simulator holds
// a closed and an open month, both synced and equal to its truth.
func onSyncedRigs(t *testing.T, check func(t *testing.T, ctx context.Context, r *monthRig)) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			r := newMonthRigOn(t, engine, bsssim.Scale{Members: -1, Months: 2, RecordsPerMonth: 2500}, bss.SiteChina)
			if err := r.sync(ctx, r.bills.Run, r.all()); err != nil {
				t.Fatal(err)
			}
			r.checkBills(t)
			check(t, ctx, r)
		})
	}
}

// TestRestartRepairsDuplicatedMonth: a plain MergeTree can show a replaced
// month twice after the engine dies right after a partition swap (ClickHouse
// #107605). A process's first bills run after an engine (re)start finds such
// months and re-syncs them, even a closed month no schedule would touch, so
// the tables equal the simulator's truth again.
func TestRestartRepairsDuplicatedMonth(t *testing.T) {
	onSyncedRigs(t, func(t *testing.T, ctx context.Context, r *monthRig) {
		closed := r.sim.Months()[0]
		if open := OpenMonths(driftNow, 3, 10); open[0].String() == closed {
			t.Fatalf("month %s is open; the test needs a closed one", closed)
		}
		// What a resurrected replaced part looks like: a second copy of
		// some of the month's rows, in both tables.
		db := r.sink.Database()
		for _, q := range []string{
			fmt.Sprintf("INSERT INTO %s.cost_records SELECT * FROM %s.cost_records WHERE bill_cycle = toDate('%s-01') LIMIT 50", db, db, closed),
			fmt.Sprintf("INSERT INTO %s.bill_summaries SELECT * FROM %s.bill_summaries WHERE bill_cycle = toDate('%s-01') LIMIT 2", db, db, closed),
		} {
			if err := r.sink.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}

		// A new process runs only the bills job (open months): the
		// integrity check adds the damaged closed month.
		r.restart()
		if err := r.sync(ctx, r.bills.Run, Window{}); err != nil {
			t.Fatal(err)
		}
		r.checkBills(t)
		if !strings.Contains(r.logs.String(), "differs from its commit manifest after an engine restart") {
			t.Errorf("no log line about the repaired month %s", closed)
		}
		if got, err := r.sink.MismatchedMonths(ctx); err != nil || len(got) != 0 {
			t.Errorf("MismatchedMonths after the repair = %v, %v; want none", got, err)
		}
	})
}

// TestReissuedMonthReplaced: the simulator re-issues last (closed) month;
// the scheduled runs (bills for the open months, recheck for the closed
// ones) make the tables equal the new truth, and running them again changes
// nothing.
func TestReissuedMonthReplaced(t *testing.T) {
	onSyncedRigs(t, func(t *testing.T, ctx context.Context, r *monthRig) {
		scheduled := func() {
			t.Helper()
			for _, fn := range []RunFunc{r.bills.Run, r.bills.Recheck} {
				if err := r.sync(ctx, fn, Window{}); err != nil {
					t.Fatal(err)
				}
			}
		}

		prev := r.sim.Months()[len(r.sim.Months())-2]
		before := r.sim.Truth("", prev)
		if _, err := r.sim.Reissue(prev); err != nil {
			t.Fatal(err)
		}
		after := r.sim.Truth("", prev)
		if before.Amount.Equal(after.Amount) && before.Records == after.Records {
			t.Fatalf("Reissue(%s) changed nothing; the test would prove nothing", prev)
		}
		scheduled()
		r.checkBills(t)
		fp := r.fingerprint(t)

		scheduled()
		if got := r.fingerprint(t); got != fp {
			t.Errorf("a second run changed the tables:\nbefore %s\nafter  %s", fp, got)
		}
	})
}
