//go:build !nochdb

package sink_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestSettleAtClose: the embedded engine's Close waits for the parts its
// swaps replaced and returns because they are gone, not because
// settleTimeout ran out, also when an empty month was dropped (chDB leaves
// an empty covering part outdated for 6–30 s, which Close used to wait
// for). The next start finds nothing resurrected and no replaced part left.
func TestSettleAtClose(t *testing.T) {
	ctx := context.Background()
	cfg := sinktest.Config(t, sink.EngineEmbedded)
	s, err := sink.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	v1 := genMonth(31, "acme", march, 3_000, 10)
	mustWrite(t, s, v1)
	v2 := v1.reissue(32, 100)
	mustWrite(t, s, v2) // REPLACE PARTITION: v1's parts are replaced
	mustWrite(t, s, genMonth(33, "acme", april, 500, 5))
	empty := &month{scope: "acme", cycle: april}
	mustWrite(t, s, empty) // DROP PARTITION: an empty covering part

	// What Close waits for holds rows; the empty covering parts, outdated
	// but on disk, are not waited for.
	inactive := query(t, s, "SELECT concat(database, '.', table, '/', name) AS part, rows FROM system.parts WHERE database = '"+
		s.Database()+"' AND table IN ('"+sink.TableCostRecords+"', '"+sink.TableBillSummaries+"') AND NOT active ORDER BY part")
	waited, err := sink.ReplacedParts(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	emptyParts := 0
	for i := range inactive.Rows {
		part, rows := inactive.Value(i, "part"), inactive.Value(i, "rows")
		if rows == "0" {
			emptyParts++
		}
		if slices.Contains(waited, part) != (rows != "0") {
			t.Errorf("inactive part %s with %s rows: waited for = %v", part, rows, slices.Contains(waited, part))
		}
	}
	t.Logf("at close: %d inactive parts, %d of them empty, waiting for %v", len(inactive.Rows), emptyParts, waited)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sink.LastEmbeddedSettle(); got != "gone" {
		t.Fatalf("Close stopped waiting for replaced parts because %q, want \"gone\"", got)
	}

	s2 := sinktest.OpenConfig(t, cfg)
	checkMonth(t, s2, v2)
	checkMonth(t, s2, empty)
	left := query(t, s2, fmt.Sprintf("SELECT count() AS n FROM system.parts WHERE database = '%s' AND table IN ('%s') AND NOT active AND rows > 0",
		s2.Database(), strings.Join([]string{sink.TableCostRecords, sink.TableBillSummaries}, "', '")))
	if n := left.Value(0, "n"); n != "0" {
		t.Errorf("%s replaced parts with rows on disk after Close", n)
	}
}
