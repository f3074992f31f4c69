package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// cmdVerify audits the stored bill months against their commit manifests:
// one line per (scope, month), exit 1 on any mismatch. With --repair the
// mismatched months are re-synced from the API and checked again.
func cmdVerify(ctx context.Context, args []string, lookup envconfig.Lookuper, stdout, stderr io.Writer) int {
	fs := newFlags("verify", stderr)
	from := fs.String("from", "", "first bill month to check, YYYY-MM (default: the oldest stored)")
	to := fs.String("to", "", "last bill month to check, YYYY-MM (default: the newest stored)")
	repair := fs.Bool("repair", false, "re-sync the months that differ from their manifests, then check again")
	if !parseFlags(fs, "verify", args, stderr) {
		return exitUsage
	}
	w, err := verifyWindow(*from, *to)
	if err != nil {
		fmt.Fprintf(stderr, "syncd verify: %v\n", err)
		return exitUsage
	}
	// Repairing reads the API; checking needs only ClickHouse.
	cfg, logger, ok := loadFor(ctx, lookup, loadOptions{noCredentials: !*repair}, "text", stderr)
	if !ok {
		return exitUsage
	}
	p := &Program{Config: cfg, Logger: logger}
	defer closeLogged(p)
	if err := p.Open(ctx); err != nil {
		logger.Error("open", "err", err)
		return exitFailed
	}
	checks, err := p.verify.Check(ctx, w)
	if err != nil {
		logger.Error("verify", "err", err)
		return exitFailed
	}
	bad := printChecks(stdout, checks)
	abad, err := p.printAmortizedChecks(ctx, stdout, w)
	if err != nil {
		logger.Error("verify amortised months", "err", err)
		return exitFailed
	}
	bad += abad
	if bad == 0 || !*repair {
		if bad > 0 {
			fmt.Fprintf(stderr, "syncd verify: %d months differ from their manifests; `syncd verify --repair` re-syncs them\n", bad)
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "\nrepairing %d months\n", bad)
	_, rerr := p.verify.Repair(ctx, checks)
	if rerr != nil {
		logger.Error("repair", "err", rerr)
	}
	if abad > 0 {
		// The amortized job re-syncs every stored amortised month that
		// fails its manifest check (within the API's 18 months).
		if err := p.amortized.Run(ctx, jobs.Window{}); err != nil {
			logger.Error("repair amortised months", "err", err)
			rerr = errors.Join(rerr, err)
		}
	}
	if checks, err = p.verify.Check(ctx, w); err != nil {
		logger.Error("verify after repair", "err", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "\nafter repair:")
	bad = printChecks(stdout, checks)
	abad, err = p.printAmortizedChecks(ctx, stdout, w)
	if err != nil {
		logger.Error("verify amortised months after repair", "err", err)
		return exitFailed
	}
	if bad += abad; bad > 0 || rerr != nil {
		fmt.Fprintf(stderr, "syncd verify: %d months still differ from their manifests after the repair\n", bad)
		return exitFailed
	}
	return exitOK
}

// verifyWindow parses --from/--to; unlike sync's, any range is allowed (the
// stored history may be older than what the API keeps).
func verifyWindow(from, to string) (jobs.Window, error) {
	var w jobs.Window
	if from == "" && to == "" {
		return w, nil
	}
	var err error
	if from == "" {
		w.From = bss.Month{Year: 1970, Month: time.January}
	} else if w.From, err = bss.ParseMonth(from); err != nil {
		return w, fmt.Errorf("--from: %w", err)
	}
	if to == "" {
		w.To = bss.Month{Year: 2999, Month: time.December}
	} else if w.To, err = bss.ParseMonth(to); err != nil {
		return w, fmt.Errorf("--to: %w", err)
	}
	if w.To.Before(w.From) {
		return w, errors.New("--to is before --from")
	}
	return w, nil
}

// printChecks prints one line per month and a summary, and returns the
// number of mismatches.
func printChecks(out io.Writer, checks []sink.MonthCheck) int {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSCOPE\tMONTH\tCOST_RECORDS\tAMOUNT\tBILL_SUMMARIES\tDRIFT\tDETAIL")
	counts := map[string]int{}
	for _, c := range checks {
		counts[c.Status]++
		detail := strings.Join(c.Problems, "; ")
		switch {
		case c.Status == sink.MonthUnverified:
			detail = "no manifest: committed before syncd recorded manifests (re-sync the month to record one)"
		case c.Status == sink.MonthOK && c.Manifest != nil:
			detail = "as committed by run " + c.Manifest.RunID + " at " + c.Manifest.CommittedAt.Format(time.DateTime) + " UTC"
		}
		drift := c.Drift
		if drift == "" {
			drift = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", strings.ToUpper(c.Status), c.Scope, c.Cycle.Format("2006-01"),
			c.Stored.CostRecords.Rows, c.Stored.CostRecords.Amount, c.Stored.BillSummaries.Rows, drift, detail)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "%d months checked: %d ok, %d mismatched, %d unverified\n", len(checks),
		counts[sink.MonthOK], counts[sink.MonthMismatch], counts[sink.MonthUnverified])
	return counts[sink.MonthMismatch]
}

// printAmortizedChecks prints one line per stored amortised month (shared
// months of w, all when w is zero) and returns the number of mismatches.
// It prints nothing when no amortised month is stored.
func (p *Program) printAmortizedChecks(ctx context.Context, out io.Writer, w jobs.Window) (int, error) {
	var from, to time.Time
	if !w.IsZero() {
		from, to = w.From.Date(), w.To.Date()
	}
	checks, err := p.Sink.VerifyAmortized(ctx, from, to)
	if err != nil || len(checks) == 0 {
		return 0, err
	}
	fmt.Fprintln(out, "\namortised cost (amortized_costs):")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSCOPE\tSHARED_MONTH\tDETAILS\tAMORTIZED\tDETAIL")
	counts := map[string]int{}
	for _, c := range checks {
		counts[c.Status]++
		detail := strings.Join(c.Problems, "; ")
		if c.Status == sink.MonthOK {
			detail = "as committed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", strings.ToUpper(c.Status), c.Scope, c.Cycle.Format("2006-01"), c.Stored.Rows, c.Stored.Amount, detail)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "%d amortised months checked: %d ok, %d mismatched, %d unverified\n", len(checks),
		counts[sink.MonthOK], counts[sink.MonthMismatch], counts[sink.MonthUnverified])
	return counts[sink.MonthMismatch], nil
}
