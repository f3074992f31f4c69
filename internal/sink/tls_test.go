package sink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// TestServerTLS connects over TLS with a private CA given by ca_file, and
// checks that the same server is refused without that CA.
func TestServerTLS(t *testing.T) {
	ctx := context.Background()
	srv, err := sinktest.StartTLSServer(ctx)
	if err != nil {
		t.Fatalf("start TLS server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cfg := sinktest.Config(t, sink.EngineServer)
	cfg.DSN = srv.TLSDSN
	s := sinktest.OpenConfig(t, cfg)
	m := genMonth(1, "acme", march, 50, 2)
	mustWrite(t, s, m)
	checkMonth(t, s, m)

	cfg.DSN = strings.Replace(srv.TLSDSN, "&ca_file="+srv.CAFile, "", 1)
	if bad, err := sink.Open(ctx, cfg, nil); err == nil {
		bad.Close()
		t.Fatal("TLS connection without the private CA succeeded")
	} else if strings.Contains(err.Error(), sinktest.Password) {
		t.Errorf("error leaks the password: %v", err)
	}
}
