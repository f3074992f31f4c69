package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestVerifyCommand: rows deleted from a stored month behind syncd's back
// (an ALTER TABLE … DELETE) make `syncd verify` exit 1 naming that month;
// `syncd verify --repair` re-syncs it and exits 0, and the month equals the
// source again.
func TestVerifyCommand(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			env := simEnv(t, engine)
			lookup := envconfig.MapLookuper(env)
			prev := bss.MonthOf(time.Now()).Prev()
			cmd := func(want int, args ...string) string {
				t.Helper()
				var stdout, stderr syncBuffer
				if code := run(ctx, args, lookup, &stdout, &stderr); code != want {
					t.Fatalf("syncd %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
				}
				return stdout.String()
			}
			cmd(exitOK, "sync", "--job", "bills", "--from", prev.String(), "--to", prev.String())
			out := cmd(exitOK, "verify")
			if !strings.Contains(out, "0 mismatched") || !strings.Contains(out, "OK ") {
				t.Fatalf("verify of a fresh sync:\n%s", out)
			}

			cfg := sinktest.Config(t, engine)
			cfg.Database = env["SYNCD_CLICKHOUSE_DATABASE"]
			s := sinktest.OpenConfig(t, cfg)
			month := fmt.Sprintf("bill_cycle = toDate('%s-01')", prev)
			truth := query(t, s, "SELECT count(), sum(amount) FROM DB.cost_records WHERE "+month)[0]
			if truth[0] == "0" {
				t.Fatalf("month %s has no records", prev)
			}
			if err := s.Exec(ctx, "ALTER TABLE "+s.Database()+".cost_records DELETE WHERE "+month+" AND cityHash64(record_id) % 4 = 0"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for query(t, s, "SELECT count() FROM DB.cost_records WHERE "+month)[0][0] == truth[0] {
				if time.Now().After(deadline) {
					t.Fatal("the delete mutation did not run")
				}
				time.Sleep(200 * time.Millisecond)
			}

			out = cmd(exitFailed, "verify")
			if !strings.Contains(out, "MISMATCH") || !strings.Contains(out, prev.String()) || !strings.Contains(out, "rows stored") {
				t.Errorf("verify after the delete does not name %s:\n%s", prev, out)
			}
			out = cmd(exitOK, "verify", "--repair")
			if !strings.Contains(out, "after repair:") {
				t.Errorf("verify --repair output:\n%s", out)
			}
			cmd(exitOK, "verify", "--from", prev.String(), "--to", prev.String())
			if got := query(t, s, "SELECT count(), sum(amount) FROM DB.cost_records WHERE "+month)[0]; got[0] != truth[0] || got[1] != truth[1] {
				t.Errorf("after repair the month holds %v, want %v", got, truth)
			}
			cmd(exitUsage, "verify", "extra")
		})
	}
}
