package dashboards

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

// simClock is a clock shared by the simulator, the BSS client and the jobs, so snapshot jobs can
// be run at several instants to build history.
type simClock struct{ unix atomic.Int64 }

func (c *simClock) now() time.Time      { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *simClock) set(t time.Time)     { c.unix.Store(t.Unix()) }
func newSimClock(t time.Time) *simClock { c := &simClock{}; c.set(t); return c }

// syncFromSimulator runs the daemon's sync path in-process, wired as cmd/syncd wires it: the BSS
// simulator over HTTP, the real bss.Client, the jobs (look-ups, org tree, 13 bill months and
// their amortised months, balances, resource packages and member funds) and s. Balances, packages and member funds are synced once a day for the
// last week, so their history panels have points.
func syncFromSimulator(t *testing.T, srv *bsssim.Server, clock *simClock, s *sink.Sink, end time.Time) *jobs.Metrics {
	t.Helper()
	ctx := context.Background()
	clock.set(end.AddDate(0, 0, -7))
	logger := slog.New(slog.DiscardHandler)
	client, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/"},
		bss.Credentials{AK: bsssim.DemoAK, SK: bsssim.DemoSK, DomainID: bsssim.DemoDomainID},
		bss.WithClock(clock.now), bss.WithLogger(logger))
	if err != nil {
		t.Fatalf("bss client: %v", err)
	}
	accounts := []jobs.Account{{Scope: "sim", CustomerID: bsssim.DemoDomainID, Source: client, Members: jobs.MembersAll, FinalDay: 3}}
	metrics := jobs.NewMetrics()
	names := &jobs.Names{}
	org := &jobs.Org{Accounts: accounts, Store: s, Runs: s, Metrics: metrics, Logger: logger, Now: clock.now}
	bills := &jobs.Bills{Accounts: accounts, Store: jobs.SinkMonths{Sink: s}, Runs: s, Names: names, Metrics: metrics, Logger: logger,
		Members: org.MemberIDs, Now: clock.now, Attempts: 3, FinalHour: 10, Burn: s}
	balances := &jobs.Balances{Accounts: accounts, Store: s, Runs: s, Metrics: metrics, Logger: logger, Now: clock.now}
	packages := &jobs.Packages{Accounts: accounts, Store: s, Runs: s, Names: names, Metrics: metrics, Logger: logger, Now: clock.now}
	funds := &jobs.Funds{Accounts: accounts, Store: s, Runs: s, Metrics: metrics, Logger: logger, Now: clock.now, Members: org.MemberIDs}
	deductions := &jobs.Deductions{Accounts: accounts, Store: s, Runs: s, Names: names, Metrics: metrics, Logger: logger, Now: clock.now,
		Months: 2, RateDays: 7}
	amortized := &jobs.Amortized{Accounts: accounts, Store: jobs.SinkAmortized{Sink: s}, Runs: s, Names: names, Metrics: metrics, Logger: logger,
		Members: org.MemberIDs, Now: clock.now}
	lookups := &jobs.Lookups{Accounts: accounts, Names: names, Runs: s, Metrics: metrics, Logger: logger, Now: clock.now}

	run := func(name string, f func(context.Context, jobs.Window) error, w jobs.Window) {
		t.Helper()
		if err := f(jobs.WithRunID(ctx, jobs.NewRunID()), w); err != nil {
			t.Fatalf("%s job at %s: %v", name, clock.now().Format(time.RFC3339), err)
		}
	}
	// One run with revoked credentials, so sync_runs holds a failure as the daemon records it.
	bad, err := bss.NewClient(bss.Config{Endpoint: srv.URL + "/", MaxRetries: 1},
		bss.Credentials{AK: bsssim.DemoAK, SK: "revoked-secret-key", DomainID: bsssim.DemoDomainID},
		bss.WithClock(clock.now), bss.WithLogger(logger))
	if err != nil {
		t.Fatalf("bss client: %v", err)
	}
	failing := &jobs.Balances{Accounts: []jobs.Account{{Scope: "sim", CustomerID: bsssim.DemoDomainID, Source: bad, Members: jobs.MembersAll, FinalDay: 3}},
		Store: s, Runs: s, Metrics: metrics, Logger: logger, Now: clock.now}
	if err := failing.Run(jobs.WithRunID(ctx, jobs.NewRunID()), jobs.Window{}); err == nil {
		t.Fatal("balances job with revoked credentials succeeded")
	}

	for day := 0; day <= 7; day++ {
		clock.set(end.AddDate(0, 0, day-7))
		if day == 0 || day == 7 {
			run("lookups", lookups.Run, jobs.Window{})
			run("org", org.Run, jobs.Window{})
			cur := bss.Month{Year: clock.now().In(utc8).Year(), Month: clock.now().In(utc8).Month()}
			from := cur
			for range 12 {
				from = from.Prev()
			}
			// The amortised months first, so that the bills run's daily burn finds them.
			run("amortized", amortized.Run, jobs.Window{From: from, To: cur})
			run("bills", bills.Run, jobs.Window{From: from, To: cur})
		}
		if day == 7 {
			// The whole deduction history: the simulator's one-year packages started up to 14
			// months ago.
			cur := bss.Month{Year: clock.now().In(utc8).Year(), Month: clock.now().In(utc8).Month()}
			from := cur
			for range 17 {
				from = from.Prev()
			}
			run("deductions", deductions.Run, jobs.Window{From: from, To: cur})
		}
		run("balances", balances.Run, jobs.Window{})
		run("packages", packages.Run, jobs.Window{})
		run("funds", funds.Run, jobs.Window{})
	}
	insertBudgets(t, s, simBudgets)
	return metrics
}

// TestEnginesSimulator runs every dashboard query on data the daemon's jobs synced from the
// simulator, on both engines, with the same checks as TestEngines (except the exact fixture
// values).
func TestEnginesSimulator(t *testing.T) {
	// One simulator for both engines, so both store exactly the same answers.
	clock := newSimClock(testTo)
	srv, err := bsssim.NewServer(bsssim.Config{
		Now:   clock.now,
		Seed:  11,
		Scale: bsssim.Scale{Members: 2, Months: 13, RecordsPerMonth: 300, Resources: 20, Packages: 4},
	})
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	defer srv.Close()
	sinks := map[string]*sink.Sink{}
	metrics := map[string]*jobs.Metrics{}
	for _, engine := range sinktest.Engines {
		s := sinktest.Open(t, engine)
		start := time.Now()
		metrics[engine] = syncFromSimulator(t, srv, clock, s, testTo)
		t.Logf("%s: synced from the simulator in %s", engine, time.Since(start).Round(time.Millisecond))
		sinks[engine] = s
	}
	testPanelQueries(t, sinks, simulatorMayBeEmpty)
	t.Run("forecast_backtest", func(t *testing.T) { testForecastBacktest(t, sinks, testTo) })
	t.Run("forecast_backtest_bases", func(t *testing.T) { testForecastBacktestBases(t, sinks, testTo) })
	t.Run("member_funds_truth", func(t *testing.T) { testMemberFundsTruth(t, srv, sinks) })
	t.Run("unsettled_truth", func(t *testing.T) { testUnsettledTruth(t, srv, sinks) })
	t.Run("amortized_truth", func(t *testing.T) { testAmortizedTruth(t, srv, sinks) })
	t.Run("amortized_burn", func(t *testing.T) { testAmortizedBurn(t, srv, clock, sinks, metrics) })
	t.Run("deductions_truth", func(t *testing.T) { testDeductionsTruth(t, srv, sinks) })
}

// testDeductionsTruth checks the "Usage from deductions" panel over the whole history against the
// simulator's deductions (count, Σ used, quota before the first and after the last, exactly) and
// against the packages the packages job stored: original − Σ used = remaining per item, on both
// engines. The burn-down panel's last point per item is that same remaining quota.
func testDeductionsTruth(t *testing.T, srv *bsssim.Server, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	type item struct {
		n                      int
		used, first, remaining decimal.Decimal
	}
	truth := map[string]*item{}
	for _, d := range srv.Deductions("2000-01-01", testTo.In(utc8).Format(time.DateOnly)) {
		it := truth[d.FreeResourceID]
		if it == nil {
			it = &item{first: decimal.New(d.Available, -3)}
			truth[d.FreeResourceID] = it
		}
		it.n++
		it.used = it.used.Add(decimal.New(d.Used, -3))
		it.remaining = decimal.New(d.Remaining, -3)
	}
	if len(truth) == 0 {
		t.Fatal("the simulator has no deductions")
	}
	from := testTo.AddDate(-2, 0, 0)
	d, usageSQL := panelSQL(t, "syncd-resource-packages", "Usage from deductions (time range)")
	_, burnSQL := panelSQL(t, "syncd-resource-packages", "Burn-down (remaining quota per item, from deductions)")
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		vars := resolveVariables(t, ctx, s, d, true)
		run := func(sqlText string) *sink.Result {
			sql, err := Expand(Query{SQL: sqlText, From: from, To: testTo, Interval: time.Hour, Variables: vars})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Query(ctx, sql)
			if err != nil {
				t.Fatalf("%s: %v\n%s", engine, err, sql)
			}
			return res
		}
		pkgs, err := s.LatestResourcePackages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		original := map[string][2]decimal.Decimal{}
		for _, p := range pkgs {
			original[p.FreeResourceID] = [2]decimal.Decimal{p.OriginalAmount, p.RemainingAmount}
		}
		res := run(usageSQL)
		if len(res.Rows) != len(truth) {
			t.Errorf("%s: %d items, want %d", engine, len(res.Rows), len(truth))
		}
		last := map[string]decimal.Decimal{}
		for i := range res.Rows {
			id := res.Value(i, "free_resource_id")
			num := func(col string) decimal.Decimal { return decimal.RequireFromString(res.Value(i, col)) }
			w := truth[id]
			if w == nil {
				t.Errorf("%s: item %s is not in the simulator's deductions", engine, id)
				continue
			}
			if res.Value(i, "deductions") != fmt.Sprint(w.n) || !num("used").Equal(w.used) || !num("first_available").Equal(w.first) || !num("remaining").Equal(w.remaining) {
				t.Errorf("%s: item %s: %s deductions, first %s, used %s, remaining %s; want %d, %s, %s, %s", engine, id,
					res.Value(i, "deductions"), num("first_available"), num("used"), num("remaining"), w.n, w.first, w.used, w.remaining)
			}
			if o, ok := original[id]; !ok || !o[0].Sub(num("used")).Equal(num("remaining")) || !o[1].Equal(num("remaining")) {
				t.Errorf("%s: item %s: original %s − Σ used %s ≠ remaining %s (packages snapshot: %s)", engine, id, o[0], num("used"), num("remaining"), o[1])
			}
			last[res.Value(i, "scope")+" "+id] = num("remaining")
			t.Logf("%s: %s %s: %s deductions, %s − %s = %s %s, %s a day", engine, res.Value(i, "product_name"), id, res.Value(i, "deductions"),
				num("first_available"), num("used"), num("remaining"), res.Value(i, "measure_unit"), res.Value(i, "used_per_day"))
		}
		burn := run(burnSQL)
		seen := map[string]decimal.Decimal{}
		for i := range burn.Rows { // ordered by time: the last point of an item wins
			item := burn.Value(i, "item")
			seen[item[strings.LastIndex(item, " ")+1:]] = decimal.RequireFromString(burn.Value(i, "remaining"))
		}
		for id, w := range truth {
			if got, ok := seen[id]; !ok || !got.Equal(w.remaining) {
				t.Errorf("%s: burn-down of item %s ends at %s, want %s", engine, id, got, w.remaining)
			}
		}
	}
}

// testUnsettledTruth checks the unsettled transactions panel per account against the
// simulator's transaction bills (status 2 and 3 over every month the bills job synced), exactly,
// on every engine.
func testUnsettledTruth(t *testing.T, srv *bsssim.Server, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	type want struct {
		partly, notYet, koo decimal.Decimal
		n                   int
	}
	truth := map[string]*want{}
	for _, cycle := range srv.Months() {
		for _, x := range srv.Transactions("", cycle) {
			if x.Status == 1 {
				continue
			}
			w := truth[x.CustomerID]
			if w == nil {
				w = &want{}
				truth[x.CustomerID] = w
			}
			w.n++
			if x.Status == 2 {
				w.partly = w.partly.Add(x.ConsumeAmount)
			} else {
				w.notYet = w.notYet.Add(x.ConsumeAmount)
			}
			if x.ProviderType == 2 {
				w.koo = w.koo.Add(x.ConsumeAmount)
			}
		}
	}
	if len(truth) == 0 {
		t.Fatal("the simulator has no unsettled transactions")
	}
	d, sqlText := panelSQL(t, "syncd-balances-runway", "Unsettled transactions")
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		vars := resolveVariables(t, ctx, s, d, true)
		vars["currency"] = Variable{Values: []string{"CNY"}}
		sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v\n%s", engine, err, sql)
		}
		if len(res.Rows) != len(truth) {
			t.Fatalf("%s: %d accounts with unsettled transactions, want %d", engine, len(res.Rows), len(truth))
		}
		for i := range res.Rows {
			id := res.Value(i, "customer_id")
			w := truth[id]
			if w == nil {
				t.Fatalf("%s: account %s has no unsettled transaction in the simulator", engine, id)
			}
			dec := func(c string) decimal.Decimal { return decimal.RequireFromString(res.Value(i, c)) }
			if !dec("not_fully_settled").Equal(w.partly) || !dec("not_yet_settled").Equal(w.notYet) ||
				!dec("unsettled").Equal(w.partly.Add(w.notYet)) || !dec("koogallery").Equal(w.koo) || res.Value(i, "transactions") != fmt.Sprint(w.n) {
				t.Errorf("%s: account %s = %v, want %+v", engine, id, res.Rows[i], *w)
			}
			t.Logf("%s: %s %s unsettled %s (not fully settled %s, not yet settled %s, KooGallery %s) in %s transactions since %s", engine,
				res.Value(i, "scope"), id, res.Value(i, "unsettled"), res.Value(i, "not_fully_settled"), res.Value(i, "not_yet_settled"),
				res.Value(i, "koogallery"), res.Value(i, "transactions"), res.Value(i, "oldest_month"))
		}
	}
}

// testMemberFundsTruth checks the member funds panel's cash and credit per member against the
// simulator's truth (the sum of its ledgers), exactly, on both engines.
func testMemberFundsTruth(t *testing.T, srv *bsssim.Server, sinks map[string]*sink.Sink) {
	ctx := context.Background()
	sum := func(fs []bsssim.Funds) decimal.Decimal {
		var c int64
		for _, f := range fs {
			c += f.Available
		}
		return decimal.New(c, -2)
	}
	d, sqlText := panelSQL(t, "syncd-balances-runway", "Member funds and runway")
	for _, engine := range sinktest.Engines {
		s := sinks[engine]
		vars := resolveVariables(t, ctx, s, d, true)
		vars["currency"] = Variable{Values: []string{"CNY"}}
		sql, err := Expand(Query{SQL: sqlText, From: testFrom, To: testTo, Interval: time.Hour, Variables: vars})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v\n%s", engine, err, sql)
		}
		members := srv.Accounts()[1:]
		if len(res.Rows) != len(members) {
			t.Fatalf("%s: %d member rows, want %d", engine, len(res.Rows), len(members))
		}
		for i := range res.Rows {
			id := res.Value(i, "customer_id")
			cash, credit := sum(srv.RetrieveFunds(id, bsssim.BalanceTypeDebit)), sum(srv.RetrieveFunds(id, bsssim.BalanceTypeCredit))
			if got := decimal.RequireFromString(res.Value(i, "cash")); !got.Equal(cash) {
				t.Errorf("%s: member %s cash %s, want %s", engine, id, got, cash)
			}
			if got := decimal.RequireFromString(res.Value(i, "credit")); !got.Equal(credit) {
				t.Errorf("%s: member %s credit %s, want %s", engine, id, got, credit)
			}
			t.Logf("%s: member %s cash %s credit %s daily_burn %s runway_days %s", engine, id, cash, credit,
				res.Value(i, "daily_burn"), res.Value(i, "runway_days"))
		}
	}
}

// simulatorMayBeEmpty lists the panels that are legitimately empty on the simulator's data: its
// resource packages are one-year packages, none of which expires within 30 days of the test time.
// The fixture run (TestEngines) requires them to show data.
var simulatorMayBeEmpty = map[string]bool{"Expiring within 30 days": true, "Expiring soon (30 days)": true}
