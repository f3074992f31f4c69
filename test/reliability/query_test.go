package reliability

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestQueryReadOnly writes with `syncd sync` and reads with `syncd query`, a
// fresh process, on ClickHouse 18.16 and on both chDB builds: unqualified
// table names resolve to the configured database, the count equals what
// was synced, every format prints it, and writes, DDL and settings changes
// are refused by ClickHouse's readonly setting, leaving the data as it was.
func TestQueryReadOnly(t *testing.T) {
	s := sinktest.Open(t, sink.EngineServer)
	sim := newSim(t, bsssim.Config{Seed: 7, Now: time.Now, Scale: bsssim.Scale{Members: 1, RecordsPerMonth: 200, Months: 2}})
	month := sim.Months()[0]
	engines := map[string][]string{"clickhouse-18.16": syncdEnv(sim.URL, sinktest.DSN(t), s.Database())}
	for _, lib := range strings.Split(os.Getenv(matrixLibsEnv), ":") {
		for _, v := range matrixCHDB {
			if strings.Contains(lib, "chdb-"+v) {
				env := withoutVar(withoutVar(withoutVar(syncdEnv(sim.URL, "", "billing"), "SYNCD_CLICKHOUSE_DSN"), "CHDB_LIB_PATH"), "SYNCD_DATA_DIR")
				engines["chdb-"+v] = append(env, "CHDB_LIB_PATH="+lib, "SYNCD_DATA_DIR="+t.TempDir())
			}
		}
	}
	if len(engines) != 1+len(matrixCHDB) {
		t.Fatalf("engines %d, want the server and chDB %v (%s=%q)", len(engines), matrixCHDB, matrixLibsEnv, os.Getenv(matrixLibsEnv))
	}
	for name, env := range engines {
		t.Run(name, func(t *testing.T) {
			if code, out := runSyncd(t, env, "sync", "--job", "bills", "--from", month, "--to", month); code != 0 {
				t.Fatalf("sync: exit %d\n%s", code, tail(out, 2000))
			}
			want := fmt.Sprint(sim.Truth("", month).Records)
			count := "SELECT count() AS n FROM cost_records WHERE bill_cycle = '" + month + "-01'"
			for format, expect := range map[string]string{"table": "n\n" + want + "\n(1 rows)", "csv": "n\n" + want + "\n", "tsv": "n\n" + want + "\n",
				"json": `"n": "` + want + `"`} {
				code, out := runSyncd(t, env, "query", count, "--format", format)
				if code != 0 || !strings.Contains(out, expect) {
					t.Errorf("query --format %s: exit %d, want %q in:\n%s", format, code, expect, out)
				}
			}
			for _, w := range []string{"INSERT INTO cost_records SELECT * FROM cost_records", "DROP TABLE cost_records", "TRUNCATE TABLE sync_runs",
				"CREATE TABLE x (a UInt8) ENGINE = Memory", "SET readonly = 0"} {
				code, out := runSyncd(t, env, "query", w)
				if code != 1 || !strings.Contains(strings.ToLower(out), "readonly") {
					t.Errorf("query %q: exit %d, want 1 and a readonly refusal:\n%s", w, code, tail(out, 800))
				}
			}
			if code, out := runSyncd(t, env, "query", count, "--format", "csv"); code != 0 || !strings.Contains(out, want) {
				t.Errorf("after the refused writes: exit %d, want %s rows still:\n%s", code, want, out)
			}
			if code, out := runSyncd(t, env, "query", "SELECT 1", "extra"); code != 2 || !strings.Contains(out, `unexpected argument "extra"`) {
				t.Errorf("stray argument: exit %d:\n%s", code, out)
			}
		})
	}
}
