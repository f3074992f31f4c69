// Package sinktest starts real ClickHouse engines for tests: a private
// ClickHouse server (the Debian 18.16 package, or any clickhouse-server on
// PATH) on a free loopback port with its own config and data dir, and the
// embedded chDB engine under a per-process data dir. A missing engine is an
// error, never a skip.
//
// Use Main from TestMain, then Open in tests:
//
//	func TestMain(m *testing.M) { sinktest.Main(m) }
//
//	func TestX(t *testing.T) {
//		for _, engine := range sinktest.Engines {
//			t.Run(engine, func(t *testing.T) {
//				s := sinktest.Open(t, engine)
//				...
//			})
//		}
//	}
//
// With SYNCD_TEST_CLICKHOUSE_DSN set, that server is used instead of starting
// one.
package sinktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// DSNEnv names the variable that points tests at an existing server.
const DSNEnv = "SYNCD_TEST_CLICKHOUSE_DSN"

// Password is the password of the default user of servers started here; it
// lets tests check that passwords never leak into errors.
const Password = "syncd-test-pw"

// Server is a ClickHouse server started for tests.
type Server struct {
	// DSN is the native-protocol DSN of the server.
	DSN string
	// Dir is the server's config and data directory.
	Dir string
	// TLSDSN and CAFile are set by StartTLSServer.
	TLSDSN, CAFile string
	cmd            *exec.Cmd
	done           chan error
	extraDirs      []string
}

// serverBinary finds clickhouse-server, or the single clickhouse binary of
// newer packages (run as "clickhouse server").
func serverBinary() ([]string, error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return []string{p}, nil
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return []string{p, "server"}, nil
	}
	return nil, errors.New("clickhouse-server not found: run scripts/test-deps.sh (apt-get install clickhouse-server)")
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var configTmpl = template.Must(template.New("config").Parse(`<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>{{.Dir}}/log/server.log</log>
        <errorlog>{{.Dir}}/log/server.err.log</errorlog>
        <console>0</console>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>{{.Port}}</tcp_port>{{if .TLSPort}}
    <tcp_port_secure>{{.TLSPort}}</tcp_port_secure>
    <openSSL>
        <server>
            <certificateFile>{{.CertDir}}/server.pem</certificateFile>
            <privateKeyFile>{{.CertDir}}/server.key</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>{{end}}{{if .Cluster}}
    <interserver_http_port>{{.InterPort}}</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <remote_servers>
        <{{.Cluster}}>
            <shard>
                <internal_replication>true</internal_replication>{{range .Replicas}}
                <replica>
                    <host>127.0.0.1</host>
                    <port>{{.}}</port>
                    <user>default</user>
                    <password>{{$.Password}}</password>
                </replica>{{end}}
            </shard>
        </{{.Cluster}}>
    </remote_servers>
    <zookeeper>
        <node><host>127.0.0.1</host><port>{{.ZooKeeperPort}}</port></node>
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <macros>
        <shard>01</shard>
        <replica>{{.Replica}}</replica>
    </macros>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>{{end}}
    <path>{{.Dir}}/data/</path>
    <tmp_path>{{.Dir}}/tmp/</tmp_path>
    <user_files_path>{{.Dir}}/user_files/</user_files_path>
    <format_schema_path>{{.Dir}}/format_schemas/</format_schema_path>
    <users_config>{{.Dir}}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <!-- Deliberately not UTC: a bill_cycle or time shifted by a zone conversion shows up in tests. -->
    <timezone>Asia/Shanghai</timezone>
    <mark_cache_size>268435456</mark_cache_size>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mlock_executable>false</mlock_executable>
</yandex>
`))

var usersTmpl = template.Must(template.New("users").Parse(`<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <default>
            <password>{{.Password}}</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`))

// serverConfig is what the config templates need.
type serverConfig struct {
	Dir      string
	Port     int
	Password string
	// Cluster mode (empty Cluster: a single server).
	Cluster       string
	Replicas      []int // tcp ports of every replica
	Replica       string
	InterPort     int
	ZooKeeperPort int
	// TLS (TLSPort 0: none): server.pem and server.key in CertDir.
	TLSPort int
	CertDir string
}

// StartServer starts a private ClickHouse server on a free loopback port
// with a temporary config and data dir, as the clickhouse user (via setpriv)
// when running as root, and waits until it answers. Call Stop when done.
func StartServer(ctx context.Context) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, fmt.Errorf("free port: %w", err)
	}
	return startServer(ctx, serverConfig{Port: port})
}

func startServer(ctx context.Context, sc serverConfig) (*Server, error) {
	bin, err := serverBinary()
	if err != nil {
		return nil, err
	}
	port := sc.Port
	removeStale()
	dir, err := os.MkdirTemp("", "syncd-clickhouse-")
	if err != nil {
		return nil, err
	}
	if err := markOwned(dir); err != nil {
		return nil, err
	}
	sc.Dir, sc.Password = dir, Password
	s := &Server{Dir: dir, done: make(chan error, 1),
		DSN: fmt.Sprintf("clickhouse://default:%s@127.0.0.1:%d/default?dial_timeout=10s", Password, port)}
	fail := func(err error) (*Server, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(err)
	}
	for _, sub := range []string{"log", "data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fail(err)
		}
	}
	for name, t := range map[string]*template.Template{"config.xml": configTmpl, "users.xml": usersTmpl} {
		var buf bytes.Buffer
		if err := t.Execute(&buf, sc); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return fail(err)
		}
	}
	args := append(bin[1:], "--config-file="+filepath.Join(dir, "config.xml"))
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		u, err := user.Lookup("clickhouse")
		if err != nil {
			return fail(fmt.Errorf("running as root needs the clickhouse user (from the clickhouse-server package): %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := chownTree(dir, uid, gid); err != nil {
			return fail(err)
		}
		// setpriv execs the server, so the PID we keep is the server's;
		// --pdeathsig stops it if the test process dies.
		cmd = exec.Command("setpriv", append([]string{"--reuid=clickhouse", "--regid=clickhouse", "--init-groups",
			"--pdeathsig=SIGKILL", bin[0]}, args...)...)
	} else {
		cmd = exec.Command(bin[0], args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	}
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "log", "stdout.log"))
	if err != nil {
		return fail(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fail(fmt.Errorf("start %s: %w", bin[0], err))
	}
	s.cmd = cmd
	go func() {
		s.done <- cmd.Wait()
		out.Close()
	}()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		logs := s.logTail()
		_ = s.Stop()
		return nil, fmt.Errorf("clickhouse server on port %d: %w\n%s", port, err, logs)
	}
	return s, nil
}

func chownTree(dir string, uid, gid int) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	opts, err := clickhouse.ParseDSN(s.DSN)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("server exited before it was ready: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, last)
		case <-tick.C:
		}
		conn, err := clickhouse.Open(opts)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close()
		}
		if err == nil {
			return nil
		}
		last = err
	}
}

func (s *Server) logTail() string {
	var out []byte
	for _, f := range []string{"log/stdout.log", "log/server.err.log"} {
		b, _ := os.ReadFile(filepath.Join(s.Dir, f))
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		out = append(out, b...)
	}
	return string(out)
}

// Stop terminates the server (SIGTERM, then SIGKILL after 15s) and removes
// its directory.
func (s *Server) Stop() error {
	if s.cmd != nil {
		terminate(s.cmd.Process, s.done, 15*time.Second)
	}
	for _, d := range s.extraDirs {
		_ = os.RemoveAll(d)
	}
	return os.RemoveAll(s.Dir)
}

// terminate sends p SIGTERM and waits for done (which receives p's exit),
// killing p after grace. A nil p is a no-op.
func terminate(p *os.Process, done <-chan error, grace time.Duration) {
	if p == nil {
		return
	}
	_ = p.Signal(syscall.SIGTERM) // fails only when p already exited; done says so
	// Its exit status is not interesting: it is being stopped.
	select {
	case err := <-done:
		_ = err
	case <-time.After(grace):
		_ = p.Kill()
		<-done //nolint:errcheck // the exit status of a killed process says nothing
	}
}
