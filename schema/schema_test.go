package schema

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMigrationsRender(t *testing.T) {
	migs, err := Migrations(Params{Database: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	if migs[0].Version != BootstrapVersion {
		t.Fatalf("first migration = %s, want %s", migs[0].Version, BootstrapVersion)
	}
	for i, m := range migs {
		if i > 0 && m.Version <= migs[i-1].Version {
			t.Errorf("migrations out of order: %s after %s", m.Version, migs[i-1].Version)
		}
		if len(m.Statements) == 0 {
			t.Errorf("%s has no statements", m.Version)
		}
		for _, s := range m.Statements {
			up := strings.ToUpper(s)
			if !strings.Contains(up, "IF NOT EXISTS") && !createOrReplaceView.MatchString(s) {
				t.Errorf("%s: statement is not idempotent: %.60s", m.Version, s)
			}
			for _, bad := range []string{"DROP ", "TRUNCATE ", "DELETE ", "ON CLUSTER", "REPLICATED"} {
				if strings.Contains(up, bad) {
					t.Errorf("%s: statement contains %q: %.60s", m.Version, bad, s)
				}
			}
			if strings.Contains(s, "{{") || strings.HasSuffix(s, ";") {
				t.Errorf("%s: badly rendered statement: %.60s", m.Version, s)
			}
		}
	}
}

func TestMigrationsCluster(t *testing.T) {
	migs, err := Migrations(Params{Database: "bill_db", Cluster: "syncd"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		for _, s := range m.Statements {
			if !strings.Contains(s, "ON CLUSTER syncd") {
				t.Errorf("%s: statement lacks ON CLUSTER: %.60s", m.Version, s)
			}
			if strings.Contains(s, "ENGINE") && !strings.Contains(s, "ENGINE = Replicated") {
				t.Errorf("%s: engine is not replicated: %.80s", m.Version, s)
			}
		}
	}
	got := Params{Database: "bill_db", Cluster: "syncd"}.Engine("balances", "ReplacingMergeTree")
	want := "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/bill_db/balances', '{replica}')"
	if got != want {
		t.Errorf("Engine = %s, want %s", got, want)
	}
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		want string
	}{
		{"ok", Params{Database: "billing"}, ""},
		{"empty database", Params{}, `invalid database name ""`},
		{"injection", Params{Database: "billing; DROP TABLE x"}, "invalid database name"},
		{"dotted", Params{Database: "a.b"}, "invalid database name"},
		{"bad cluster", Params{Database: "billing", Cluster: "a-b"}, `invalid cluster name "a-b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	got := Split("-- comment\nCREATE TABLE a (x String);\n\nCREATE VIEW b AS\nSELECT ';' AS s\nFROM a;\n")
	want := []string{"CREATE TABLE a (x String)", "CREATE VIEW b AS\nSELECT ';' AS s\nFROM a"}
	if len(got) != len(want) {
		t.Fatalf("Split = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// memTarget records what Apply does, standing in for an engine in this
// unit test; the sink's integration tests apply the same files to real
// engines.
type memTarget struct {
	execs    []string
	applied  map[string]bool
	failExec func(stmt string) error
}

func (m *memTarget) Exec(_ context.Context, stmt string) error {
	if m.failExec != nil {
		if err := m.failExec(stmt); err != nil {
			return err
		}
	}
	m.execs = append(m.execs, stmt)
	return nil
}

func (m *memTarget) Applied(context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	for k, v := range m.applied {
		out[k] = v
	}
	return out, nil
}

func (m *memTarget) Record(_ context.Context, v string) error {
	m.applied[v] = true
	return nil
}

func TestApplyIdempotent(t *testing.T) {
	ctx := context.Background()
	p := Params{Database: "billing"}
	migs, err := Migrations(p)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	tg := &memTarget{applied: map[string]bool{}, failExec: func(s string) error {
		if strings.Contains(s, "billing.balances ") {
			return boom
		}
		return nil
	}}
	got, err := Apply(ctx, tg, p)
	if !errors.Is(err, boom) {
		t.Fatalf("Apply with a failing statement: err = %v, want boom", err)
	}
	if tg.applied["030_balances.sql"] {
		t.Fatalf("failed migration was recorded")
	}
	tg.failExec = nil
	got2, err := Apply(ctx, tg, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got)+len(got2) != len(migs) {
		t.Errorf("applied %v then %v, want %d migrations in all", got, got2, len(migs))
	}
	got3, err := Apply(ctx, tg, p)
	if err != nil || len(got3) != 0 {
		t.Errorf("third Apply = %v, %v; want nothing applied", got3, err)
	}
}

func TestStagingEngineMatchesSchema(t *testing.T) {
	migs, err := Migrations(Params{Database: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	for table, keys := range swapKeys {
		found := false
		for _, m := range migs {
			for _, s := range m.Statements {
				if strings.HasPrefix(s, "CREATE TABLE IF NOT EXISTS billing."+table+" ") {
					found = true
					if want := keys + "\n" + swapSettings; !strings.HasSuffix(s, want) {
						t.Errorf("%s: statement does not end with the staging keys and settings %q", table, want)
					}
				}
			}
		}
		if !found {
			t.Errorf("no CREATE TABLE for %s", table)
		}
		if _, err := StagingEngine(table); err != nil {
			t.Error(err)
		}
	}
	if _, err := StagingEngine("balances"); err == nil {
		t.Error("StagingEngine(balances) succeeded")
	}
}

// TestCreateOrReplaceView: on an engine that parses CREATE OR REPLACE VIEW the statement is sent
// as is; where it is a syntax error (ClickHouse 18.16), the view is dropped and created, ON CLUSTER
// kept, and any other error is returned unchanged.
func TestCreateOrReplaceView(t *testing.T) {
	ctx := context.Background()
	stmt := "-- comment\nCREATE OR REPLACE VIEW db.v ON CLUSTER c AS\nSELECT 1"
	modern := &memTarget{applied: map[string]bool{}}
	if err := execStatement(ctx, modern, stmt); err != nil {
		t.Fatal(err)
	}
	if len(modern.execs) != 1 || modern.execs[0] != stmt {
		t.Errorf("modern engine got %q", modern.execs)
	}
	old := &memTarget{applied: map[string]bool{}, failExec: func(s string) error {
		if strings.Contains(s, "OR REPLACE") {
			return errors.New("code: 62, message: Syntax error: failed at position 8")
		}
		return nil
	}}
	if err := execStatement(ctx, old, stmt); err != nil {
		t.Fatal(err)
	}
	want := []string{"DROP TABLE IF EXISTS db.v ON CLUSTER c", "-- comment\nCREATE VIEW db.v ON CLUSTER c AS\nSELECT 1"}
	if strings.Join(old.execs, "|") != strings.Join(want, "|") {
		t.Errorf("18.16 got %q, want %q", old.execs, want)
	}
	boom := errors.New("boom")
	failing := &memTarget{applied: map[string]bool{}, failExec: func(string) error { return boom }}
	if err := execStatement(ctx, failing, stmt); !errors.Is(err, boom) {
		t.Errorf("other error: %v, want boom", err)
	}
}
