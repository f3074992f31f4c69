package reliability

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

var (
	outputsMu sync.Mutex
	outputs   = map[string]string{}
)

// recordOutput keeps a command's output for the secret scan.
func recordOutput(name, out string) {
	outputsMu.Lock()
	outputs[name] += out
	outputsMu.Unlock()
}

// Secrets of the security test: distinct from the demo credentials, and
// long enough that an accidental match is impossible.
const (
	secretAK    = "HPUASECRETAK00000077"
	secretSK    = "sk-SECRET-7f3e9b1c4d2a8e6f0b5c9d3a7e1f4b8c"
	secretToken = "tok-SECRET-c0ffee-4e1d-9a2b-token-value"
	secretPW    = "pw-SECRET-d1e2f3"
)

// TestNoSecretsInOutput runs syncd with temporary credentials (AK, SK and a
// security token) through failures of every kind — rejected signatures,
// injected API faults, a wrong ClickHouse password, an unreachable server,
// `syncd check`, and the daemon serving /metrics, /healthz and /readyz — at
// debug level, and requires that no AK, SK, token or password appears in
// anything it printed or served, nor in the client's errors and logs.
func TestNoSecretsInOutput(t *testing.T) {
	sim := newSim(t, bsssim.Config{Seed: 61, Now: time.Now,
		Credentials: []bsssim.Credential{{AK: secretAK, SK: secretSK, DomainID: bsssim.DemoDomainID, SecurityToken: secretToken}},
		Faults:      bsssim.Faults{ServerError: 0.1, Throttle: 0.05, Reset: 0.05, Truncate: 0.05}})
	for _, m := range sim.Months() {
		if !sim.MonthClosed(m) {
			_ = sim.CloseMonth(m)
		}
	}
	s := sinktest.Open(t, sink.EngineServer)
	dsn := sinktest.DSN(t)
	creds := func(sk string) []string {
		return []string{"HUAWEICLOUD_SDK_AK=" + secretAK, "HUAWEICLOUD_SDK_SK=" + sk, "HUAWEICLOUD_SDK_SECURITY_TOKEN=" + secretToken}
	}
	env := func(dsn string, extra ...string) []string {
		e := withoutVar(withoutVar(syncdEnv(sim.URL, dsn, s.Database()), "HUAWEICLOUD_SDK_AK"), "HUAWEICLOUD_SDK_SK")
		return append(e, extra...)
	}
	months := sim.Months()
	syncArgs := []string{"sync", "--job", "bills,balances,packages,org,lookups", "--from", months[0], "--to", months[len(months)-1]}
	badPW := strings.Replace(dsn, sinktest.Password, secretPW, 1)
	runs := []struct {
		name     string
		env      []string
		args     []string
		wantExit int
	}{
		{"sync with faults", env(dsn, creds(secretSK)...), syncArgs, 0},
		{"sync with a wrong SK", env(dsn, creds(secretSK+"x")...), syncArgs, 1},
		{"sync with a wrong ClickHouse password", env(badPW, creds(secretSK)...), syncArgs, 1},
		{"sync with ClickHouse unreachable", env("clickhouse://default:"+secretPW+"@127.0.0.1:1/default?dial_timeout=1s", creds(secretSK)...), syncArgs, 1},
		{"check with a wrong SK", env(dsn, creds(secretSK+"x")...), []string{"check"}, 1},
		{"check", env(dsn, creds(secretSK)...), []string{"check"}, 0},
	}
	for _, r := range runs {
		code, out := runSyncd(t, r.env, r.args...)
		recordOutput(r.name, out)
		if code != r.wantExit {
			t.Errorf("%s: exit %d, want %d\n%s", r.name, code, r.wantExit, tail(out, 3000))
		}
	}
	// The daemon: scrape everything it serves, then stop it.
	port, err := sinktest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := startSyncd(t, append(withoutVar(env(dsn, creds(secretSK)...), "SYNCD_LISTEN"), "SYNCD_LISTEN="+addr), "run", "--now")
	served := scrape(t, p, "http://"+addr, "/metrics", "/healthz", "/readyz")
	recordOutput("daemon /metrics, /healthz, /readyz", served)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, time.Minute)
	recordOutput("daemon", p.output())
	if !strings.Contains(served, "syncd_bss_requests_total") {
		t.Errorf("/metrics did not serve syncd_bss_requests_total:\n%s", tail(served, 2000))
	}

	// The client in-process: errors and debug logs through faults and
	// rejected signatures.
	var logs bytes.Buffer
	c, err := bss.NewClient(bss.Config{Endpoint: sim.URL + "/", RetryBaseDelay: 5 * time.Millisecond, RetryMaxDelay: 50 * time.Millisecond},
		bss.Credentials{AK: secretAK, SK: secretSK + "x", DomainID: bsssim.DemoDomainID, SecurityToken: secretToken},
		bss.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	_, berr := c.Balances(context.Background())
	var be *bss.Error
	if !errors.As(berr, &be) {
		t.Errorf("wrong SK: %v, want a *bss.Error", berr)
	}
	recordOutput("client error", fmt.Sprintf("%v\n%+v\n%#v\n", berr, berr, berr))
	recordOutput("client logs", logs.String())
	recordOutput("credentials formatted", fmt.Sprintf("%v %+v %#v %s", c, bss.Credentials{AK: secretAK, SK: secretSK, SecurityToken: secretToken},
		bss.Credentials{AK: secretAK, SK: secretSK, SecurityToken: secretToken}, bss.Secret(secretSK)))

	outputsMu.Lock()
	defer outputsMu.Unlock()
	scanned := 0
	for name, out := range outputs {
		scanned += len(out)
		for _, secret := range []string{secretSK, secretToken, secretPW, sinktest.Password, bsssim.DemoSK, secretAK} {
			if i := strings.Index(out, secret); i >= 0 {
				t.Errorf("%s: output contains the secret %.6s…: %q", name, secret, out[max(0, i-200):min(len(out), i+len(secret)+50)])
			}
		}
	}
	t.Logf("scanned %d bytes of output from %d sources", scanned, len(outputs))
}

// scrape waits until the daemon answers and returns the bodies of paths.
func scrape(t *testing.T, p *proc, base string, paths ...string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	var b strings.Builder
	for _, path := range paths {
		for {
			resp, err := http.Get(base + path)
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				fmt.Fprintf(&b, "%s %d\n%s\n", path, resp.StatusCode, body)
				break
			}
			select {
			case <-p.done:
				t.Fatalf("daemon exited: %s", tail(p.output(), 3000))
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("daemon never answered %s: %v", path, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return b.String()
}

// TestReadOnlyUserCannotWrite loads the ClickHouse users of the deploy pack
// (deploy/compose/clickhouse/users.d/syncd.xml, with its root element and
// passwords adapted to the 18.16 test server) into a private server: the
// writer user `syncd` can migrate and sync, and the `grafana` user can read
// the billing tables but cannot insert, alter, drop or create anything.
func TestReadOnlyUserCannotWrite(t *testing.T) {
	ctx := context.Background()
	srv, err := sinktest.StartServer(ctx)
	if err != nil {
		t.Fatalf("clickhouse server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	src, err := os.ReadFile("../../deploy/compose/clickhouse/users.d/syncd.xml")
	if err != nil {
		t.Fatalf("deploy pack users: %v", err)
	}
	x := string(src)
	x = strings.ReplaceAll(x, "<clickhouse>", "<yandex>")
	x = strings.ReplaceAll(x, "</clickhouse>", "</yandex>")
	x = strings.Replace(x, `<password from_env="SYNCD_CH_WRITER_PASSWORD"/>`, "<password>"+secretPW+"-w</password>", 1)
	x = strings.Replace(x, `<password from_env="SYNCD_CH_GRAFANA_PASSWORD"/>`, "<password>"+secretPW+"-g</password>", 1)
	if strings.Contains(x, "from_env") {
		t.Fatalf("unexpected from_env left in the deploy pack users:\n%s", x)
	}
	dir := filepath.Join(srv.Dir, "users.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "syncd.xml"), []byte(x), 0o644); err != nil {
		t.Fatal(err)
	}
	hostPort := strings.TrimPrefix(srv.DSN, "clickhouse://")
	hostPort = hostPort[strings.Index(hostPort, "@")+1 : strings.Index(hostPort, "/")]
	writerDSN := fmt.Sprintf("clickhouse://syncd:%s-w@%s/default?dial_timeout=10s", secretPW, hostPort)
	readerDSN := fmt.Sprintf("clickhouse://grafana:%s-g@%s/billing?dial_timeout=10s", secretPW, hostPort)

	// The server reloads its users config by itself; wait until the writer
	// can log in.
	var w *sink.Sink
	deadline := time.Now().Add(60 * time.Second)
	for {
		w, err = sink.Open(ctx, sink.Config{DSN: writerDSN, Database: "billing", BatchRows: sink.MinBatchRows}, testLogger(t))
		if err == nil {
			if err = w.Ping(ctx); err == nil {
				break
			}
			_ = w.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("writer user never accepted: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	defer w.Close()
	if err := w.Migrate(ctx); err != nil {
		t.Fatalf("writer migrate: %v", err)
	}
	// A month written through the writer, the way syncd does it.
	cycle := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	mw, err := w.BeginMonth(ctx, testScope, cycle)
	if err != nil {
		t.Fatalf("writer begin month: %v", err)
	}
	if err := mw.AddCostRecord(ctx, sink.CostRecord{RecordID: "r1", BillDate: cycle, Currency: "CNY"}); err != nil {
		t.Fatal(err)
	}
	if err := mw.Commit(ctx, sink.MonthCounts{CostRecords: 1}); err != nil {
		t.Fatalf("writer commit: %v", err)
	}

	r, err := sink.Open(ctx, sink.Config{DSN: readerDSN, Database: "billing", BatchRows: sink.MinBatchRows}, testLogger(t))
	if err != nil {
		t.Fatalf("reader open: %v", err)
	}
	defer r.Close()
	res, err := r.Query(ctx, "SELECT count() FROM billing.cost_records")
	if err != nil {
		t.Fatalf("reader cannot read: %v", err)
	}
	if res.Rows[0][0] != "1" {
		t.Errorf("reader sees %s rows, want 1", res.Rows[0][0])
	}
	for _, stmt := range []string{
		"INSERT INTO billing.cost_records (scope, record_id, bill_cycle, currency) VALUES ('x', 'evil', toDate('2024-04-01'), 'CNY')",
		"ALTER TABLE billing.cost_records DROP PARTITION ('acme', toDate('2024-04-01'))",
		"ALTER TABLE billing.cost_records DELETE WHERE 1",
		"DROP TABLE billing.sync_runs",
		"CREATE TABLE billing.evil (x UInt8) ENGINE = Memory",
		"TRUNCATE TABLE billing.cost_records",
	} {
		err := r.Exec(ctx, stmt)
		if err == nil {
			t.Errorf("read-only user could run: %s", stmt)
			continue
		}
		if strings.Contains(err.Error(), secretPW) {
			t.Errorf("error shows the password: %v", err)
		}
		t.Logf("refused: %.60s…: %v", stmt, err)
	}
	if err := r.Migrate(ctx); err == nil {
		t.Errorf("read-only user could run the migrations")
	}
	res, err = w.Query(ctx, "SELECT count(), countIf(record_id = 'evil') FROM billing.cost_records")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0] != "1" || res.Rows[0][1] != "0" {
		t.Errorf("after the read-only attempts: %v rows, want 1 and no 'evil'", res.Rows[0])
	}
}

// TestTLSWrongCA connects syncd to a TLS ClickHouse port: with the server's
// CA it migrates, with another CA (a fresh self-signed one) it fails with a
// certificate error and exit status 1.
func TestTLSWrongCA(t *testing.T) {
	ctx := context.Background()
	srv, err := sinktest.StartTLSServer(ctx)
	if err != nil {
		t.Fatalf("clickhouse TLS server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	wrongCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(wrongCA, selfSignedCA(t), 0o644); err != nil {
		t.Fatal(err)
	}
	good := syncdEnv("http://127.0.0.1:1", srv.TLSDSN, "billing")
	code, out := runSyncd(t, good, "migrate")
	recordOutput("migrate over TLS", out)
	if code != 0 {
		t.Fatalf("migrate with the right CA: exit %d\n%s", code, tail(out, 3000))
	}
	bad := syncdEnv("http://127.0.0.1:1", strings.Replace(srv.TLSDSN, srv.CAFile, wrongCA, 1), "billing")
	code, out = runSyncd(t, bad, "migrate")
	recordOutput("migrate over TLS with a wrong CA", out)
	t.Logf("wrong CA: exit %d: %s", code, strings.TrimSpace(tail(out, 800)))
	if code != 1 {
		t.Errorf("migrate with a wrong CA: exit %d, want 1", code)
	}
	if !strings.Contains(out, "certificate") {
		t.Errorf("the error does not say the certificate was not trusted")
	}
}

// selfSignedCA returns a fresh CA certificate (PEM) that signed nothing.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "not the syncd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
