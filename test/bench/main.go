// Command bench measures syncd against its physical limits (issue 6) and
// prints ratios measured in one run:
//
//	go run ./test/bench -case utilisation [-duration 10s -callers 8]
//	go run ./test/bench -case paging      [-latency 200ms -records 30000 -prefetch -1,2,4,8]
//	go run ./test/bench -case e2e         [-records 100000]
//	go run ./test/bench -case memory      [-sizes 100000,1000000]
//	go run ./test/bench -case embedded    [-sizes 100000,1000000]
//	go run ./test/bench -case backfill    [-months 36 -accounts 3]
//
// utilisation: every operation is called as fast as the client allows
// against a simulator enforcing the documented quotas; it reports achieved
// requests/s per operation as a share of the quota, and the throttles and
// failed calls seen. paging: one month read by one caller, as the bills job
// reads it, against the quotas and a per-response latency, for several
// read-ahead settings. e2e: one month synced from the simulator (unthrottled)
// into a private ClickHouse server, compared with the simulator's own serving
// rate and a raw clickhouse-go insert of the same rows. memory: peak RSS of
// `syncd sync` for months of the given sizes. backfill: a months × accounts
// backfill at the documented quotas against its quota-bound minimum.
// embedded: memory on the embedded engine, and what chDB takes at rest.
//
// The ClickHouse cases need clickhouse-server (started privately, as in the
// tests) and build cmd/syncd; see docs/performance.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	c := flag.String("case", "", "utilisation | paging | e2e | memory | embedded | backfill")
	duration := flag.Duration("duration", 10*time.Second, "utilisation: how long to drive each operation")
	callers := flag.Int("callers", 8, "utilisation: concurrent callers per operation")
	records := flag.Int("records", 100_000, "e2e, paging: itemised records in the month")
	latency := flag.Duration("latency", 200*time.Millisecond, "paging: delay of every records response")
	prefetch := flag.String("prefetch", "-1,2,4,8", "paging: comma-separated SYNCD_BSS_PREFETCH values to compare")
	sizes := flag.String("sizes", "100000,1000000", "memory, embedded: comma-separated month sizes (records)")
	parallel := flag.Int("parallel", 1, "memory: accounts synced at the same time, each with a month of every size")
	months := flag.Int("months", 36, "backfill: months per account")
	accounts := flag.Int("accounts", 3, "backfill: accounts")
	perMonth := flag.Int("per-month", 2000, "backfill: itemised records per account and month")
	dataDir := flag.String("data", "", "chdb-at-rest (run by the embedded case): an empty data dir")
	simURL := flag.String("sim", "", "raw (run by the e2e case): the simulator's URL")
	cycle := flag.String("cycle", "", "raw (run by the e2e case): the month")
	dsn := flag.String("dsn", "", "raw (run by the e2e case): the ClickHouse server")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch *c {
	case "utilisation":
		err = utilisation(ctx, os.Stdout, *duration, *callers)
	case "paging":
		var pfs []int
		if pfs, err = parseInts(*prefetch); err == nil {
			if *records == 100_000 {
				*records = 30_000 // 30 pages: one second of quota
			}
			err = paging(ctx, os.Stdout, *latency, *records, pfs)
		}
	case "e2e":
		err = endToEnd(ctx, os.Stdout, *records)
	case "memory":
		err = memory(ctx, os.Stdout, *sizes, *parallel)
	case "embedded":
		err = embedded(ctx, os.Stdout, *sizes)
	case "raw":
		err = rawCase(ctx, os.Stdout, *simURL, *cycle, *dsn)
	case "chdb-at-rest":
		err = chdbAtRest(ctx, os.Stdout, *dataDir)
	case "backfill":
		err = backfill(ctx, os.Stdout, *months, *accounts, *perMonth)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
