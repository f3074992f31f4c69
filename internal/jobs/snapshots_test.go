package jobs

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/sink"
)

// fakeSource is a Source made of function fields; unset ones fail the call.
type fakeSource struct {
	// Source is nil: a method a new job's source adds, and these tests do
	// not fake, panics if called (the ones below answer errNotFaked).
	Source
	balances      func() (*bss.Balances, error)
	packages      []bss.ResourcePackage
	usages        func(ids []string) ([]bss.ResourceUsage, error)
	organizations func() (*bss.OrgTree, error)
	members       []bss.SubCustomer
	membersErr    error
	transactions  []bss.TransactionBill // nil: not faked
}

var errNotFaked = errors.New("not faked")

func seq[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

func (f *fakeSource) Currency() string { return "CNY" }
func (f *fakeSource) ResourceRecords(context.Context, bss.ResourceRecordOptions) iter.Seq2[bss.ResourceRecord, error] {
	return seq[bss.ResourceRecord](nil, errNotFaked)
}
func (f *fakeSource) MonthlySums(context.Context, bss.MonthlySumOptions) iter.Seq2[bss.MonthlySum, error] {
	return seq[bss.MonthlySum](nil, errNotFaked)
}
func (f *fakeSource) TransactionBills(context.Context, bss.TransactionBillOptions) iter.Seq2[bss.TransactionBill, error] {
	if f.transactions != nil {
		return seq(f.transactions, nil)
	}
	return seq[bss.TransactionBill](nil, errNotFaked)
}
func (f *fakeSource) AmortizedCosts(context.Context, bss.AmortizedCostOptions) iter.Seq2[bss.AmortizedCost, error] {
	return seq[bss.AmortizedCost](nil, errNotFaked)
}
func (f *fakeSource) TransferAmount(context.Context, bss.BalanceType) ([]bss.Funds, error) {
	return nil, errNotFaked
}
func (f *fakeSource) RetrieveAmount(context.Context, string, bss.BalanceType) ([]bss.Funds, error) {
	return nil, errNotFaked
}
func (f *fakeSource) PackageDeductions(context.Context, bss.DeductionOptions) ([]bss.PackageDeduction, error) {
	return nil, errNotFaked
}
func (f *fakeSource) Balances(context.Context) (*bss.Balances, error) {
	if f.balances == nil {
		return nil, errNotFaked
	}
	return f.balances()
}
func (f *fakeSource) ResourcePackages(context.Context, bss.ResourcePackageOptions) iter.Seq2[bss.ResourcePackage, error] {
	return seq(f.packages, nil)
}
func (f *fakeSource) ResourceUsages(_ context.Context, ids []string) ([]bss.ResourceUsage, error) {
	if f.usages == nil {
		return nil, errNotFaked
	}
	return f.usages(ids)
}
func (f *fakeSource) Organizations(context.Context) (*bss.OrgTree, error) {
	if f.organizations == nil {
		return nil, errNotFaked
	}
	return f.organizations()
}
func (f *fakeSource) SubCustomers(context.Context, bss.SubCustomerOptions) iter.Seq2[bss.SubCustomer, error] {
	return seq(f.members, f.membersErr)
}
func (f *fakeSource) ServiceTypes(context.Context) iter.Seq2[bss.ServiceType, error] {
	return seq([]bss.ServiceType{{Code: "s", Name: "S"}}, nil)
}
func (f *fakeSource) ResourceTypes(context.Context) iter.Seq2[bss.ResourceType, error] {
	return seq([]bss.ResourceType{{Code: "r", Name: "R"}}, nil)
}
func (f *fakeSource) MeasureUnits(context.Context) ([]bss.MeasureUnit, error) {
	return []bss.MeasureUnit{{ID: 10, Abbreviation: "GB"}}, nil
}

// fakeStore records what the jobs write.
type fakeStore struct {
	balances []sink.BalanceSnapshot
	packages []sink.ResourcePackageSnapshot
	units    []sink.OrgUnit
	accounts []sink.Account
	runs     []sink.SyncRun
	writeErr error
}

func (s *fakeStore) WriteBalances(_ context.Context, rows []sink.BalanceSnapshot) error {
	s.balances = append(s.balances, rows...)
	return s.writeErr
}
func (s *fakeStore) WriteResourcePackages(_ context.Context, rows []sink.ResourcePackageSnapshot) error {
	s.packages = append(s.packages, rows...)
	return s.writeErr
}
func (s *fakeStore) ReplaceOrg(_ context.Context, _ string, units []sink.OrgUnit, accounts []sink.Account) error {
	s.units, s.accounts = units, accounts
	return s.writeErr
}
func (s *fakeStore) RecordRun(_ context.Context, r sink.SyncRun) error {
	s.runs = append(s.runs, r)
	return nil
}
func (s *fakeStore) LastSuccess(context.Context) (map[[2]string]time.Time, error) { return nil, nil }

var fixedNow = func() time.Time { return time.Date(2024, 5, 15, 1, 2, 3, 456, time.UTC) }

func TestBalancesJob(t *testing.T) {
	m := NewMetrics()
	store := &fakeStore{}
	ok := &fakeSource{balances: func() (*bss.Balances, error) {
		return &bss.Balances{Currency: "CNY", DebtAmount: dec(t, "1.5"), Accounts: []bss.AccountBalance{
			{AccountID: "a1", AccountType: 1, Amount: dec(t, "100.25"), Currency: "CNY"},
			{AccountID: "a2", AccountType: 2, Amount: dec(t, "7"), Currency: "CNY"},
		}}, nil
	}}
	failing := &fakeSource{}
	j := &Balances{Accounts: []Account{{Scope: "p", CustomerID: "d1", Source: ok}, {Scope: "q", CustomerID: "d2", Source: failing}},
		Store: store, Runs: store, Metrics: m, Logger: discard, Now: fixedNow}
	err := j.Run(WithRunID(context.Background(), "run-1"), Window{})
	if err == nil || !strings.Contains(err.Error(), "balances scope q") {
		t.Fatalf("Run() = %v, want the failing scope q named", err)
	}
	if len(store.balances) != 2 || !store.balances[0].ObservedAt.Equal(fixedNow().Truncate(time.Second)) {
		t.Errorf("balances written = %+v, want 2 rows observed at the run's whole second", store.balances)
	}
	if got := testutil.ToFloat64(m.balance.WithLabelValues("p", "cash", "CNY")); got != 100.25 {
		t.Errorf("cash balance gauge = %v, want 100.25", got)
	}
	if got := testutil.ToFloat64(m.debt.WithLabelValues("p", "CNY")); got != 1.5 {
		t.Errorf("debt gauge = %v, want 1.5", got)
	}
	statuses := []string{store.runs[0].Status, store.runs[1].Status}
	if !slices.Equal(statuses, []string{"success", "failure"}) || store.runs[0].RunID != "run-1" || store.runs[0].Rows != 2 {
		t.Errorf("sync_runs = %+v, want p success (2 rows, run-1) and q failure", store.runs)
	}
	if got := testutil.ToFloat64(m.consecutiveFails.WithLabelValues(JobBalance, "q")); got != 1 {
		t.Errorf("consecutive failures of q = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.lastSuccess.WithLabelValues(JobBalance, "p")); got != unixSeconds(fixedNow()) {
		t.Errorf("last success of p = %v, want %v", got, unixSeconds(fixedNow()))
	}
}

func TestPackagesJob(t *testing.T) {
	m := NewMetrics()
	store := &fakeStore{}
	var asked []string
	src := &fakeSource{
		packages: []bss.ResourcePackage{
			{OrderInstanceID: "live", Status: 1, ExpireTime: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
				Items: []bss.PackageItem{{FreeResourceID: "i1", Amount: dec(t, "5"), OriginalAmount: dec(t, "10"), MeasureID: 10}}},
			{OrderInstanceID: "expired", Status: 3, Items: []bss.PackageItem{{FreeResourceID: "i2", Amount: dec(t, "1"), OriginalAmount: dec(t, "1")}}},
			// Used up, not expired, nothing of its product in effect: kept at 0.
			{OrderInstanceID: "used", Status: 2, ProductID: "obs-pkg", ProductName: "OBS standard storage package", ExpireTime: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC),
				Items: []bss.PackageItem{{FreeResourceID: "i3", UsageTypeName: "Standard storage capacity", Amount: dec(t, "0.5"), OriginalAmount: dec(t, "100"), MeasureID: 10}}},
			// Used up and already past its expiry: dropped.
			{OrderInstanceID: "used-old", Status: 2, ProductID: "cdn-pkg", ExpireTime: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
				Items: []bss.PackageItem{{FreeResourceID: "i4", Amount: dec(t, "0"), OriginalAmount: dec(t, "100")}}},
		},
		usages: func(ids []string) ([]bss.ResourceUsage, error) {
			asked = ids
			return []bss.ResourceUsage{{FreeResourceID: "i1", Amount: dec(t, "4.5"), OriginalAmount: dec(t, "10"), MeasureID: 10}}, nil
		},
	}
	j := &Packages{Accounts: []Account{{Scope: "p", Source: src}}, Store: store, Runs: store, Names: &Names{}, Metrics: m, Logger: discard, Now: fixedNow}
	if err := j.Run(context.Background(), Window{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"i1"}) {
		t.Errorf("usages asked for %v, want only the items of packages in effect", asked)
	}
	if len(store.packages) != 4 {
		t.Errorf("rows = %d, want every item (4), expired included", len(store.packages))
	}
	if got := testutil.ToFloat64(m.pkgRemaining.WithLabelValues("p", "live", "i1", "", "", "10")); got != 4.5 {
		t.Errorf("remaining gauge = %v, want 4.5 from the current usage", got)
	}
	used := []string{"p", "used", "i3", "OBS standard storage package", "Standard storage capacity", "10"}
	if got := testutil.ToFloat64(m.pkgRemaining.WithLabelValues(used...)); got != 0 {
		t.Errorf("remaining of the used-up item = %v, want 0", got)
	}
	if got := testutil.ToFloat64(m.pkgOriginal.WithLabelValues(used...)); got != 100 {
		t.Errorf("original of the used-up item = %v, want 100", got)
	}
	if n := testutil.CollectAndCount(m.pkgRemaining); n != 2 {
		t.Errorf("remaining series = %d, want 2 (expired packages are not exported, a used-up one is until it expires)", n)
	}
	if got := testutil.ToFloat64(m.pkgExpiry.WithLabelValues("p", "live", "i1", "", "")); got != float64(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("expiry gauge = %v", got)
	}
	// A renewal (an item of the same product and usage type in effect)
	// replaces the used-up item.
	src.packages = append(src.packages, bss.ResourcePackage{OrderInstanceID: "renewed", Status: 1, ProductID: "obs-pkg",
		Items: []bss.PackageItem{{FreeResourceID: "i5", UsageTypeName: "Standard storage capacity", Amount: dec(t, "100"), OriginalAmount: dec(t, "100")}}})
	if err := j.Run(context.Background(), Window{}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.pkgRemaining); n != 2 {
		t.Errorf("remaining series after the renewal = %d, want 2 (live and renewed)", n)
	}
	// Long names are cut to a bounded label.
	if got := boundedLabel(strings.Repeat("é", 100)); len([]rune(got)) != maxLabelRunes {
		t.Errorf("bounded label has %d runes, want %d", len([]rune(got)), maxLabelRunes)
	}
	// A package that ends drops its series on the next run.
	src.packages = nil
	if err := j.Run(context.Background(), Window{}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.pkgRemaining); n != 0 {
		t.Errorf("remaining series after the package vanished = %d, want 0", n)
	}
}

func TestOrgJob(t *testing.T) {
	denied := &bss.Error{StatusCode: 403, Code: bss.CodeAccessDenied, Message: "Access denied."}
	tests := []struct {
		name      string
		src       *fakeSource
		members   MemberMode
		wantErr   bool
		wantUnits int
		wantIDs   []string
		wantRuns  int
		// wantAccounts, if positive, is the number of member rows stored.
		wantAccounts int
	}{
		{
			name: "master: tree and members",
			src: &fakeSource{organizations: func() (*bss.OrgTree, error) {
				return &bss.OrgTree{RootID: "1", RootName: "root", Nodes: []bss.OrgNode{{ID: "2", Name: "a"}}}, nil
			}, members: []bss.SubCustomer{{ID: "m1"}, {ID: "m2"}}},
			wantUnits: 2, wantIDs: []string{"m1", "m2"}, wantRuns: 1,
		},
		{
			name:     "not a master: access denied is an empty tree, not a failure",
			src:      &fakeSource{organizations: func() (*bss.OrgTree, error) { return nil, denied }, membersErr: denied},
			wantRuns: 1, wantIDs: []string{},
		},
		{
			name: "intl site: no org-tree API, members are still stored",
			src: &fakeSource{organizations: func() (*bss.OrgTree, error) {
				return nil, &bss.UnsupportedError{Operation: bss.OpOrganizations, Site: bss.SiteInternational}
			}, members: []bss.SubCustomer{{ID: "m1", OrgID: "7", OrgName: "unit"}}},
			wantUnits: 0, wantIDs: []string{"m1"}, wantRuns: 1, wantAccounts: 1,
		},
		{
			name:    "other errors fail",
			src:     &fakeSource{organizations: func() (*bss.OrgTree, error) { return nil, errors.New("boom") }},
			wantErr: true, wantRuns: 1,
		},
		{
			// Only the account itself is stored, without asking for a tree
			// (fakeSource's organizations would fail the run).
			name:    "members=none stores itself only",
			src:     &fakeSource{organizations: func() (*bss.OrgTree, error) { return nil, errors.New("asked for a tree") }},
			members: MembersNone, wantRuns: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			mode := tt.members
			if mode == "" {
				mode = MembersAll
			}
			j := &Org{Accounts: []Account{{Scope: "s", Source: tt.src, Members: mode}}, Store: store, Runs: store, Metrics: NewMetrics(), Logger: discard, Now: fixedNow}
			err := j.Run(context.Background(), Window{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Run() = %v, want error %v", err, tt.wantErr)
			}
			if len(store.units) != tt.wantUnits || len(store.runs) != tt.wantRuns {
				t.Errorf("units = %d, runs = %d; want %d, %d", len(store.units), len(store.runs), tt.wantUnits, tt.wantRuns)
			}
			if tt.wantAccounts > 0 && len(store.accounts) != tt.wantAccounts {
				t.Errorf("accounts = %d, want %d", len(store.accounts), tt.wantAccounts)
			}
			if !tt.wantErr && tt.wantRuns > 0 && store.runs[0].Status != sink.RunSuccess {
				t.Errorf("sync_runs status = %q, want success", store.runs[0].Status)
			}
			if tt.wantIDs != nil {
				ids, err := j.MemberIDs(context.Background(), "s")
				if err != nil || !slices.Equal(ids, tt.wantIDs) {
					t.Errorf("MemberIDs() = %v, %v; want %v", ids, err, tt.wantIDs)
				}
			}
		})
	}
}

func TestLookupsJob(t *testing.T) {
	names := &Names{}
	store := &fakeStore{}
	j := &Lookups{Accounts: []Account{{Scope: "first", Source: &fakeSource{}}, {Scope: "second", Source: &fakeSource{}}},
		Names: names, Runs: store, Metrics: NewMetrics(), Logger: discard, Now: fixedNow}
	if err := j.Run(context.Background(), Window{}); err != nil {
		t.Fatal(err)
	}
	if names.ServiceType("s", "") != "S" || names.ResourceType("r", "") != "R" || names.Unit(10) != "GB" || !names.Loaded() {
		t.Error("look-ups not loaded into Names")
	}
	if len(store.runs) != 1 || store.runs[0].Scope != "first" || store.runs[0].Rows != 3 {
		t.Errorf("sync_runs = %+v, want one run for the first scope with 3 rows", store.runs)
	}
}
