package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestClickHouseUsers proves the least-privilege users of deploy/compose/clickhouse/users.d on a
// real ClickHouse 18.16 server: the writer can migrate, write and swap a month in; the read-only
// Grafana user can read the billing database and the FOCUS view but can neither write, change
// the schema, nor read another database.
func TestClickHouseUsers(t *testing.T) {
	ctx := context.Background()
	srv, err := sinktest.StartServer(ctx)
	if err != nil {
		t.Fatalf("start ClickHouse server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stop server: %v", err)
		}
	})
	u, err := url.Parse(srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	const writerPW, grafanaPW = "writer-pw-1", "grafana-pw-2"
	installUsers(t, srv.Dir, map[string]string{"SYNCD_CH_WRITER_PASSWORD": writerPW, "SYNCD_CH_GRAFANA_PASSWORD": grafanaPW})

	// Each user connects to a database it may use: Grafana's data source sets defaultDatabase
	// to billing, the only one it is allowed.
	dsn := func(user, pw string) string {
		db := "default"
		if user == "grafana" {
			db = "billing"
		}
		return fmt.Sprintf("clickhouse://%s:%s@%s/%s?dial_timeout=10s", user, pw, u.Host, db)
	}
	logger := slog.New(slog.DiscardHandler)
	open := func(user, pw string) *sink.Sink {
		t.Helper()
		// The server reloads users.d within a few seconds: wait for the user to appear.
		deadline := time.Now().Add(30 * time.Second)
		for {
			s, err := sink.Open(ctx, sink.Config{DSN: dsn(user, pw), Database: "billing", BatchRows: sink.MinBatchRows, StagingTTL: time.Hour}, logger)
			if err == nil {
				if err = s.Ping(ctx); err == nil {
					t.Cleanup(func() { _ = s.Close() })
					return s
				}
				_ = s.Close()
			}
			if time.Now().After(deadline) {
				t.Fatalf("connect as %s: %v", user, err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}

	admin, err := sink.Open(ctx, sink.Config{DSN: srv.DSN, Database: "billing", BatchRows: sink.MinBatchRows, StagingTTL: time.Hour}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.Exec(ctx, "CREATE TABLE default.other (x UInt8) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}

	// The writer migrates (database, tables, views including focus_costs) and replaces a month.
	writer := open("syncd", writerPW)
	if err := writer.Migrate(ctx); err != nil {
		t.Fatalf("writer migrate: %v", err)
	}
	cycle := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	w, err := writer.BeginMonth(ctx, "prod", cycle)
	if err != nil {
		t.Fatalf("writer begin month: %v", err)
	}
	if err := w.AddCostRecord(ctx, sink.CostRecord{Scope: "prod", RecordID: "r1", BillCycle: cycle, BillDate: cycle,
		CustomerID: "c1", Amount: decimal.RequireFromString("1.25"), Currency: "CNY"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx, sink.MonthCounts{CostRecords: 1}); err != nil {
		t.Fatalf("writer commit month: %v", err)
	}
	if err := writer.WriteBalances(ctx, []sink.BalanceSnapshot{{Scope: "prod", ObservedAt: cycle, CustomerID: "c1", AccountID: "a1",
		AccountType: 1, Amount: decimal.RequireFromString("100"), Currency: "CNY"}}); err != nil {
		t.Fatalf("writer insert: %v", err)
	}

	// Grafana reads.
	grafana := open("grafana", grafanaPW)
	for _, q := range []string{
		"SELECT sum(amount) FROM billing.cost_records",
		"SELECT sum(BilledCost) FROM billing.focus_costs",
		"SELECT count() FROM billing.balances_latest",
	} {
		res, err := grafana.Query(ctx, q)
		if err != nil {
			t.Errorf("grafana: %s: %v", q, err)
		} else if len(res.Rows) != 1 || res.Rows[0][0] == "0" {
			t.Errorf("grafana: %s = %v, want the written data", q, res.Rows)
		}
	}
	// ... and can do nothing else.
	for _, stmt := range []string{
		"INSERT INTO billing.cost_records (scope, record_id, bill_cycle, bill_date, currency) VALUES ('prod', 'x', '2026-11-01', '2026-11-01', 'CNY')",
		"CREATE TABLE billing.evil (x UInt8) ENGINE = Memory",
		"DROP TABLE billing.cost_records",
		"ALTER TABLE billing.cost_records DELETE WHERE 1",
		"ALTER TABLE billing.cost_records DROP PARTITION ('prod', 202611)",
		"TRUNCATE TABLE billing.balances",
		"CREATE DATABASE evil",
		"SET readonly = 0",
	} {
		err := grafana.Exec(ctx, stmt)
		if err == nil {
			t.Errorf("grafana user could run %q", stmt)
		} else if !denied.MatchString(err.Error()) {
			t.Errorf("grafana: %q failed for another reason than permissions: %v", stmt, err)
		}
	}
	if _, err := grafana.Query(ctx, "SELECT count() FROM default.other"); err == nil {
		t.Error("grafana user could read database default")
	} else if !denied.MatchString(err.Error()) {
		t.Errorf("grafana: reading default failed for another reason than permissions: %v", err)
	}
	// Nothing changed.
	res, err := admin.Query(ctx, "SELECT count(), sum(amount) FROM billing.cost_records")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Rows[0], " "); got != "1 1.25" {
		t.Errorf("cost_records after the grafana attempts: %s, want 1 1.25", got)
	}
}

// denied matches ClickHouse's refusals: readonly mode (code 164) or a database the user may not
// access (code 291).
var denied = regexp.MustCompile(`(?i)readonly|code: 164|code: 291|access to database .* denied|not allowed`)

var fromEnv = regexp.MustCompile(`<password from_env="(\w+)"\s*/>`)

// installUsers writes deploy/compose/clickhouse/users.d/syncd.xml into the server's users.d,
// adapted for 18.16: root element <yandex> (<clickhouse> needs 21.x) and the from_env passwords
// substituted.
func installUsers(t *testing.T, serverDir string, passwords map[string]string) {
	t.Helper()
	xml := read(t, filepath.Join("compose", "clickhouse", "users.d", "syncd.xml"))
	xml = strings.ReplaceAll(xml, "<clickhouse>", "<yandex>")
	xml = strings.ReplaceAll(xml, "</clickhouse>", "</yandex>")
	xml = fromEnv.ReplaceAllStringFunc(xml, func(m string) string {
		name := fromEnv.FindStringSubmatch(m)[1]
		pw, ok := passwords[name]
		if !ok {
			t.Fatalf("no password for %s", name)
		}
		return "<password>" + pw + "</password>"
	})
	// 18.16 has no IPv6 wildcard in a test sandbox guarantee; the server listens on 127.0.0.1.
	xml = strings.ReplaceAll(xml, "<ip>::/0</ip>", "<ip>127.0.0.1</ip>")
	dir := filepath.Join(serverDir, "users.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "syncd.xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
}
