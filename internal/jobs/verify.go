package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// VerifyStore audits stored bill months against their commit manifests.
type VerifyStore interface {
	Verify(ctx context.Context, from, to time.Time) ([]sink.MonthCheck, error)
}

// Verify is the integrity audit: every stored month is compared with the
// manifest recorded when it was committed (rows, exact sums, a checksum of
// the natural keys). It finds months doubled by resurrected parts after an
// engine restart (ClickHouse #107605), torn by a crash inside a swap
// (#104660), or changed behind syncd's back (manual deletes, TTLs), and
// repairs them by re-syncing them through Bills. With Amortized set, the
// stored amortised months (amortized_costs against amortized_manifests) are
// audited the same way and repaired by the amortized job, which re-syncs
// every stored amortised month that fails its check.
type Verify struct {
	Store     VerifyStore
	Bills     *Bills
	Amortized *Amortized
	Metrics   *Metrics
	Logger    *slog.Logger
	Now       func() time.Time
}

// ErrMismatch is returned (wrapped) when stored months differ from their
// manifests after the run.
var ErrMismatch = errors.New("stored months differ from their commit manifests")

// Check audits the months of w (every stored month when w is zero) and sets
// syncd_month_integrity_mismatches per configured scope.
func (v *Verify) Check(ctx context.Context, w Window) ([]sink.MonthCheck, error) {
	var from, to time.Time
	if !w.IsZero() {
		from, to = w.From.Date(), w.To.Date()
	}
	checks, err := v.Store.Verify(ctx, from, to)
	if err != nil {
		return nil, err
	}
	return checks, nil
}

// audit checks every stored bill month and, with Amortized set, every
// stored amortised month, and sets syncd_month_integrity_mismatches per
// configured scope to the number of both that differ from their manifests.
func (v *Verify) audit(ctx context.Context) (bills []sink.MonthCheck, amortized []sink.MonthKey, err error) {
	if bills, err = v.Check(ctx, Window{}); err != nil {
		return nil, nil, err
	}
	if v.Amortized != nil {
		if amortized, err = v.Amortized.Store.MismatchedAmortizedMonths(ctx); err != nil {
			return nil, nil, fmt.Errorf("amortised months: %w", err)
		}
	}
	v.setGauge(bills, amortized)
	return bills, amortized, nil
}

func (v *Verify) setGauge(checks []sink.MonthCheck, amortized []sink.MonthKey) {
	if v.Metrics == nil || v.Bills == nil {
		return
	}
	n := make(map[string]int)
	for _, a := range v.Bills.Accounts {
		n[a.Scope] = 0
	}
	for _, c := range checks {
		if c.Status == sink.MonthMismatch {
			n[c.Scope]++
		}
	}
	for _, k := range amortized {
		n[k.Scope]++
	}
	for scope, k := range n {
		v.Metrics.integrityMismatches.WithLabelValues(scope).Set(float64(k))
	}
}

// Repair re-syncs the mismatched months among checks that belong to a
// configured account and lie within the API's history, and returns the
// months it could not repair that way (older months, unknown scopes), each
// logged.
func (v *Verify) Repair(ctx context.Context, checks []sink.MonthCheck) (skipped []sink.MonthKey, err error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	var keys []sink.MonthKey
	for _, c := range checks {
		if c.Status == sink.MonthMismatch {
			keys = append(keys, c.MonthKey)
		}
	}
	plan, skipped := repairPlan(keys, v.Bills.Accounts, now, v.Logger, "in the integrity audit")
	if len(plan) == 0 {
		return skipped, nil
	}
	return skipped, v.Bills.sync(ctx, JobVerify, plan, v.Bills.covered(ctx), now, nil)
}

// repairPlan turns months that differ from their manifests into the months
// to re-sync per configured scope: the one rule for what can be repaired
// (a configured account's month within the API's history), used by the
// restart check in Bills and by Verify. The others are logged and returned.
func repairPlan(keys []sink.MonthKey, accounts []Account, now time.Time, logger *slog.Logger, when string) (map[string][]bss.Month, []sink.MonthKey) {
	known := make(map[string]bool, len(accounts))
	for _, a := range accounts {
		known[a.Scope] = true
	}
	oldest := OldestMonth(now)
	plan := make(map[string][]bss.Month)
	var skipped []sink.MonthKey
	for _, k := range keys {
		m := bss.Month{Year: k.Cycle.Year(), Month: k.Cycle.Month()}
		switch {
		case !known[k.Scope]:
			logger.Error("stored month differs from its commit manifest but its scope is not a configured account; configure it or delete the month by hand",
				"scope", k.Scope, "bill_cycle", m.String())
			skipped = append(skipped, k)
		case m.Before(oldest):
			logger.Error("stored month differs from its commit manifest but is older than the API keeps; delete or repair it by hand",
				"scope", k.Scope, "bill_cycle", m.String())
			skipped = append(skipped, k)
		default:
			logger.Warn("stored month differs from its commit manifest "+when+"; re-syncing it", "scope", k.Scope, "bill_cycle", m.String())
			plan[k.Scope] = append(plan[k.Scope], m)
		}
	}
	return plan, skipped
}

// Run is the scheduled job: audit every stored bill and amortised month,
// repair what can be repaired, audit again, and fail when months still
// differ.
func (v *Verify) Run(ctx context.Context, _ Window) error {
	checks, amortized, err := v.audit(ctx)
	if err != nil {
		return err
	}
	if countMismatches(checks) == 0 && len(amortized) == 0 {
		return nil
	}
	var rerr error
	if countMismatches(checks) > 0 {
		_, rerr = v.Repair(ctx, checks)
	}
	if len(amortized) > 0 {
		// The amortized job re-syncs the stored amortised months that fail
		// their check (within the API's 18 months) along with its recent ones.
		if err := v.Amortized.Run(ctx, Window{}); err != nil {
			rerr = errors.Join(rerr, fmt.Errorf("repair amortised months: %w", err))
		}
	}
	if checks, amortized, err = v.audit(ctx); err != nil {
		return errors.Join(rerr, err)
	}
	if n := countMismatches(checks) + len(amortized); n > 0 {
		return errors.Join(rerr, fmt.Errorf("%w: %d months after repair (see syncd verify)", ErrMismatch, n))
	}
	return rerr
}

func countMismatches(checks []sink.MonthCheck) int {
	n := 0
	for _, c := range checks {
		if c.Status == sink.MonthMismatch {
			n++
		}
	}
	return n
}
