// Package reliability holds syncd's proof suite (issue 6): seeded, bounded
// tests that run in CI against the BSS simulator (internal/bss/bsssim) over
// real HTTP and against real ClickHouse engines (a private 18.16 server and
// the embedded chDB engine, started by internal/sink/sinktest).
//
// The tests cover API faults and politeness, replayed and re-issued months,
// kill -9 of the syncd process at seeded random points, a ClickHouse server
// killed and restarted mid-sync, bad input from the API, the command line and
// the configuration, and secrets in everything syncd prints. See
// docs/reliability.md for the list and the command that runs it:
//
//	CHDB_LIB_PATH=$(scripts/test-deps.sh) go test -race ./test/reliability/
//
// This package has no non-test code besides this comment.
package reliability
