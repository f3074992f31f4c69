package sink_test

import (
	"context"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// The memory bounds of the embedded engine reach the session: every
// statement runs under them (issue 14).
func TestEmbeddedSettingsReachEngine(t *testing.T) {
	ctx := context.Background()
	s, err := sink.Open(ctx, sinktest.Config(t, sink.EngineEmbedded), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{"max_memory_usage": "1073741824", "max_insert_threads": "1", "max_threads": "2"}
	res, err := s.Query(ctx, "SELECT name, value FROM system.settings WHERE name IN ('max_memory_usage', 'max_insert_threads', 'max_threads') ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range res.Rows {
		got[r[0]] = r[1]
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}
