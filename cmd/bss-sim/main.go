// Command bss-sim serves the Huawei Cloud BSS API simulator on a loopback
// address with demo credentials, for demos and manual testing:
//
//	go run ./cmd/bss-sim -addr 127.0.0.1:8089 -records 5000
//
// Every flag can also be set by the environment variable named in its help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/syncd-io/syncd/internal/bss/bsssim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "bss-sim:", err)
		os.Exit(1)
	}
}

// run parses args (falling back to getenv), serves until ctx ends, and
// reports the bound address on ready if non-nil.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("bss-sim", flag.ContinueOnError)
	fs.SetOutput(out)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	// Bad numeric environment values are reported, all at once, rather
	// than silently replaced by the default.
	var envErrs []error
	envInt64 := func(name string, def int64) int64 {
		return envParse(getenv, name, def, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }, "an integer", &envErrs)
	}
	envFloat := func(name string) float64 {
		return envParse(getenv, name, 0, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, "a number", &envErrs)
	}
	envDuration := func(name string) time.Duration {
		return envParse(getenv, name, 0, time.ParseDuration, "a duration such as 50ms", &envErrs)
	}
	addr := fs.String("addr", env("BSS_SIM_ADDR", "127.0.0.1:8089"), "listen address, loopback only (BSS_SIM_ADDR)")
	ak := fs.String("ak", env("BSS_SIM_AK", bsssim.DemoAK), "master access key (BSS_SIM_AK)")
	sk := fs.String("sk", env("BSS_SIM_SK", bsssim.DemoSK), "master secret key (BSS_SIM_SK)")
	domain := fs.String("domain-id", env("BSS_SIM_DOMAIN_ID", bsssim.DemoDomainID), "master account ID (BSS_SIM_DOMAIN_ID)")
	site := fs.String("site", env("BSS_SIM_SITE", "cn"), "cn (CNY) or intl (USD) (BSS_SIM_SITE)")
	seed := fs.Int64("seed", envInt64("BSS_SIM_SEED", bsssim.DemoSeed), "tenant seed (BSS_SIM_SEED)")
	members := fs.Int("members", int(envInt64("BSS_SIM_MEMBERS", 4)), "member accounts (BSS_SIM_MEMBERS; -1 = none)")
	months := fs.Int("months", int(envInt64("BSS_SIM_MONTHS", 3)), "months of history, max 36 (BSS_SIM_MONTHS)")
	records := fs.Int("records", int(envInt64("BSS_SIM_RECORDS", 500)), "itemised records per account and month (BSS_SIM_RECORDS)")
	resources := fs.Int("resources", int(envInt64("BSS_SIM_RESOURCES", 40)), "resources per account (BSS_SIM_RESOURCES)")
	quotas := fs.String("quotas", env("BSS_SIM_QUOTAS", "documented"), "documented | off | Op=rate,... (BSS_SIM_QUOTAS)")
	f5xx := fs.Float64("fault-5xx", envFloat("BSS_SIM_FAULT_5XX"), "share of 500 CBC.0999 answers (BSS_SIM_FAULT_5XX)")
	fgw := fs.Float64("fault-gateway", envFloat("BSS_SIM_FAULT_GATEWAY"), "share of 502/504 answers (BSS_SIM_FAULT_GATEWAY)")
	f429 := fs.Float64("fault-429", envFloat("BSS_SIM_FAULT_429"), "share of random 429 answers (BSS_SIM_FAULT_429)")
	freset := fs.Float64("fault-reset", envFloat("BSS_SIM_FAULT_RESET"), "share of connection resets (BSS_SIM_FAULT_RESET)")
	ftrunc := fs.Float64("fault-truncate", envFloat("BSS_SIM_FAULT_TRUNCATE"), "share of truncated bodies (BSS_SIM_FAULT_TRUNCATE)")
	latency := fs.Duration("latency", envDuration("BSS_SIM_LATENCY"), "added latency per request (BSS_SIM_LATENCY)")
	if err := errors.Join(envErrs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := bsssim.Config{
		AK: *ak, SK: *sk, DomainID: *domain, Site: bsssim.Site(*site), Seed: *seed,
		Scale: bsssim.Scale{Members: *members, Months: *months, RecordsPerMonth: *records, Resources: *resources},
		Faults: bsssim.Faults{ServerError: *f5xx, GatewayError: *fgw, Throttle: *f429, Reset: *freset,
			Truncate: *ftrunc, Latency: *latency, RetryAfter: true},
	}
	switch *quotas {
	case "documented", "":
		cfg.Quotas = bsssim.DocumentedQuotas()
	case "off":
	default:
		cfg.Quotas = bsssim.DocumentedQuotas()
		for _, kv := range strings.Split(*quotas, ",") {
			op, v, ok := strings.Cut(kv, "=")
			op = strings.TrimSpace(op)
			rate, err := strconv.ParseFloat(v, 64)
			if _, known := cfg.Quotas[op]; !ok || err != nil || !known {
				return fmt.Errorf("parse -quotas %q: want Op=rate with Op an operation name such as %s", kv, bsssim.OpResourceRecords)
			}
			cfg.Quotas[op] = rate
		}
	}
	if cfg.Site != bsssim.SiteCN && cfg.Site != bsssim.SiteIntl {
		return fmt.Errorf("-site must be cn or intl, not %q", *site)
	}
	srv, err := bsssim.Listen(cfg, *addr)
	if err != nil {
		return err
	}
	printSummary(out, srv.Simulator, srv.URL)
	if ready != nil {
		ready <- srv.URL
	}
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func printSummary(out io.Writer, sim *bsssim.Simulator, url string) {
	cfg := sim.Config()
	fmt.Fprintf(out, "bss-sim serving the BSS API (%s site, %s) at %s\n\n", cfg.Site, sim.Currency(), url)
	fmt.Fprintln(out, "# credentials of the enterprise master; export them for syncd:")
	fmt.Fprintf(out, "export SYNCD_BSS_ENDPOINT=%s\n", url)
	fmt.Fprintf(out, "export SYNCD_BSS_SITE=%s\n", cfg.Site)
	fmt.Fprintf(out, "export HUAWEICLOUD_SDK_AK=%s\n", cfg.AK)
	if cfg.SK == bsssim.DemoSK {
		fmt.Fprintf(out, "export HUAWEICLOUD_SDK_SK=%s\n", cfg.SK)
	} else {
		fmt.Fprintln(out, "export HUAWEICLOUD_SDK_SK=... # the secret key given with -sk / BSS_SIM_SK")
	}
	fmt.Fprintf(out, "export HUAWEICLOUD_SDK_DOMAIN_ID=%s\n\n", cfg.DomainID)
	fmt.Fprintf(out, "tenant (seed %d): %d accounts, months %v\n", cfg.Seed, len(sim.Accounts()), sim.Months())
	for _, a := range sim.Accounts() {
		kind := "master"
		switch {
		case a.Master:
		case a.Independent && a.Authorized:
			kind = "member, independent accounting, authorised"
		case a.Independent:
			kind = "member, independent accounting, NOT authorised"
		default:
			kind = "member, unified accounting"
		}
		fmt.Fprintf(out, "  %s %-20s %s (AK %s)\n", a.ID, a.Name, kind, a.AK)
		if !a.Master && cfg.SK == bsssim.DemoSK {
			fmt.Fprintf(out, "  %32s %-20s SK %s\n", "", "", a.SK)
		}
	}
	fmt.Fprintln(out, "expected itemised records (master, method=all):")
	for _, m := range sim.Months() {
		t := sim.Truth("", m)
		fmt.Fprintf(out, "  %s  %8d records  amount %s %s\n", m, t.Records, t.Amount.StringFixed(2), sim.Currency())
	}
}

// envParse parses the variable name with parse, or returns def when it is
// unset; a bad value is appended to errs, naming the variable and what
// is expected.
func envParse[T any](getenv func(string) string, name string, def T, parse func(string) (T, error), want string, errs *[]error) T {
	raw := getenv(name)
	if raw == "" {
		return def
	}
	v, err := parse(raw)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: %q is not %s", name, raw, want))
		return def
	}
	return v
}
