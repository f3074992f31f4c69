package sink_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestCluster runs the schema ON CLUSTER with Replicated engines on two
// ClickHouse servers coordinated by ZooKeeper, writes and rewrites a month
// through replica 1 and reads it, identically, from replica 2.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c, err := sinktest.StartCluster(ctx, 2)
	if err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(c.Stop)
	cfg := sink.Config{DSN: c.Replicas[0].DSN, Database: sinktest.Database(t), Cluster: sinktest.ClusterName,
		BatchRows: sink.MinBatchRows, StagingTTL: time.Hour}
	s1 := sinktest.OpenConfig(t, cfg)
	cfg2 := cfg
	cfg2.DSN = c.Replicas[1].DSN
	s2 := sinktest.OpenConfig(t, cfg2) // migrates again, through the other replica: harmless

	for _, s := range []*sink.Sink{s1, s2} {
		res := query(t, s, fmt.Sprintf("SELECT name, engine FROM system.tables WHERE database = '%s' AND name = 'cost_records'", s.Database()))
		if len(res.Rows) != 1 || res.Rows[0][1] != "ReplicatedMergeTree" {
			t.Fatalf("cost_records on a replica: %v, want ReplicatedMergeTree", res.Rows)
		}
	}
	v1 := genMonth(1, "acme", march, 12_000, 10)
	mustWrite(t, s1, v1)
	checkMonth(t, s1, v1)
	checkMonth(t, s2, v1)
	v2 := v1.reissue(2, 500)
	mustWrite(t, s1, v2)
	checkMonth(t, s2, v2)
	checkMonth(t, s1, v2)
	// Written through replica 2 this time.
	v3 := v2.reissue(3, 10)
	mustWrite(t, s2, v3)
	checkMonth(t, s1, v3)

	units := []sink.OrgUnit{{OrgID: "root", Name: "Root", Path: "Root"}}
	if err := s1.ReplaceOrg(ctx, "acme", units, []sink.Account{{CustomerID: "m1", OrgID: "root"}}); err != nil {
		t.Fatal(err)
	}
	res := query(t, s2, "SELECT count() FROM DB.accounts")
	if res.Rows[0][0] != "1" {
		t.Errorf("accounts on replica 2 = %v, want 1", res.Rows)
	}
	if st := stagingTables(t, s1); len(st) != 0 {
		t.Errorf("staging tables left on replica 1: %v", st)
	}
}
