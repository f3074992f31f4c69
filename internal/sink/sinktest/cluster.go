package sinktest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ClusterName is the cluster of StartCluster's servers (Config.Cluster).
const ClusterName = "syncd"

// Cluster is one shard of ClickHouse replicas coordinated by a private
// ZooKeeper (Debian's zookeeper package), all on loopback.
type Cluster struct {
	Replicas []*Server
	zkDir    string
	zk       *exec.Cmd
	zkDone   chan error
}

// StartCluster starts ZooKeeper and n ClickHouse replicas of one shard in
// cluster ClusterName, each with macros {shard}=01 and {replica}=r<i>.
func StartCluster(ctx context.Context, n int) (*Cluster, error) {
	c := &Cluster{}
	zkPort, err := c.startZooKeeper(ctx)
	if err != nil {
		c.Stop()
		return nil, err
	}
	ports := make([]int, n)
	inter := make([]int, n)
	for i := range n {
		if ports[i], err = FreePort(); err != nil {
			c.Stop()
			return nil, err
		}
		if inter[i], err = FreePort(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	for i := range n {
		srv, err := startServer(ctx, serverConfig{Port: ports[i], Cluster: ClusterName, Replicas: ports,
			Replica: fmt.Sprintf("r%d", i+1), InterPort: inter[i], ZooKeeperPort: zkPort})
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		c.Replicas = append(c.Replicas, srv)
	}
	return c, nil
}

func zooKeeperClasspath() (string, error) {
	jar := "/usr/share/java/zookeeper.jar"
	if _, err := os.Stat(jar); err != nil {
		return "", fmt.Errorf("zookeeper not installed (%s): run scripts/test-deps.sh", jar)
	}
	cp := jar
	if _, err := os.Stat("/etc/zookeeper/conf"); err == nil {
		cp = "/etc/zookeeper/conf:" + cp
	}
	return cp, nil
}

func (c *Cluster) startZooKeeper(ctx context.Context) (int, error) {
	cp, err := zooKeeperClasspath()
	if err != nil {
		return 0, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return 0, errors.New("java not found (the zookeeper package depends on it): run scripts/test-deps.sh")
	}
	port, err := FreePort()
	if err != nil {
		return 0, err
	}
	if c.zkDir, err = os.MkdirTemp("", "syncd-zookeeper-"); err != nil {
		return 0, err
	}
	if err := markOwned(c.zkDir); err != nil {
		return 0, err
	}
	log, err := os.Create(filepath.Join(c.zkDir, "zookeeper.log"))
	if err != nil {
		return 0, err
	}
	c.zk = exec.Command(java, "-Xmx256m", "-cp", cp, "-Dzookeeper.admin.enableServer=false",
		"org.apache.zookeeper.server.ZooKeeperServerMain", fmt.Sprint(port), filepath.Join(c.zkDir, "data"))
	c.zk.Stdout, c.zk.Stderr = log, log
	c.zk.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.zk.Start(); err != nil {
		log.Close()
		return 0, fmt.Errorf("start zookeeper: %w", err)
	}
	c.zkDone = make(chan error, 1)
	go func() { c.zkDone <- c.zk.Wait(); log.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ok := zkAnswers(port); ok {
			return port, nil
		}
		select {
		case err := <-c.zkDone:
			c.zkDone <- err
			b, _ := os.ReadFile(filepath.Join(c.zkDir, "zookeeper.log"))
			return 0, fmt.Errorf("zookeeper exited: %w\n%s", err, b)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, errors.New("zookeeper not ready after 60s")
		}
	}
}

// zkAnswers sends ZooKeeper's "srvr" four-letter command.
func zkAnswers(port int) bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return false
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.HasPrefix(line, "Zookeeper version")
}

// Stop stops the replicas and ZooKeeper and removes their directories.
func (c *Cluster) Stop() {
	for _, r := range c.Replicas {
		_ = r.Stop()
	}
	c.Replicas = nil
	if c.zk != nil {
		terminate(c.zk.Process, c.zkDone, 10*time.Second)
		c.zk = nil
	}
	if c.zkDir != "" {
		_ = os.RemoveAll(c.zkDir)
	}
}
