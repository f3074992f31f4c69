// Package jobs holds syncd's jobs: they read the Huawei Cloud BSS API
// through the small source interfaces declared here, map its records to the
// stored model, and write them through the store interfaces declared here.
// *bss.Client satisfies the sources and *sink.Sink the stores; this is the
// only package that sees both, and the one place where API quirks become the
// stored model (names, units, bill_cycle, scope).
//
// Every job is a value with a Run(ctx, Window) error method, used both by
// the cron Scheduler and by one-shot syncs.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// BillSource reads itemised resource records, monthly summaries and
// transaction bills.
type BillSource interface {
	ResourceRecords(ctx context.Context, opts bss.ResourceRecordOptions) iter.Seq2[bss.ResourceRecord, error]
	MonthlySums(ctx context.Context, opts bss.MonthlySumOptions) iter.Seq2[bss.MonthlySum, error]
	TransactionBills(ctx context.Context, opts bss.TransactionBillOptions) iter.Seq2[bss.TransactionBill, error]
}

// BalanceSource reads the caller's account balances.
type BalanceSource interface {
	Balances(ctx context.Context) (*bss.Balances, error)
}

// PackageSource reads resource packages and their current usage.
type PackageSource interface {
	ResourcePackages(ctx context.Context, opts bss.ResourcePackageOptions) iter.Seq2[bss.ResourcePackage, error]
	ResourceUsages(ctx context.Context, freeResourceIDs []string) ([]bss.ResourceUsage, error)
}

// OrgSource reads an enterprise master's org tree and member accounts.
type OrgSource interface {
	Organizations(ctx context.Context) (*bss.OrgTree, error)
	SubCustomers(ctx context.Context, opts bss.SubCustomerOptions) iter.Seq2[bss.SubCustomer, error]
}

// LookupSource reads the dictionaries that decode codes and unit IDs.
type LookupSource interface {
	ServiceTypes(ctx context.Context) iter.Seq2[bss.ServiceType, error]
	ResourceTypes(ctx context.Context) iter.Seq2[bss.ResourceType, error]
	MeasureUnits(ctx context.Context) ([]bss.MeasureUnit, error)
}

// MonthStore replaces one (scope, month) of bills atomically; SinkMonths
// adapts a *sink.Sink.
type MonthStore interface {
	BeginMonth(ctx context.Context, scope string, cycle time.Time) (MonthWriter, error)
	BeginFeeMonth(ctx context.Context, scope string, cycle time.Time) (FeeWriter, error)
}

// FeeWriter stages one (scope, month) of transaction bills, like
// MonthWriter: the month replaces the stored one at Commit (want rows).
type FeeWriter interface {
	Add(ctx context.Context, r sink.FeeRecord) error
	// Seal ends the staging INSERT once every row is added (see
	// sink.MonthWriter.Seal); Commit seals an unsealed writer.
	Seal(ctx context.Context) error
	SetRunID(id string)
	Commit(ctx context.Context, want int) error
	Abort(ctx context.Context) error
}

// MonthWriter stages one (scope, month) of bills: the month replaces the
// stored one at Commit, and nothing is stored after Abort.
type MonthWriter interface {
	AddCostRecord(ctx context.Context, r sink.CostRecord) error
	AddBillSummary(ctx context.Context, r sink.BillSummary) error
	// Seal ends the staging INSERTs once every row is added, so that the
	// server writes the last rows while the month's other feed is read;
	// Commit seals an unsealed writer.
	Seal(ctx context.Context) error
	SetRunID(id string)
	Commit(ctx context.Context, want sink.MonthCounts) error
	Abort(ctx context.Context) error
}

// SnapshotStore appends point-in-time snapshots and replaces the org tree.
type SnapshotStore interface {
	WriteBalances(ctx context.Context, rows []sink.BalanceSnapshot) error
	WriteResourcePackages(ctx context.Context, rows []sink.ResourcePackageSnapshot) error
	ReplaceOrg(ctx context.Context, scope string, units []sink.OrgUnit, accounts []sink.Account) error
}

// RunStore records job runs in sync_runs and reads back the last successes.
type RunStore interface {
	RecordRun(ctx context.Context, run sink.SyncRun) error
	LastSuccess(ctx context.Context) (map[[2]string]time.Time, error)
}

// IntegrityStore notices engine restarts and finds stored months that differ
// from the manifest recorded when they were committed, as a plain MergeTree
// can show after a crash near a partition swap (see sink.Sink.Verify).
type IntegrityStore interface {
	StartedAt(ctx context.Context) (time.Time, error)
	MismatchedMonths(ctx context.Context) ([]sink.MonthKey, error)
}

// CoveredStore removes every stored bill month of a scope whose bills are
// stored under another scope (see Coverage), returning how many months it
// removed.
type CoveredStore interface {
	DropScopeBills(ctx context.Context, scope string) (int, error)
}

// StoredMonthsStore lists the bill months stored per scope (first days of
// the months), for the first-start backfill.
type StoredMonthsStore interface {
	StoredMonths(ctx context.Context) (map[string][]time.Time, error)
}

// BackfillStore reads, per scope, the months that earlier bills runs of a
// backfill window committed (sync_runs rows recording the window), so that
// the same backfill run again resumes it.
type BackfillStore interface {
	BackfillCommits(ctx context.Context, window string) (map[string][]sink.BackfillCommit, error)
}

// Store is everything the jobs write; *sink.Sink has it all, with its
// months through SinkMonths.
type Store interface {
	MonthStore
	SnapshotStore
	RunStore
}

// MemberMode says how bills of an enterprise master's member accounts are read.
type MemberMode string

// Member modes.
const (
	// MembersAll reads with method=all: the caller and every member that is
	// visible to it, in one stream (the API default). If the service refuses
	// method=all with CBC.18000048, the bss client falls back to iterating
	// the members (see bss.Client.ResourceRecords).
	MembersAll MemberMode = "all"
	// MembersEach reads the caller (method=oneself) and then every member from
	// the org job's member list (method=sub_customer). It is never chosen
	// automatically: with MembersAll, a CBC.18000048 refusal (more than 1000
	// independent members) is already handled inside the bss client, which
	// iterates the members itself.
	MembersEach MemberMode = "each"
	// MembersNone reads only the caller's own bills (method=oneself).
	MembersNone MemberMode = "none"
)

// Account is one configured account (credential scope) and its client.
type Account struct {
	// Scope is the configured account name, stored in every row.
	Scope string
	// CustomerID is the account's domain ID.
	CustomerID string
	// Source is the account's BSS client; clients are per account, so jobs
	// for the same account share its per-operation rate budget.
	Source Source
	// Members selects member fan-out for bills.
	Members MemberMode
	// FinalDay is the day of the following month on which a month becomes
	// final at FinalHour UTC+8: 3, or 4 for monthly-settlement customers.
	FinalDay int
	// SelfPaying lists member account IDs that pay for themselves
	// (independent accounting) although they are not configured as accounts
	// of their own: their costs are stored in this scope but never count in
	// its daily burn (see Payer).
	SelfPaying []string
}

// Window is an optional inclusive range of billing months; the zero Window
// means "only what the schedule needs" (the open months).
type Window struct {
	// From and To are the first and last month, both included.
	From, To bss.Month
	// Force makes a bills run re-read every month of the window, even those
	// an interrupted earlier run of the same window committed (see
	// Bills.Backfills).
	Force bool
}

// IsZero reports whether w selects no explicit months.
func (w Window) IsZero() bool { return w.From.IsZero() && w.To.IsZero() }

// Months lists the months of w in order.
func (w Window) Months() []bss.Month {
	if w.IsZero() || w.To.Before(w.From) {
		return nil
	}
	var ms []bss.Month
	for m := w.From; !w.To.Before(m); m = m.Next() {
		ms = append(ms, m)
	}
	return ms
}

// String formats w as "2024-01..2024-03", or "" when it is zero.
func (w Window) String() string {
	if w.IsZero() {
		return ""
	}
	return w.From.String() + ".." + w.To.String()
}

// HistoryMonths is how far back the BSS API keeps bills: 3 years.
const HistoryMonths = 36

// CheckWindow reports whether w lies within the API's history, which ends
// at the current month now (UTC+8).
func CheckWindow(w Window, now time.Time) error {
	if w.IsZero() {
		return nil
	}
	cur := bss.MonthOf(now)
	oldest := OldestMonth(now)
	switch {
	case !w.From.Valid() || !w.To.Valid():
		return errors.New("window: both months must be set (YYYY-MM)")
	case w.To.Before(w.From):
		return fmt.Errorf("window: %s is after %s", w.From, w.To)
	case cur.Before(w.To):
		return fmt.Errorf("window: %s is in the future (current month is %s)", w.To, cur)
	case w.From.Before(oldest):
		return fmt.Errorf("window: %s is older than the %d months the API keeps (oldest is %s)", w.From, HistoryMonths, oldest)
	}
	return nil
}

// OldestMonth returns the oldest billing month the API still keeps at now:
// HistoryMonths months back, counting the current one.
func OldestMonth(now time.Time) bss.Month {
	m := bss.MonthOf(now)
	for range HistoryMonths - 1 {
		m = m.Prev()
	}
	return m
}

type runIDKey struct{}

// WithRunID returns a context carrying a run ID, stored in sync_runs and logs.
func WithRunID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runIDKey{}, id)
}

// RunID returns the context's run ID, or a fresh one.
func RunID(ctx context.Context) string {
	if id, ok := RunIDFrom(ctx); ok {
		return id
	}
	return NewRunID()
}

// RunIDFrom returns the context's run ID, if it has one. cmd/syncd's log
// handler uses it to tag the lines that lower layers (the bss client) log
// with a run's context.
func RunIDFrom(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(runIDKey{}).(string)
	return id, ok && id != ""
}

// NewRunID returns a random 16-hex-digit run ID.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// detached returns a context for cleanup that outlives a cancelled run
// (abort a staging table, record the failed run) but is still bounded.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}
