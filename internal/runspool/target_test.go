package runspool

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
)

// TestDir: the spool lives under SYNCD_DATA_DIR unless
// SYNCD_SPOOL_DIR says otherwise; off, or no data dir, means memory only.
func TestDir(t *testing.T) {
	for _, tt := range []struct {
		name, spool, data, want string
	}{
		{"default", "", "./data", filepath.Join("data", "spool")},
		{"container image", "", "/data", "/data/spool"},
		{"explicit", "/var/lib/syncd/spool", "./data", "/var/lib/syncd/spool"},
		{"off", "off", "./data", ""},
		{"no data dir", "", "", ""},
		{"explicit without data dir", "/tmp/s", "", "/tmp/s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Dir(tt.spool, tt.data); got != tt.want {
				t.Errorf("Dir(SYNCD_SPOOL_DIR=%q, SYNCD_DATA_DIR=%q) = %q, want %q", tt.spool, tt.data, got, tt.want)
			}
		})
	}
}

// TestFileName: one spool file per ClickHouse target (server host or
// embedded data dir, and database), named without any credential.
func TestFileName(t *testing.T) {
	const pw = "pw-SECRET-spool"
	a := FileName(sink.Config{DSN: "clickhouse://syncd:" + pw + "@ch1:9000/default?secure=true", Database: "billing"})
	same := FileName(sink.Config{DSN: "clickhouse://other:rotated@ch1:9000/default", Database: "billing"})
	if a != same {
		t.Errorf("the same server and database under other credentials: %s != %s", a, same)
	}
	for _, other := range []sink.Config{
		{DSN: "clickhouse://syncd:" + pw + "@ch2:9000/default", Database: "billing"},
		{DSN: "clickhouse://syncd:" + pw + "@ch1:9000/default", Database: "billing_test"},
		{DataDir: "./data", Database: "billing"},
	} {
		if b := FileName(other); b == a {
			t.Errorf("%v shares the spool %s of another target", other, a)
		}
	}
	if strings.Contains(a, pw) || strings.Contains(a, "syncd") || !strings.HasPrefix(a, "sync_runs-billing-") || !strings.HasSuffix(a, ".jsonl") {
		t.Errorf("spool name %q: want sync_runs-billing-<hash>.jsonl, no user or password", a)
	}
}
