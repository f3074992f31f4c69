package sink_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
	"github.com/syncd-io/syncd/schema"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestMigrateRerun(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			m := genMonth(1, "acme", march, 100, 3)
			mustWrite(t, s, m)
			for range 2 {
				if err := s.Migrate(ctx); err != nil {
					t.Fatalf("re-run migrate: %v", err)
				}
			}
			migs, err := schema.Migrations(schema.Params{Database: s.Database()})
			if err != nil {
				t.Fatal(err)
			}
			res := query(t, s, "SELECT count() AS n, uniqExact(version) AS u FROM DB.schema_migrations")
			if got, want := res.Value(0, "u"), fmt.Sprint(len(migs)); got != want {
				t.Errorf("%s versions recorded, want %s", got, want)
			}
			if res.Value(0, "n") != res.Value(0, "u") {
				t.Errorf("versions recorded more than once: %v", res.Rows)
			}
			for _, tbl := range []string{"cost_records", "bill_summaries", "balances", "balances_latest",
				"resource_packages", "resource_packages_latest", "org_units", "accounts", "sync_runs"} {
				query(t, s, "SELECT count() FROM DB."+tbl)
			}
			checkMonth(t, s, m)
		})
	}
}

func TestSnapshotsNotDoubleCounted(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			t1 := time.Date(2024, 3, 5, 1, 2, 3, 0, time.UTC)
			snap1 := []sink.BalanceSnapshot{
				{Scope: "acme", ObservedAt: t1, CustomerID: "c1", AccountID: "cash", AccountType: 1, Amount: dec("100.12345678"), Currency: "CNY"},
				{Scope: "acme", ObservedAt: t1, CustomerID: "c1", AccountID: "credit", AccountType: 2, Amount: dec("50"), CreditAmount: dec("1000"), Currency: "CNY"},
				{Scope: "beta", ObservedAt: t1, CustomerID: "c9", AccountID: "cash", AccountType: 1, Amount: dec("7"), Currency: "USD"},
			}
			// The same observation written twice (a retried insert).
			for range 2 {
				if err := s.WriteBalances(ctx, snap1); err != nil {
					t.Fatal(err)
				}
			}
			res := query(t, s, "SELECT count() AS n, sum(amount) AS amount FROM DB.balances_latest WHERE scope = 'acme'")
			if res.Value(0, "n") != "2" || res.Value(0, "amount") != "150.12345678" {
				t.Fatalf("balances_latest after retry = %v, want 2 rows summing 150.12345678", res.Rows)
			}
			// A later observation in which the credit account vanished.
			t2 := t1.Add(time.Hour)
			snap2 := []sink.BalanceSnapshot{{Scope: "acme", ObservedAt: t2, CustomerID: "c1", AccountID: "cash", AccountType: 1, Amount: dec("90.5"), Currency: "CNY"}}
			if err := s.WriteBalances(ctx, snap2); err != nil {
				t.Fatal(err)
			}
			res = query(t, s, "SELECT scope, account_id, amount, observed_at FROM DB.balances_latest ORDER BY scope, account_id")
			want := [][]string{{"acme", "cash", "90.5", "2024-03-05 02:02:03"}, {"beta", "cash", "7", "2024-03-05 01:02:03"}}
			if fmt.Sprint(res.Rows) != fmt.Sprint(want) {
				t.Errorf("balances_latest = %v, want %v", res.Rows, want)
			}

			pk := func(at time.Time, item string, remaining string) sink.ResourcePackageSnapshot {
				return sink.ResourcePackageSnapshot{Scope: "acme", ObservedAt: at, CustomerID: "c1", OrderInstanceID: "pkg-1",
					FreeResourceID: item, ProductName: "OBS 1TB", Status: 1, EffectiveTime: t1.AddDate(0, -1, 0),
					ExpireTime: t1.AddDate(1, 0, 0), OriginalAmount: dec("1024"), RemainingAmount: dec(remaining), MeasureUnit: "GB"}
			}
			for range 2 {
				if err := s.WriteResourcePackages(ctx, []sink.ResourcePackageSnapshot{pk(t1, "i1", "1000.5"), pk(t1, "i2", "10")}); err != nil {
					t.Fatal(err)
				}
			}
			res = query(t, s, "SELECT count() AS n, sum(remaining_amount) AS r FROM DB.resource_packages_latest")
			if res.Value(0, "n") != "2" || res.Value(0, "r") != "1010.5" {
				t.Fatalf("resource_packages_latest after retry = %v, want 2 rows, 1010.5 remaining", res.Rows)
			}
			if err := s.WriteResourcePackages(ctx, []sink.ResourcePackageSnapshot{pk(t2, "i1", "999")}); err != nil {
				t.Fatal(err)
			}
			res = query(t, s, "SELECT free_resource_id, remaining_amount, expire_time FROM DB.resource_packages_latest")
			if fmt.Sprint(res.Rows) != "[[i1 999 2025-03-05 01:02:03]]" {
				t.Errorf("resource_packages_latest = %v", res.Rows)
			}
			if err := s.WriteBalances(ctx, []sink.BalanceSnapshot{{Scope: "acme"}}); err == nil {
				t.Error("snapshot without observed_at accepted")
			}
		})
	}
}

func TestReplaceOrg(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			units := []sink.OrgUnit{
				{OrgID: "root", Name: "Root", Path: "Root"},
				{OrgID: "d1", ParentID: "root", Name: "Dev", Path: "Root/Dev"},
				{OrgID: "d2", ParentID: "root", Name: "Ops", Path: "Root/Ops"},
			}
			accounts := []sink.Account{{CustomerID: "m1", Name: "member-1", OrgID: "d1"}, {CustomerID: "m2", Name: "member-2", OrgID: "d2"}}
			if err := s.ReplaceOrg(ctx, "acme", units, accounts); err != nil {
				t.Fatal(err)
			}
			// A scope that needs quoting in the partition literal.
			if err := s.ReplaceOrg(ctx, `be'ta\`, units[:1], nil); err != nil {
				t.Fatal(err)
			}
			// Ops dissolved, m2 moved, m3 joined.
			units2 := units[:2]
			accounts2 := []sink.Account{{CustomerID: "m1", Name: "member-1", OrgID: "d1"}, {CustomerID: "m2", Name: "member-2", OrgID: "root"}, {CustomerID: "m3", Name: "m3", OrgID: "d1"}}
			if err := s.ReplaceOrg(ctx, "acme", units2, accounts2); err != nil {
				t.Fatal(err)
			}
			check := func() {
				t.Helper()
				res := query(t, s, "SELECT scope, org_id, path FROM DB.org_units ORDER BY scope, org_id")
				if got := fmt.Sprint(res.Rows); got != `[[acme d1 Root/Dev] [acme root Root] [be'ta\ root Root]]` {
					t.Errorf("org_units = %s", got)
				}
				res = query(t, s, "SELECT scope, customer_id, org_id FROM DB.accounts ORDER BY scope, customer_id")
				if got := fmt.Sprint(res.Rows); got != "[[acme m1 d1] [acme m2 root] [acme m3 d1]]" {
					t.Errorf("accounts = %s", got)
				}
			}
			check()
			// A tree with a duplicated unit is rejected; nothing changes.
			err := s.ReplaceOrg(ctx, "acme", append(units2, units2[1]), nil)
			var ve *sink.ValidationError
			if !errors.As(err, &ve) || ve.Table != sink.TableOrgUnits {
				t.Fatalf("duplicate org unit: %v, want ValidationError", err)
			}
			check()
			if st := stagingTables(t, s); len(st) != 0 {
				t.Errorf("staging tables left: %v", st)
			}
		})
	}
}

// TestTimesNotShifted stores a record of the UTC+8 month 2024-03 whose trade
// happened at 00:30 on 1 April UTC+8 (16:30 UTC on 31 March). The test
// server runs in Asia/Shanghai, so any zone conversion would show.
func TestTimesNotShifted(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			shanghai := time.FixedZone("UTC+8", 8*3600)
			rec := sink.CostRecord{
				RecordID:  "r1",
				BillDate:  time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC),
				TradeTime: time.Date(2024, 4, 1, 0, 30, 0, 0, shanghai),
				Amount:    dec("0.00000001"),
			}
			m := &month{scope: "acme", cycle: march, cost: []sink.CostRecord{rec}}
			mustWrite(t, s, m)
			res := query(t, s, `SELECT toString(bill_cycle) AS c, toString(bill_date) AS d, toString(trade_time) AS tt,
				toUInt32(trade_time) AS ts, toUInt32(expire_time) AS zero, toString(amount) AS a FROM DB.cost_records`)
			want := []string{"2024-03-01", "2024-03-31", "2024-03-31 16:30:00", fmt.Sprint(rec.TradeTime.Unix()), "0"}
			if got := res.Rows[0][:5]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("stored %v, want %v", got, want)
			}
			if a := dec(res.Value(0, "a")); !a.Equal(rec.Amount) {
				t.Errorf("amount = %s, want %s", a, rec.Amount)
			}
			run := sink.SyncRun{RunID: "run-1", Job: "bills", Scope: "acme", BillCycle: march,
				StartedAt: time.Date(2024, 4, 1, 0, 0, 5, 0, shanghai), FinishedAt: time.Date(2024, 4, 1, 0, 1, 0, 0, shanghai),
				Status: sink.RunSuccess, Rows: 1, APICalls: 3, Drift: dec("0.01"), Currency: "CNY"}
			if err := s.RecordRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			res = query(t, s, "SELECT toString(bill_cycle), toString(finished_at), reconciliation_drift FROM DB.sync_runs")
			if got := fmt.Sprint(res.Rows); got != "[[2024-03-01 2024-03-31 16:01:00 0.01]]" {
				t.Errorf("sync_runs = %s", got)
			}
		})
	}
}

func TestRecordRunLastSuccess(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			m := sink.NewMetrics()
			s := sinktest.Open(t, engine, sink.WithMetrics(m))
			base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
			runs := []sink.SyncRun{
				{RunID: "a", Job: "bills", Scope: "acme", StartedAt: base, FinishedAt: base.Add(time.Minute), Status: sink.RunSuccess},
				{RunID: "b", Job: "bills", Scope: "acme", StartedAt: base.Add(time.Hour), FinishedAt: base.Add(61 * time.Minute), Status: sink.RunSuccess},
				{RunID: "c", Job: "bills", Scope: "acme", StartedAt: base.Add(2 * time.Hour), FinishedAt: base.Add(121 * time.Minute), Status: sink.RunFailure, Error: "boom\ttab"},
				{RunID: "d", Job: "balances", Scope: "beta", StartedAt: base, FinishedAt: base.Add(time.Second), Status: sink.RunSuccess},
			}
			for _, r := range runs {
				if err := s.RecordRun(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.LastSuccess(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[[2]string]time.Time{{"bills", "acme"}: base.Add(61 * time.Minute), {"balances", "beta"}: base.Add(time.Second)}
			if len(got) != len(want) {
				t.Fatalf("LastSuccess = %v, want %v", got, want)
			}
			for k, v := range want {
				if !got[k].Equal(v) {
					t.Errorf("LastSuccess[%v] = %v, want %v", k, got[k], v)
				}
			}
			res := query(t, s, "SELECT error FROM DB.sync_runs WHERE run_id = 'c'")
			if res.Rows[0][0] != "boom\ttab" {
				t.Errorf("error = %q", res.Rows[0][0])
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(m.Collectors()...)
			if n := gauge(t, reg, "syncd_rows_written_total", "sync_runs"); n != 4 {
				t.Errorf("syncd_rows_written_total{table=sync_runs} = %v, want 4", n)
			}
			if n := gauge(t, reg, "syncd_clickhouse_insert_errors_total", "cost_records"); n != 0 {
				t.Errorf("insert errors = %v, want 0", n)
			}
		})
	}
}

func TestOpenErrorsHideSecrets(t *testing.T) {
	ctx := context.Background()
	dsn := sinktest.DSN(t)
	for name, bad := range map[string]string{
		"wrong password": strings.Replace(dsn, sinktest.Password, "wrong-"+sinktest.Password, 1),
		"bad url":        "clickhouse://user:" + sinktest.Password + "@host:9000/%zz",
		"bad scheme":     "http://user:" + sinktest.Password + "@127.0.0.1:1/",
		"closed port":    "clickhouse://user:" + sinktest.Password + "@127.0.0.1:1/default?dial_timeout=1s",
		"ca without tls": "clickhouse://user:" + sinktest.Password + "@127.0.0.1:1/?ca_file=/nonexistent",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := sink.Config{DSN: bad, Database: "billing", BatchRows: sink.MinBatchRows}
			s, err := sink.Open(ctx, cfg, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			t.Logf("Open: %v", err)
			if strings.Contains(err.Error(), sinktest.Password) {
				t.Errorf("error leaks the password: %v", err)
			}
			if strings.Contains(fmt.Sprint(cfg.LogValue()), sinktest.Password) {
				t.Errorf("LogValue leaks the password: %v", cfg.LogValue())
			}
			wrapped := struct{ Sink sink.Config }{cfg}
			for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
				if out := fmt.Sprintf(f, wrapped); strings.Contains(out, sinktest.Password) {
					t.Errorf("Sprintf(%q) leaks the password: %s", f, out)
				}
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := sink.Config{Database: "billing", DataDir: "./data", BatchRows: 50_000}
	for _, tc := range []struct {
		name string
		edit func(*sink.Config)
		want string
	}{
		{"ok", func(*sink.Config) {}, ""},
		{"bad database", func(c *sink.Config) { c.Database = "bill-ing" }, "invalid database name"},
		{"small batch", func(c *sink.Config) { c.BatchRows = 100 }, "batch rows 100 out of range"},
		{"big batch", func(c *sink.Config) { c.BatchRows = 1_000_000 }, "out of range"},
		{"no engine", func(c *sink.Config) { c.DataDir = "" }, "either a ClickHouse DSN or a data dir"},
		{"zero values use defaults", func(c *sink.Config) { c.Database, c.BatchRows = "", 0 }, ""},
		{"cluster embedded", func(c *sink.Config) { c.Cluster = "main" }, "cluster mode needs a ClickHouse server DSN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEmbeddedOnePathPerProcess(t *testing.T) {
	ctx := context.Background()
	cfg := sinktest.Config(t, sink.EngineEmbedded)
	s, err := sink.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := sink.Open(ctx, cfg, nil) // same data dir: shares the engine
	if err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.DataDir = t.TempDir()
	if o, err := sink.Open(ctx, other, nil); err == nil {
		o.Close()
		t.Fatal("second embedded data dir opened while the first is open")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := shared.Ping(ctx); err != nil {
		t.Fatalf("engine closed while still shared: %v", err)
	}
	if err := shared.Close(); err != nil {
		t.Fatal(err)
	}
	// Once every sink on it is closed, another data dir can be opened.
	o, err := sink.Open(ctx, other, nil)
	if err != nil {
		t.Fatalf("open another data dir after close: %v", err)
	}
	if err := o.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	// And the first again, with its data.
	s = sinktest.OpenConfig(t, cfg)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

// gauge returns the value of metric name{table=table} in reg (a counter's
// value, or a histogram's sample count).
func gauge(t *testing.T, reg *prometheus.Registry, name, table string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "table" && l.GetValue() == table {
					if c := m.GetCounter(); c != nil {
						return c.GetValue()
					}
					return float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	t.Fatalf("metric %s{table=%q} not found", name, table)
	return 0
}

// TestRunRecorded: the look-up the RunLog makes before it writes a kept row
// again finds exactly the stored row, on both engines, and quotes what it
// reads from the spool file.
func TestRunRecorded(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := sinktest.Open(t, engine)
			t0 := time.Date(2024, 5, 15, 4, 0, 0, 123_000_000, time.UTC)
			stored := []sink.SyncRun{
				{RunID: "a1b2", Job: "bills", Scope: "acme", BillCycle: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
					StartedAt: t0, FinishedAt: t0.Add(time.Minute), Status: sink.RunFailure, Error: "connection refused", Drift: decimal.Zero},
				{RunID: "c3d4", Job: "balances", Scope: "acme", StartedAt: t0, FinishedAt: t0, Status: sink.RunSuccess},
			}
			for _, r := range stored {
				if err := s.RecordRun(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range stored {
				if ok, err := s.RunRecorded(ctx, r); err != nil || !ok {
					t.Errorf("RunRecorded(%s %s) = %v, %v; want true", r.Job, r.RunID, ok, err)
				}
			}
			other := func(f func(*sink.SyncRun)) sink.SyncRun { r := stored[0]; f(&r); return r }
			for name, r := range map[string]sink.SyncRun{
				"other run":        other(func(r *sink.SyncRun) { r.RunID = "ffff" }),
				"other month":      other(func(r *sink.SyncRun) { r.BillCycle = r.BillCycle.AddDate(0, -1, 0) }),
				"no month":         other(func(r *sink.SyncRun) { r.BillCycle = time.Time{} }),
				"other status":     other(func(r *sink.SyncRun) { r.Status = sink.RunSuccess }),
				"other start":      other(func(r *sink.SyncRun) { r.StartedAt = r.StartedAt.Add(time.Second) }),
				"quotes in scope":  other(func(r *sink.SyncRun) { r.Scope = `acme' OR 1=1 OR '\` }),
				"quotes in run ID": other(func(r *sink.SyncRun) { r.RunID = `\'; DROP TABLE sync_runs; --` }),
			} {
				if ok, err := s.RunRecorded(ctx, r); err != nil || ok {
					t.Errorf("%s: RunRecorded = %v, %v; want false, nil", name, ok, err)
				}
			}
		})
	}
}

// TestRowSpecs: every column a row spec writes (from the rows' ch tags)
// exists in the migrated schema with the type the spec writes, on every
// engine; a mistyped tag fails here rather than at the first insert.
func TestRowSpecs(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			s := sinktest.Open(t, engine)
			res := query(t, s, "SELECT table, name, type FROM system.columns WHERE database = '"+s.Database()+"'")
			have := map[[2]string]string{}
			for i := range res.Rows {
				have[[2]string{res.Value(i, "table"), res.Value(i, "name")}] = res.Value(i, "type")
			}
			specs := sink.RowSpecs()
			if len(specs) < 9 {
				t.Fatalf("%d row specs, want every written table", len(specs))
			}
			for table, cols := range specs {
				for _, c := range cols {
					got, ok := have[[2]string{table, c[0]}]
					switch {
					case !ok:
						t.Errorf("%s.%s: written by the sink, missing from the schema", table, c[0])
					case got != c[1]:
						t.Errorf("%s.%s: schema type %s, the sink writes %s", table, c[0], got, c[1])
					}
				}
			}
		})
	}
}
