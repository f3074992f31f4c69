package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// paging reads one month of itemised records the way the bills job does
// (one caller, the ResourceRecords iterator) against a simulator that
// enforces the documented quotas and answers every request after latency,
// as the real API does, once per read-ahead setting. It reports the
// requests/s achieved as a share of the records quota: with one page at a
// time a job can send at most 1/latency requests per second, whatever the
// quota; read-ahead keeps several requests in flight.
func paging(ctx context.Context, w io.Writer, latency time.Duration, records int, prefetches []int) error {
	quotas := bsssim.DocumentedQuotas()
	srv, err := bsssim.NewServer(bsssim.Config{
		Quotas: quotas,
		Scale:  bsssim.Scale{Months: 1, RecordsPerMonth: records},
		Faults: bsssim.Faults{Latency: latency, Operations: []string{bsssim.OpResourceRecords}},
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	cycle, err := bss.ParseMonth(srv.Months()[0])
	if err != nil {
		return err
	}
	quota := quotas[bsssim.OpResourceRecords]
	fmt.Fprintf(w, "paging: month %s (%d records per run), %s latency per response, documented quota %.0f/s, one caller\n",
		cycle, srv.Truth("", cycle.String()).Records, latency, quota)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SYNCD_BSS_PREFETCH\trecords\trequests\twall\trequests/s\tratio to quota\tthrottled(429)")
	for _, pf := range prefetches {
		c, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/", Prefetch: pf},
			bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID})
		if err != nil {
			return err
		}
		// Let the simulator's token bucket refill between settings.
		time.Sleep(time.Second)
		before := srv.Stats()[bsssim.OpResourceRecords].Throttled
		var calls atomic.Int64
		start := time.Now()
		n := 0
		for _, err := range c.ResourceRecords(bss.WithCallCounter(ctx, &calls), bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}) {
			if err != nil {
				return fmt.Errorf("prefetch %d: %w", pf, err)
			}
			n++
		}
		wall := time.Since(start)
		rate := float64(calls.Load()) / wall.Seconds()
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.2fs\t%.2f\t%.3f\t%d\n", pf, n, calls.Load(), wall.Seconds(), rate, rate/quota,
			srv.Stats()[bsssim.OpResourceRecords].Throttled-before)
	}
	return tw.Flush()
}
