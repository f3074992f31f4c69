package sink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// The memory bounds of the embedded engine reach the session (every
// statement runs under them) and the engine (its server settings) on the
// chDB build under test (issue 14).
func TestEmbeddedSettingsReachEngine(t *testing.T) {
	ctx := context.Background()
	s, err := sink.Open(ctx, sinktest.Config(t, sink.EngineEmbedded), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		table string
		want  map[string]string
	}{
		{"system.settings", map[string]string{"max_memory_usage": "1073741824", "max_insert_threads": "1", "max_threads": "2",
			"min_insert_block_size_bytes": "33554432", "input_format_parallel_parsing": "0"}},
		{"system.server_settings", map[string]string{"max_server_memory_usage": "2147483648", "mark_cache_size": "67108864",
			"index_mark_cache_size": "16777216", "primary_index_cache_size": "67108864", "query_condition_cache_size": "16777216",
			"compiled_expression_cache_size": "16777216"}},
	} {
		names := make([]string, 0, len(c.want))
		for k := range c.want {
			names = append(names, "'"+k+"'")
		}
		res, err := s.Query(ctx, "SELECT name, value FROM "+c.table+" WHERE name IN ("+strings.Join(names, ", ")+") ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range res.Rows {
			got[r[0]] = r[1]
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (all: %v)", c.table, k, got[k], v, got)
			}
		}
	}
}
