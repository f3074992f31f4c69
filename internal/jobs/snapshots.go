package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// Balances snapshots every account balance of every scope, keyed by the
// observation time, and exports the balance gauges.
type Balances struct {
	// Accounts are the scopes to sync. Store and Runs write the rows and
	// the sync_runs records; Metrics, Logger and Now (default time.Now) are
	// the job's instruments and clock.
	Accounts []Account
	Store    SnapshotStore
	Runs     RunStore
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
}

// Run takes one snapshot per scope; the window is ignored.
func (j *Balances) Run(ctx context.Context, _ Window) error {
	now := clock(j.Now)
	return forEachScope(ctx, JobBalance, j.Accounts, j.Runs, j.Metrics, j.Logger, now, func(ctx context.Context, a Account, _ *slog.Logger) (int, error) {
		b, err := a.Source.Balances(ctx)
		if err != nil {
			return 0, fmt.Errorf("balances: %w", err)
		}
		rows := BalanceRows(a.Scope, a.CustomerID, now().Truncate(time.Second), b)
		if err := j.Store.WriteBalances(ctx, rows); err != nil {
			return 0, fmt.Errorf("write balances: %w", err)
		}
		cur := b.Currency
		if cur == "" && len(rows) > 0 {
			cur = rows[0].Currency
		}
		j.setGauges(a.Scope, rows, b.DebtAmount, cur)
		return len(rows), nil
	})
}

// setGauges exports one balance snapshot of a scope.
func (j *Balances) setGauges(scope string, rows []sink.BalanceSnapshot, debt decimal.Decimal, currency string) {
	j.Metrics.balance.DeletePartialMatch(prometheus.Labels{"scope": scope})
	for _, r := range rows {
		j.Metrics.balance.WithLabelValues(scope, accountType(int(r.AccountType)), r.Currency).Add(float(r.Amount))
	}
	j.Metrics.debt.DeletePartialMatch(prometheus.Labels{"scope": scope})
	j.Metrics.debt.WithLabelValues(scope, currency).Set(float(debt))
}

// accountType names a balance account type code for the metric label.
func accountType(code int) string {
	if s, ok := balanceTypes[code]; ok {
		return s
	}
	return strconv.Itoa(code)
}

// Packages snapshots every resource package item with its current usage and
// exports the package gauges.
type Packages struct {
	// Accounts are the scopes to sync. Store and Runs write the rows and
	// the sync_runs records; Metrics, Logger and Now (default time.Now) are
	// the job's instruments and clock.
	Accounts []Account
	Store    SnapshotStore
	Runs     RunStore
	Names    *Names
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
}

// Run takes one snapshot per scope; the window is ignored.
func (j *Packages) Run(ctx context.Context, _ Window) error {
	now := clock(j.Now)
	return forEachScope(ctx, JobPackage, j.Accounts, j.Runs, j.Metrics, j.Logger, now, func(ctx context.Context, a Account, _ *slog.Logger) (int, error) {
		var (
			pkgs []bss.ResourcePackage
			ids  []string
		)
		for p, err := range a.Source.ResourcePackages(ctx, bss.ResourcePackageOptions{}) {
			if err != nil {
				return 0, fmt.Errorf("resource packages: %w", err)
			}
			pkgs = append(pkgs, p)
			if p.Status == 0 || p.Status == 1 {
				for _, it := range p.Items {
					ids = append(ids, it.FreeResourceID)
				}
			}
		}
		usages := make(map[string]bss.ResourceUsage)
		if len(ids) > 0 {
			us, err := a.Source.ResourceUsages(ctx, ids)
			if err != nil {
				return 0, fmt.Errorf("resource usages: %w", err)
			}
			for _, u := range us {
				usages[u.FreeResourceID] = u
			}
		}
		rows := PackageRows(a.Scope, a.CustomerID, now().Truncate(time.Second), pkgs, usages, j.Names)
		if err := j.Store.WriteResourcePackages(ctx, rows); err != nil {
			return 0, fmt.Errorf("write resource packages: %w", err)
		}
		j.setGauges(a.Scope, rows, now())
		return len(rows), nil
	})
}

// setGauges exports the items of packages that are in effect or not yet
// effective, and keeps a used-up item (status 2) at 0 until it expires or
// is replaced by an item in effect of the same product and usage type, so
// that alerts on it do not resolve at the moment the package runs out.
// Expired and unsubscribed packages drop out.
func (j *Packages) setGauges(scope string, rows []sink.ResourcePackageSnapshot, now time.Time) {
	l := prometheus.Labels{"scope": scope}
	j.Metrics.pkgRemaining.DeletePartialMatch(l)
	j.Metrics.pkgOriginal.DeletePartialMatch(l)
	j.Metrics.pkgExpiry.DeletePartialMatch(l)
	live := make(map[[2]string]bool)
	for _, r := range rows {
		if r.Status == 0 || r.Status == 1 {
			live[[2]string{r.ProductID, r.UsageType}] = true
		}
	}
	for _, r := range rows {
		remaining := r.RemainingAmount
		switch {
		case r.Status == 0 || r.Status == 1:
		case r.Status == 2 && (r.ExpireTime.IsZero() || r.ExpireTime.After(now)) && !live[[2]string{r.ProductID, r.UsageType}]:
			remaining = decimal.Zero
		default:
			continue
		}
		product, usage := boundedLabel(r.ProductName), boundedLabel(r.UsageType)
		j.Metrics.pkgRemaining.WithLabelValues(scope, r.OrderInstanceID, r.FreeResourceID, product, usage, r.MeasureUnit).Set(float(remaining))
		j.Metrics.pkgOriginal.WithLabelValues(scope, r.OrderInstanceID, r.FreeResourceID, product, usage, r.MeasureUnit).Set(float(r.OriginalAmount))
		if !r.ExpireTime.IsZero() {
			j.Metrics.pkgExpiry.WithLabelValues(scope, r.OrderInstanceID, r.FreeResourceID, product, usage).Set(unixSeconds(r.ExpireTime))
		}
	}
}

// maxLabelRunes bounds the product and usage-type name labels: the names
// come from Huawei's catalogue (one per product, not per resource), and a
// long one is cut.
const maxLabelRunes = 64

func boundedLabel(s string) string {
	r := []rune(s)
	if len(r) <= maxLabelRunes {
		return s
	}
	return string(r[:maxLabelRunes-1]) + "…"
}

// Org replaces the enterprise org tree and accounts of every scope, and
// keeps the member list for bills fan-out. A master's scope gets its tree,
// itself (under the root unit) and its members; any other scope gets only
// itself, unless a configured master lists it as a member (it is then in the
// master's accounts), so that every customer_id of cost_records is in
// accounts exactly once. Scopes configured with MembersNone are not asked
// for a tree.
type Org struct {
	// Accounts are the scopes to sync. Store and Runs write the rows and
	// the sync_runs records; Metrics, Logger and Now (default time.Now) are
	// the job's instruments and clock.
	Accounts []Account
	Store    SnapshotStore
	Runs     RunStore
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time

	mu      sync.Mutex
	members map[string][]string
}

// Run replaces the tree of every scope; the window is ignored.
func (j *Org) Run(ctx context.Context, _ Window) error {
	return forEachScope(ctx, JobOrg, j.Accounts, j.Runs, j.Metrics, j.Logger, clock(j.Now), func(ctx context.Context, a Account, logger *slog.Logger) (int, error) {
		var (
			tree    *bss.OrgTree
			members []bss.SubCustomer
			err     error
		)
		if a.Members != MembersNone {
			if tree, members, err = readOrg(ctx, a.Source, logger); err != nil {
				return 0, err
			}
			j.setMembers(a.Scope, members)
		}
		self := a
		if len(members) == 0 && j.listedElsewhere(ctx, a, logger) {
			self.CustomerID = "" // its row is in its master's accounts
		}
		units, accounts := OrgRows(self, j.Accounts, tree, members)
		if err := j.Store.ReplaceOrg(ctx, a.Scope, units, accounts); err != nil {
			return 0, fmt.Errorf("replace org: %w", err)
		}
		return len(units) + len(accounts), nil
	})
}

// listedElsewhere reports whether another configured account (a master)
// lists a as a member. A member list that cannot be read counts as not
// listing it (logged; the next run decides again).
func (j *Org) listedElsewhere(ctx context.Context, a Account, logger *slog.Logger) bool {
	for _, m := range j.Accounts {
		if m.Scope == a.Scope || m.Members == MembersNone || a.CustomerID == "" {
			continue
		}
		ids, err := j.MemberIDs(ctx, m.Scope)
		if err != nil {
			logger.Warn("could not read a master's member list; storing the account in its own scope", "master", m.Scope, "err", err)
			continue
		}
		if slices.Contains(ids, a.CustomerID) {
			return true
		}
	}
	return false
}

func readOrg(ctx context.Context, src OrgSource, logger *slog.Logger) (*bss.OrgTree, []bss.SubCustomer, error) {
	tree, err := src.Organizations(ctx)
	switch {
	case bss.HasCode(err, bss.CodeAccessDenied):
		// Not an enterprise master (or no permission to the org tree):
		// there is no tree to store, but members may still be listed.
		tree, err = &bss.OrgTree{}, nil
	case errors.Is(err, errors.ErrUnsupported):
		// The international site has no org-tree API: store the member
		// accounts only (their org_id/org_name columns still come from
		// the member list).
		logger.Info("organisation tree not offered on this site; storing member accounts only", "reason", err.Error())
		tree, err = &bss.OrgTree{}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("organizations: %w", err)
	}
	members, err := readMembers(ctx, src)
	return tree, members, err
}

func readMembers(ctx context.Context, src OrgSource) ([]bss.SubCustomer, error) {
	var members []bss.SubCustomer
	for m, err := range src.SubCustomers(ctx, bss.SubCustomerOptions{}) {
		if bss.HasCode(err, bss.CodeAccessDenied) {
			return nil, nil // not an enterprise master: no members
		}
		if err != nil {
			return nil, fmt.Errorf("sub-customers: %w", err)
		}
		members = append(members, m)
	}
	return members, nil
}

func (j *Org) setMembers(scope string, members []bss.SubCustomer) {
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.ID)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.members == nil {
		j.members = make(map[string][]string)
	}
	j.members[scope] = ids
}

// MemberIDs returns the member account IDs of a master scope, from the last
// org run or, before the first one, read directly.
func (j *Org) MemberIDs(ctx context.Context, scope string) ([]string, error) {
	j.mu.Lock()
	ids, ok := j.members[scope]
	j.mu.Unlock()
	if ok {
		return ids, nil
	}
	for _, a := range j.Accounts {
		if a.Scope != scope {
			continue
		}
		members, err := readMembers(ctx, a.Source)
		if err != nil {
			return nil, err
		}
		j.setMembers(scope, members)
		return j.MemberIDs(ctx, scope)
	}
	return nil, fmt.Errorf("unknown scope %q", scope)
}

// Lookups refreshes the dictionaries (service and resource type names,
// measure units) that fill names and units. They are global, so the first
// account reads them.
type Lookups struct {
	// Accounts are the configured scopes (the first one reads); Names
	// receives the dictionaries and Runs the sync_runs records; Metrics,
	// Logger and Now (default time.Now) are the job's instruments and clock.
	Accounts []Account
	Names    *Names
	Runs     RunStore
	Metrics  *Metrics
	Logger   *slog.Logger
	Now      func() time.Time
}

// Run refreshes the dictionaries; the window is ignored.
func (j *Lookups) Run(ctx context.Context, _ Window) error {
	if len(j.Accounts) == 0 {
		return errors.New("lookups: no account configured")
	}
	return forEachScope(ctx, JobLookups, j.Accounts[:1], j.Runs, j.Metrics, j.Logger, clock(j.Now), func(ctx context.Context, a Account, _ *slog.Logger) (int, error) {
		services := make(map[string]string)
		for s, err := range a.Source.ServiceTypes(ctx) {
			if err != nil {
				return 0, fmt.Errorf("service types: %w", err)
			}
			services[s.Code] = s.Name
		}
		resources := make(map[string]string)
		for r, err := range a.Source.ResourceTypes(ctx) {
			if err != nil {
				return 0, fmt.Errorf("resource types: %w", err)
			}
			resources[r.Code] = r.Name
		}
		us, err := a.Source.MeasureUnits(ctx)
		if err != nil {
			return 0, fmt.Errorf("measure units: %w", err)
		}
		units := make(map[int]bss.MeasureUnit, len(us))
		for _, u := range us {
			units[u.ID] = u
		}
		j.Names.Set(services, resources, units)
		return len(services) + len(resources) + len(units), nil
	})
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
