package sinktest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile records, in every directory this package creates, the PID of
// the test process that owns it.
const ownerFile = "owner.pid"

// markOwned writes the current PID into dir.
func markOwned(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// removeStale deletes directories left in the temp dir by test processes
// that died without tearing down (a panic, a timeout kill). Their servers
// died with them (parent-death signal); only the files remain.
func removeStale() {
	for _, pattern := range []string{"syncd-clickhouse-*", "syncd-chdb-*", "syncd-zookeeper-*"} {
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern))
		for _, d := range dirs {
			b, err := os.ReadFile(filepath.Join(d, ownerFile))
			if err != nil {
				continue // not ours, or being created
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pid <= 0 || processAlive(pid) {
				continue
			}
			_ = os.RemoveAll(d)
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
