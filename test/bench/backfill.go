package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

// backfill syncs months × accounts through syncd against a simulator
// enforcing the documented quotas, each account with its own credentials
// (quotas count per account), and compares the wall time with the
// quota-bound minimum: for every account and operation, the calls it made
// divided by the operation's quota; an account's bound is its largest
// operation (operations have separate buckets that refill while the others
// are used), and with accounts in parallel the bound is the largest
// account's. The bills job reads accounts one after the other, so the
// sequential bound (the sum of the accounts' bounds) is reported too.
func backfill(ctx context.Context, w io.Writer, months, accounts, perMonth int) error {
	b, err := newBench(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	quotas := bsssim.DocumentedQuotas()
	sim, err := bsssim.NewServer(bsssim.Config{Quotas: quotas, LogRequests: 1 << 20,
		Scale: bsssim.Scale{Members: accounts, IndependentMembers: accounts, Months: months, RecordsPerMonth: perMonth}})
	if err != nil {
		return err
	}
	defer sim.Close()
	ms := sim.Months()
	var env []string
	var names []string
	for i, a := range sim.Accounts()[1 : accounts+1] {
		name := fmt.Sprintf("m%d", i+1)
		names = append(names, name)
		up := "SYNCD_ACCOUNT_" + strings.ToUpper(name) + "_"
		env = append(env, up+"AK="+a.AK, up+"SK="+a.SK, up+"DOMAIN_ID="+a.ID, up+"MEMBERS=none")
	}
	env = append(env, "SYNCD_ACCOUNTS="+strings.Join(names, ","))
	fmt.Fprintf(w, "backfill: %d months (%s..%s) x %d accounts, ~%d records per account and month, documented quotas\n",
		len(ms), ms[0], ms[len(ms)-1], accounts, perMonth)
	res, err := b.runSyncd(ctx, sim, "bench_backfill", env, "sync", "--job", "bills", "--from", ms[0], "--to", ms[len(ms)-1])
	if err != nil {
		return err
	}
	calls := map[[2]string]int{}
	for _, r := range sim.Requests() {
		calls[[2]string{r.AccountID, r.Operation}]++
	}
	perAccount := map[string]float64{}
	perOp := map[string]int{}
	for k, n := range calls {
		q := quotas[k[1]]
		if q == 0 {
			q = 10
		}
		perAccount[k[0]] = max(perAccount[k[0]], float64(n)/q)
		perOp[k[1]] += n
	}
	var bound, seq float64
	for _, v := range perAccount {
		bound = max(bound, v)
		seq += v
	}
	ops := make([]string, 0, len(perOp))
	for op := range perOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		fmt.Fprintf(w, "  %-32s %6d calls (quota %.0f/s per account)\n", op, perOp[op], quotas[op])
	}
	fmt.Fprintf(w, "  wall %.1fs; quota-bound minimum (accounts in parallel) %.1fs -> ratio %.2f; sequential bound %.1fs -> ratio %.2f\n",
		res.wall.Seconds(), bound, res.wall.Seconds()/bound, seq, res.wall.Seconds()/seq)
	fmt.Fprintf(w, "  syncd peak RSS %.0f MiB\n", float64(res.maxRSS)/(1<<20))
	return nil
}
