package sink_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// withPath returns the test server's DSN with its path set to /db.
func withPath(t *testing.T, db string) string {
	dsn := sinktest.DSN(t)
	base, query, _ := strings.Cut(dsn, "?")
	if i := strings.LastIndex(base, "/"); i > len("clickhouse://") {
		base = base[:i]
	}
	return base + "/" + db + "?" + query
}

// TestDSNDatabase: a database named in the DSN's path is where the tables go,
// created by Migrate when it does not exist yet; naming another one in
// Config.Database too is an error naming both.
func TestDSNDatabase(t *testing.T) {
	ctx := context.Background()
	db := sinktest.Database(t)
	s := sinktest.OpenConfig(t, sink.Config{DSN: withPath(t, db)})
	if s.Database() != db {
		t.Fatalf("Database() = %q, want the DSN's %q", s.Database(), db)
	}
	res, err := s.Query(ctx, fmt.Sprintf("SELECT count() FROM system.tables WHERE database = '%s' AND name = 'cost_records'", db))
	if err != nil || res.Rows[0][0] != "1" {
		t.Fatalf("cost_records in %s: %v %v", db, res, err)
	}

	same := sinktest.OpenConfig(t, sink.Config{DSN: withPath(t, db), Database: db})
	if same.Database() != db {
		t.Errorf("same name twice: Database() = %q", same.Database())
	}
	_, err = sink.Open(ctx, sink.Config{DSN: withPath(t, db), Database: "finops"}, nil)
	if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "finops") {
		t.Errorf("conflicting names: err = %v, want one naming %q and finops", err, db)
	}
	def := sinktest.OpenConfig(t, sink.Config{DSN: withPath(t, "default"), Database: sinktest.Database(t)})
	if strings.HasPrefix(def.Database(), "default") {
		t.Errorf("/default with a database name: Database() = %q, want the name", def.Database())
	}
}
