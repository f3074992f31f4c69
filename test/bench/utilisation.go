package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// utilisation drives every operation with more callers than its quota
// allows, against a simulator enforcing the documented quotas, and reports
// the achieved rate as a share of the quota.
func utilisation(ctx context.Context, w io.Writer, d time.Duration, callers int) error {
	quotas := bsssim.DocumentedQuotas()
	srv, err := bsssim.NewServer(bsssim.Config{Quotas: quotas, Scale: bsssim.Scale{Members: 4, RecordsPerMonth: 5000}})
	if err != nil {
		return err
	}
	defer srv.Close()
	c, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/"},
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID})
	if err != nil {
		return err
	}
	cycle, err := bss.ParseMonth(srv.Months()[0])
	if err != nil {
		return err
	}
	ops := map[string]func(context.Context) error{
		bss.OpResourceRecords: func(ctx context.Context) error {
			_, _, err := c.ListResourceRecords(ctx, bss.ResourceRecordOptions{Cycle: cycle, IncludeZero: true}, bss.ListOptions{})
			return err
		},
		bss.OpMonthlySum: func(ctx context.Context) error {
			_, _, _, err := c.ListMonthlySums(ctx, bss.MonthlySumOptions{Cycle: cycle}, bss.ListOptions{})
			return err
		},
		bss.OpTransactionBills: func(ctx context.Context) error {
			_, _, err := c.ListTransactionBills(ctx, bss.TransactionBillOptions{Cycle: cycle, IncludeZero: true}, bss.ListOptions{})
			return err
		},
		bss.OpBalances: func(ctx context.Context) error { _, err := c.Balances(ctx); return err },
		bss.OpResourcePackages: func(ctx context.Context) error {
			_, _, err := c.ListResourcePackages(ctx, bss.ResourcePackageOptions{}, bss.ListOptions{})
			return err
		},
		bss.OpSubCustomers: func(ctx context.Context) error {
			_, _, err := c.ListSubCustomers(ctx, bss.SubCustomerOptions{}, bss.ListOptions{})
			return err
		},
		bss.OpOrganizations: func(ctx context.Context) error { _, err := c.Organizations(ctx); return err },
		bss.OpMeasureUnits:  func(ctx context.Context) error { _, err := c.MeasureUnits(ctx); return err },
	}
	fmt.Fprintf(w, "utilisation: %d operations for %s each, all at once, %d callers per operation, documented quotas\n", len(ops), d, callers)
	var calls atomic.Int64
	runCtx, cancel := context.WithTimeout(bss.WithCallCounter(ctx, &calls), d)
	defer cancel()
	type result struct{ ok, failed int }
	var mu sync.Mutex
	// Every entry exists before the callers start: they only read the map.
	results := make(map[string]*result, len(ops))
	for op := range ops {
		results[op] = &result{}
	}
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for op, call := range ops {
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for runCtx.Err() == nil {
					err := call(runCtx)
					mu.Lock()
					switch {
					case err == nil:
						results[op].ok++
					case runCtx.Err() == nil:
						results[op].failed++
						if firstErr == nil {
							firstErr = err
						}
					}
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	stats := srv.Stats()
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "operation\tquota/s\tachieved/s\tratio\tthrottled(429)\tfailed calls")
	minRatio := 1e9
	failed := 0
	for _, op := range names {
		r := results[op]
		rate := float64(r.ok) / elapsed
		ratio := rate / quotas[op]
		minRatio = min(minRatio, ratio)
		failed += r.failed
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.3f\t%d\t%d\n", op, quotas[op], rate, ratio, stats[op].Throttled, r.failed)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "minimum ratio %.3f (goal >= 0.9), failed calls %d (goal 0), HTTP attempts %d\n", minRatio, failed, calls.Load())
	if firstErr != nil {
		fmt.Fprintf(w, "first failure: %v\n", firstErr)
	}
	return nil
}
