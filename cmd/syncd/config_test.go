package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// goodEnv is a complete, valid single-account environment.
func goodEnv() map[string]string {
	return map[string]string{
		"HUAWEICLOUD_SDK_AK":        "AKTESTAKTESTAKTEST01",
		"HUAWEICLOUD_SDK_SK":        "sk-very-secret-value",
		"HUAWEICLOUD_SDK_DOMAIN_ID": "0123456789abcdef0123456789abcdef",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<unset>" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(context.Background(), envconfig.MapLookuper(goodEnv()), loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.App.Listen, ":9107"},
		{"log level", cfg.App.LogLevel, "info"},
		{"grace", cfg.App.ShutdownGrace, 30 * time.Second},
		{"site", string(cfg.BSS.Site), "cn"},
		{"database (unset: billing, or the DSN path's, decided by the sink)", cfg.Sink.Database, ""},
		{"data dir", cfg.Sink.DataDir, "./data"},
		{"bills schedule", cfg.Jobs.Schedules()["bills"], "CRON_TZ=Asia/Shanghai 7 * * * *"},
		{"balances schedule", cfg.Jobs.Schedules()["balances"], "CRON_TZ=Asia/Shanghai */10 * * * *"},
		{"accounts", len(cfg.Accounts), 1},
		{"account name", cfg.Accounts[0].Name, "default"},
		{"members", cfg.Accounts[0].Members, "all"},
		{"final day", cfg.Accounts[0].FinalDay(), 3},
		{"domain", cfg.Accounts[0].Credentials.DomainID, "0123456789abcdef0123456789abcdef"},
		{"sk", cfg.Accounts[0].Credentials.SK.Reveal(), "sk-very-secret-value"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadConfigAccounts(t *testing.T) {
	dir := t.TempDir()
	skFile := filepath.Join(dir, "sk")
	if err := os.WriteFile(skFile, []byte("dev-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SYNCD_ACCOUNTS":                  "prod,dev-eu",
		"SYNCD_ACCOUNT_PROD_AK":           "AKPROD",
		"SYNCD_ACCOUNT_PROD_SK":           "prod-secret",
		"SYNCD_ACCOUNT_PROD_DOMAIN_ID":    "d1",
		"SYNCD_ACCOUNT_PROD_MEMBERS":      "each",
		"SYNCD_ACCOUNT_DEV_EU_AK":         "AKDEV",
		"SYNCD_ACCOUNT_DEV_EU_SK_FILE":    skFile,
		"SYNCD_ACCOUNT_DEV_EU_DOMAIN_ID":  "d2",
		"SYNCD_ACCOUNT_DEV_EU_SETTLEMENT": "monthly",
	}
	cfg, err := LoadConfig(context.Background(), envconfig.MapLookuper(env), loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 2 {
		t.Fatalf("got %d accounts, want 2", len(cfg.Accounts))
	}
	prod, dev := cfg.Accounts[0], cfg.Accounts[1]
	if prod.Name != "prod" || prod.Members != "each" || prod.Credentials.AK.Reveal() != "AKPROD" || prod.FinalDay() != 3 {
		t.Errorf("prod = %+v", prod)
	}
	if dev.Name != "dev-eu" || dev.Credentials.SK.Reveal() != "dev-secret" || dev.FinalDay() != 4 || dev.Members != "all" {
		t.Errorf("dev-eu = %+v (sk from file %q)", dev, dev.Credentials.SK.Reveal())
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		opts loadOptions
		want []string // each must appear in the one error
	}{
		{
			name: "missing credentials name each variable",
			env:  map[string]string{},
			want: []string{"HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_DOMAIN_ID"},
		},
		{
			name: "all problems at once",
			env: with(goodEnv(), "SYNCD_LISTEN", "nope", "SYNCD_LOG_LEVEL", "loud", "SYNCD_LOG_FORMAT", "xml",
				"SYNCD_SCHEDULE_BILLS", "every hour", "SYNCD_BSS_SITE", "mars", "SYNCD_MEMBERS", "some",
				"SYNCD_BILLS_ATTEMPTS", "three", "SYNCD_BSS_TIMEOUT", "long"),
			want: []string{"SYNCD_LISTEN", "SYNCD_LOG_LEVEL", "SYNCD_LOG_FORMAT", "SYNCD_SCHEDULE_BILLS", "SYNCD_BSS_SITE", "mars", "SYNCD_MEMBERS",
				"SYNCD_BILLS_ATTEMPTS", "SYNCD_BSS_TIMEOUT"},
		},
		{
			name: "bad duration names its variable",
			env:  with(goodEnv(), "SYNCD_SHUTDOWN_GRACE", "soon"),
			want: []string{"SYNCD_SHUTDOWN_GRACE"},
		},
		{
			name: "bad number names its variable",
			env:  with(goodEnv(), "SYNCD_BILLS_ATTEMPTS", "three"),
			want: []string{"SYNCD_BILLS_ATTEMPTS"},
		},
		{
			name: "out-of-range values",
			env:  with(goodEnv(), "SYNCD_BILLS_FINAL_HOUR", "24", "SYNCD_BILLS_RECHECK_MONTHS", "40", "SYNCD_SHUTDOWN_GRACE", "0s"),
			want: []string{"SYNCD_BILLS_FINAL_HOUR", "SYNCD_BILLS_RECHECK_MONTHS", "SYNCD_SHUTDOWN_GRACE"},
		},
		{
			name: "bad schedule time zone",
			env:  with(goodEnv(), "SYNCD_SCHEDULE_ORG", "CRON_TZ=Mars/Olympus 0 3 * * *"),
			want: []string{"SYNCD_SCHEDULE_ORG", "Mars/Olympus"},
		},
		{
			name: "value and file both set",
			env:  with(goodEnv(), "HUAWEICLOUD_SDK_SK_FILE", "/run/secrets/sk"),
			want: []string{"HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SK_FILE"},
		},
		{
			name: "unreadable secret file",
			env:  with(goodEnv(), "HUAWEICLOUD_SDK_SK", "<unset>", "HUAWEICLOUD_SDK_SK_FILE", "/nonexistent/sk"),
			want: []string{"HUAWEICLOUD_SDK_SK_FILE", "/nonexistent/sk"},
		},
		{
			name: "named accounts report their own variables",
			env:  map[string]string{"SYNCD_ACCOUNTS": "prod", "SYNCD_ACCOUNT_PROD_AK": "AK", "SYNCD_ACCOUNT_PROD_SETTLEMENT": "weekly"},
			want: []string{"SYNCD_ACCOUNT_PROD_SK", "SYNCD_ACCOUNT_PROD_DOMAIN_ID", "SYNCD_ACCOUNT_PROD_SETTLEMENT"},
		},
		{
			name: "bad and duplicate account names",
			env:  with(goodEnv(), "SYNCD_ACCOUNTS", "Prod,a,a"),
			want: []string{`SYNCD_ACCOUNTS: "Prod"`, `"a" is listed twice`},
		},
		{
			name: "clickhouse problems",
			env:  with(goodEnv(), "SYNCD_CLICKHOUSE_BATCH_ROWS", "5", "SYNCD_CLICKHOUSE_CLUSTER", "c1"),
			want: []string{"SYNCD_CLICKHOUSE_BATCH_ROWS: batch rows", "SYNCD_CLICKHOUSE_CLUSTER: cluster mode"},
		},
		{
			name: "migrate needs no credentials but still checks the rest",
			env:  map[string]string{"SYNCD_LOG_LEVEL": "loud"},
			opts: loadOptions{noCredentials: true},
			want: []string{"SYNCD_LOG_LEVEL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(context.Background(), envconfig.MapLookuper(tt.env), tt.opts)
			if err == nil {
				t.Fatalf("LoadConfig() succeeded, want an error naming %v", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestConfigErrorsNeverShowSecrets(t *testing.T) {
	secrets := []string{"AKSECRETAK0001", "sk-super-secret", "token-secret", "pw-secret"}
	env := map[string]string{
		"HUAWEICLOUD_SDK_AK":             secrets[0] + " with space",
		"HUAWEICLOUD_SDK_SK":             secrets[1],
		"HUAWEICLOUD_SDK_SECURITY_TOKEN": secrets[2] + "\nline",
		"SYNCD_CLICKHOUSE_DSN":           "clickhouse://u:" + secrets[3] + "@localhost:9000/db",
		"SYNCD_CLICKHOUSE_CLUSTER":       "bad cluster name!",
		"SYNCD_LOG_LEVEL":                "loud",
	}
	_, err := LoadConfig(context.Background(), envconfig.MapLookuper(env), loadOptions{})
	if err == nil {
		t.Fatal("LoadConfig() succeeded, want errors")
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks secret %q:\n%v", s, err)
		}
	}
}

// TestParseTagDefaultWithCommas: a default= option takes the rest of the
// tag, commas included, as go-envconfig reads it (the docs table showed
// "CRON_TZ=Asia/Shanghai 17 6" for a default of "... 17 6,18 * * *").
func TestParseTagDefaultWithCommas(t *testing.T) {
	name, opts := parseTag("SCHEDULE_X, default=CRON_TZ=Asia/Shanghai 17 6,18 * * *")
	if name != "SCHEDULE_X" || opts["default"] != "CRON_TZ=Asia/Shanghai 17 6,18 * * *" {
		t.Errorf("parseTag = %q, %q", name, opts["default"])
	}
	if _, opts := parseTag("PREFIXED, prefix=P_, default=a,b"); opts["prefix"] != "P_" || opts["default"] != "a,b" {
		t.Errorf("options before default: %v", opts)
	}
}
