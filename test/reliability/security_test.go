package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
