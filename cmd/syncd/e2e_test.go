package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/shopspring/decimal"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/bss/bsssim"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/jobs/jobstest"
	"github.com/syncd-io/syncd/internal/sink"
	"github.com/syncd-io/syncd/internal/sink/sinktest"
)

func TestMain(m *testing.M) { sinktest.Main(m) }

// e2eNow is the fixed clock of the end-to-end tests: mid-month, so the
// previous month is final and is covered by the recheck job.
var e2eNow = jobstest.Now

type e2e struct {
	t      *testing.T
	sim    *bsssim.Simulator
	simURL string
	cfg    Config
	logs   *bytes.Buffer
}

func newE2E(t *testing.T, engine string) *e2e {
	t.Helper()
	sim := bsssim.New(bsssim.Config{Now: func() time.Time { return e2eNow }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	env := map[string]string{
		"HUAWEICLOUD_SDK_AK":        bsssim.DemoAK,
		"HUAWEICLOUD_SDK_SK":        bsssim.DemoSK,
		"HUAWEICLOUD_SDK_DOMAIN_ID": bsssim.DemoDomainID,
		"SYNCD_ACCOUNT_NAME":        "acme",
		"SYNCD_BSS_ENDPOINT":        srv.URL + "/",
		"SYNCD_LISTEN":              "127.0.0.1:0",
		"SYNCD_SHUTDOWN_GRACE":      "20s",
	}
	cfg, err := LoadConfig(context.Background(), envconfig.MapLookuper(env), loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sink = sinktest.Config(t, engine)
	return &e2e{t: t, sim: sim, simURL: srv.URL + "/", cfg: cfg, logs: &bytes.Buffer{}}
}

// open opens a one-shot program of e.cfg on the e2e clock, logging to
// logger, and closes it when the test ends.
func (e *e2e) open(logger *slog.Logger) *Program {
	e.t.Helper()
	p := &Program{Config: e.cfg, Logger: logger, Now: func() time.Time { return e2eNow }}
	if err := p.Open(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if err := p.Close(); err != nil {
			e.t.Errorf("close: %v", err)
		}
	})
	return p
}

// boot runs the whole daemon with every job run at start-up, waits for the
// catch-up to finish and returns it running.
func (e *e2e) boot() *Program {
	e.t.Helper()
	p := &Program{
		Config:     e.cfg,
		Logger:     slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:        func() time.Time { return e2eNow },
		RunAtStart: true,
	}
	ctx := context.Background()
	if err := p.Run(ctx); err != nil {
		_ = p.Close()
		e.t.Fatalf("Run: %v", err)
	}
	select {
	case <-p.CatchUpDone():
	case <-time.After(5 * time.Minute):
		_ = p.Close()
		e.t.Fatal("catch-up did not finish")
	}
	return p
}

func query(t *testing.T, s *sink.Sink, q string) [][]string {
	t.Helper()
	return jobstest.Query(t, s, q)
}

func mustDec(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	return jobstest.Dec(t, s)
}

// checkBills compares every month the simulator has with the stored months,
// to the last decimal.
func (e *e2e) checkBills(s *sink.Sink) {
	e.t.Helper()
	jobstest.CheckBills(e.t, s, e.sim, "acme")
}

// checkSnapshots compares balances, packages and the org tree with what the
// simulator serves, read by a separate client.
func (e *e2e) checkSnapshots(s *sink.Sink) {
	t := e.t
	t.Helper()
	ctx := context.Background()
	c, err := bss.NewClient(bss.Config{Endpoint: e.simURL}, e.cfg.Accounts[0].Credentials, bss.WithClock(func() time.Time { return e2eNow }))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range b.Accounts {
		want = append(want, fmt.Sprintf("%s|%d|%s|%s", a.AccountID, a.AccountType, a.Amount.String(), b.DebtAmount.String()))
	}
	var got []string
	for _, r := range query(t, s, `SELECT account_id, toString(account_type), toString(amount), toString(debt_amount) FROM DB.balances_latest WHERE scope = 'acme'`) {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s", r[0], r[1], mustDec(t, r[2]).String(), mustDec(t, r[3]).String()))
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("balances_latest =\n%v\nwant\n%v", got, want)
	}

	wantItems := 0
	for p, err := range c.ResourcePackages(ctx, bss.ResourcePackageOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		wantItems += len(p.Items)
	}
	if r := query(t, s, `SELECT count() FROM DB.resource_packages_latest WHERE scope = 'acme'`); r[0][0] != fmt.Sprint(wantItems) || wantItems == 0 {
		t.Errorf("resource_packages_latest has %s items, want %d", r[0][0], wantItems)
	}

	tree, err := c.Organizations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantUnits := 1
	var count func([]bss.OrgNode)
	count = func(ns []bss.OrgNode) {
		for _, n := range ns {
			wantUnits++
			count(n.Children)
		}
	}
	count(tree.Nodes)
	if r := query(t, s, `SELECT count(), countIf(parent_id = '') FROM DB.org_units WHERE scope = 'acme'`); r[0][0] != fmt.Sprint(wantUnits) || r[0][1] != "1" {
		t.Errorf("org_units = %v units (%v roots), want %d (1 root)", r[0][0], r[0][1], wantUnits)
	}
	// The master under the root unit, then every member in its unit.
	wantMembers := []string{bsssim.DemoDomainID + "|" + tree.RootID}
	for m, err := range c.SubCustomers(ctx, bss.SubCustomerOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		wantMembers = append(wantMembers, m.ID+"|"+m.OrgID)
	}
	var gotMembers []string
	for _, r := range query(t, s, `SELECT customer_id, org_id FROM DB.accounts WHERE scope = 'acme'`) {
		gotMembers = append(gotMembers, r[0]+"|"+r[1])
	}
	sort.Strings(wantMembers)
	sort.Strings(gotMembers)
	if !slices.Equal(gotMembers, wantMembers) || len(wantMembers) == 0 {
		t.Errorf("accounts = %v, want %v", gotMembers, wantMembers)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestEndToEnd(t *testing.T) {
	for _, engine := range sinktest.Engines {
		t.Run(engine, func(t *testing.T) {
			e := newE2E(t, engine)

			// 1. A full sync equals the simulator's truth.
			p := e.boot()
			base := "http://" + p.Addr()
			if code, body := get(t, base+"/readyz"); code != http.StatusOK {
				t.Errorf("/readyz = %d %q after a full sync, want 200", code, body)
			}
			if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
				t.Errorf("/healthz = %d, want 200", code)
			}
			_, metrics := get(t, base+"/metrics")
			checkPromtool(t, metrics)
			for _, want := range []string{
				`syncd_job_runs_total{result="success",syncd_job="bills"} 1`,
				`syncd_job_runs_total{result="success",syncd_job="recheck"} 1`,
				`syncd_bills_unstable_months{scope="acme"} 0`,
				`syncd_balance_amount{account_type="cash",currency="CNY",scope="acme"}`,
				`syncd_cost_month_to_date{currency="CNY",scope="acme"}`,
				`syncd_resource_package_remaining{`,
				`syncd_build_info{`,
				`syncd_bss_requests_total{`,
			} {
				if !strings.Contains(metrics, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			// The burn says its cost basis (amortised where the amortized job stored the months).
			if !regexp.MustCompile(`syncd_cost_daily_burn\{basis="(amortized|billed|mixed)",currency="CNY",scope="acme"\}`).MatchString(metrics) {
				t.Errorf("/metrics lacks syncd_cost_daily_burn{basis=…,currency=\"CNY\",scope=\"acme\"}")
			}
			e.checkBills(p.Sink)
			e.checkSnapshots(p.Sink)
			runs := query(t, p.Sink, `SELECT count(), countIf(status != 'success'), min(api_calls) FROM DB.sync_runs WHERE job IN ('bills', 'recheck')`)
			if runs[0][1] != "0" || runs[0][0] == "0" || runs[0][2] == "0" {
				t.Errorf("sync_runs for bills: %v (count, failures, min api calls)", runs[0])
			}
			fp := jobstest.Fingerprint(t, p.Sink)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			// 2. Another run changes nothing. (A re-issued month replaced by
			// the scheduled runs: TestReissuedMonthReplaced in internal/jobs.)
			p = e.boot()
			if got := jobstest.Fingerprint(t, p.Sink); got != fp {
				t.Errorf("a second run changed the tables:\nbefore %s\nafter  %s", fp, got)
			}
			e.checkSnapshots(p.Sink)
			_, metrics = get(t, "http://"+p.Addr()+"/metrics")
			want := businessGauges(metrics)
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			// 3. A restart with every job fresh runs none of them: the
			// business gauges are restored from ClickHouse, present from the
			// first scrape and equal to what the jobs exported.
			p = &Program{Config: e.cfg, Logger: slog.New(slog.NewJSONHandler(e.logs, nil)), Now: func() time.Time { return e2eNow }}
			if err := p.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, g := range []string{"syncd_cost_daily_burn{", "syncd_cost_month_to_date{", "syncd_resource_package_remaining{", "syncd_balance_amount{"} {
				if !strings.Contains(want, g) {
					t.Fatalf("the jobs exported no %s series; the restart check would prove nothing", g)
				}
			}
			_, metrics = get(t, "http://"+p.Addr()+"/metrics")
			if engine == sink.EngineEmbedded {
				// The embedded engine can bring replaced parts back at a
				// restart (ClickHouse #107605): the cost gauges of such months
				// are not restored (they would be wrong); the bills job runs
				// at once, repairs them and sets the gauges.
				<-p.CatchUpDone()
				_, metrics = get(t, "http://"+p.Addr()+"/metrics")
			} else if !strings.Contains(metrics, `syncd_job_runs_total{result="success",syncd_job="bills"} 0`) {
				t.Errorf("a bills run happened at the restart; the gauges were not proven restored")
			}
			if got := businessGauges(metrics); got != want {
				t.Errorf("business gauges right after a restart:\n%s\nwant (as the jobs set them):\n%s", got, want)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if t.Failed() {
				t.Logf("daemon logs:\n%s", e.logs.String())
			}
		})
	}
}

// checkPromtool runs `promtool check metrics` on an exposition.
func checkPromtool(t *testing.T, exposition string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (scripts/test-deps.sh installs it): %v", err)
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestSyncCommand runs `syncd sync` for a backfill window through run(),
// as a user would, and checks its exit status.
func TestSyncCommand(t *testing.T) {
	sim := bsssim.New(bsssim.Config{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := sinktest.Config(t, sink.EngineServer)
	env := map[string]string{
		"HUAWEICLOUD_SDK_AK":        bsssim.DemoAK,
		"HUAWEICLOUD_SDK_SK":        bsssim.DemoSK,
		"HUAWEICLOUD_SDK_DOMAIN_ID": bsssim.DemoDomainID,
		"SYNCD_BSS_ENDPOINT":        srv.URL + "/",
		"SYNCD_CLICKHOUSE_DSN":      cfg.DSN,
		"SYNCD_CLICKHOUSE_DATABASE": cfg.Database,
	}
	months := sim.Months()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"sync", "--job", "bills,org", "--from", months[0], "--to", months[len(months)-1]},
		envconfig.MapLookuper(env), &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("sync exit = %d, want 0\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), bsssim.DemoSK) {
		t.Error("the secret key appears in the output")
	}

	// A month older than the API keeps is refused with usage status.
	code = run(context.Background(), []string{"sync", "--from", "2001-01", "--to", "2001-02"}, envconfig.MapLookuper(env), &stdout, &stderr)
	if code != exitUsage {
		t.Errorf("sync of 2001 exit = %d, want %d", code, exitUsage)
	}
	// Wrong credentials fail the sync: exit status 1.
	bad := with(env, "HUAWEICLOUD_SDK_SK", "wrong-secret", "SYNCD_BSS_MAX_RETRIES", "-1")
	stderr.Reset()
	code = run(context.Background(), []string{"sync", "--job", "balances"}, envconfig.MapLookuper(bad), &stdout, &stderr)
	if code != exitFailed {
		t.Errorf("sync with a wrong SK exit = %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	if strings.Contains(stderr.String(), "wrong-secret") {
		t.Error("the wrong secret key appears in the output")
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"version"}, envconfig.MapLookuper(nil), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "syncd ") {
		t.Errorf("version: code %d, output %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, envconfig.MapLookuper(nil), &out, &errOut); code != exitUsage {
		t.Errorf("unknown command: code %d, want %d", code, exitUsage)
	}
	if code := run(context.Background(), []string{"run"}, envconfig.MapLookuper(nil), &out, &errOut); code != exitUsage ||
		!strings.Contains(errOut.String(), "HUAWEICLOUD_SDK_AK") {
		t.Errorf("run without config: code %d, stderr %q", code, errOut.String())
	}
}

func TestMain_ProgressLine(t *testing.T) {
	got := formatProgress(jobs.Progress{Total: 10, Done: 4, Scope: "acme", Month: bss.Month{Year: 2024, Month: 5}, Rows: 1234, APICalls: 56}, 8*time.Second)
	for _, want := range []string{"4/10", "acme 2024-05", "rows 1234", "api calls 56", "eta 12s"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// gaugeValue sums the series of a gauge family in the program's registry.
func gaugeValue(t *testing.T, p *Program, name string) float64 {
	t.Helper()
	mfs, err := p.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				total += m.GetGauge().GetValue()
			}
			return total
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

// businessGauges returns the exposition lines of the gauges a restart must
// restore, sorted.
func businessGauges(metrics string) string {
	var out []string
	for _, l := range strings.Split(metrics, "\n") {
		for _, name := range []string{"syncd_balance_amount{", "syncd_balance_debt_amount{", "syncd_cost_month_to_date{",
			"syncd_cost_daily_burn{", "syncd_resource_package_remaining{", "syncd_resource_package_original{",
			"syncd_resource_package_expiry_timestamp_seconds{"} {
			if strings.HasPrefix(l, name) {
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// newSimServer serves sim over HTTP until the test ends and returns its
// endpoint.
func newSimServer(t *testing.T, sim *bsssim.Simulator) string {
	t.Helper()
	return jobstest.Serve(t, sim)
}
