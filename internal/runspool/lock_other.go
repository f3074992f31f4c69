//go:build !unix

package runspool

import (
	"context"
	"fmt"
	"os"
)

// lockFile creates path and returns a no-op unlock: without flock,
// processes sharing a spool directory are not serialised on this platform
// (the RunChecker still keeps a row from being stored twice).
func lockFile(_ context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open spool lock: %w", err)
	}
	return func() { _ = f.Close() }, nil
}

// writable is not checked on this platform; a failed write reports it.
func writable(string) error { return nil }
