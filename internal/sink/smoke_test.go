package sink_test

import (
	"context"
	"testing"

	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func TestSmoke(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(context.Background(), "SELECT version, toTypeName(applied_at) FROM "+s.Database()+".schema_migrations ORDER BY version")
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res.Types, res.Rows)
		})
	}
}
