package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/syncd-io/syncd/internal/bss"
	"github.com/syncd-io/syncd/internal/jobs"
	"github.com/syncd-io/syncd/internal/sink"
)

// Config is syncd's whole configuration: one struct per package, composed
// with go-envconfig. bss and sink tags carry their full names; the jobs
// and program tags are composed under SYNCD_. Accounts are not tags: their
// variable names depend on SYNCD_ACCOUNTS (see loadAccounts).
type Config struct {
	// BSS, Sink, Jobs and App are the packages' own configurations;
	// Accounts are read by loadAccounts.
	BSS      bss.Config
	Sink     sink.Config
	Jobs     jobs.Config     `env:", prefix=SYNCD_"`
	App      AppConfig       `env:", prefix=SYNCD_"`
	Accounts []AccountConfig `env:"-"`
}

// AppConfig configures the program itself.
type AppConfig struct {
	// Listen is the address of /metrics, /healthz and /readyz.
	Listen string `env:"LISTEN, default=:9107"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL, default=info"`
	// LogFormat is json or text; empty means json for `run` and text for the other commands.
	LogFormat string `env:"LOG_FORMAT"`
	// ShutdownGrace bounds the wait for running jobs after SIGTERM/SIGINT.
	ShutdownGrace time.Duration `env:"SHUTDOWN_GRACE, default=30s"`
	// SpoolDir keeps the sync_runs rows that cannot be written while ClickHouse is unreachable, in one small file per ClickHouse server and database, until the next run or start writes them; so a failed one-shot sync or a daemon restarted during an outage still leaves its failure in sync_runs. Empty means SYNCD_DATA_DIR/spool (nothing on disk when SYNCD_DATA_DIR is empty too); off keeps the rows in memory only. The directory is created when first needed; if it cannot be written, a warning is logged once and the rows are kept in memory.
	SpoolDir string `env:"SPOOL_DIR"`
	// Accounts names several accounts (comma-separated; lower case, digits, - and _). Each account NAME then reads SYNCD_ACCOUNT_<NAME>_AK, _SK, _DOMAIN_ID, _SECURITY_TOKEN (each also as _FILE), _MEMBERS, _SETTLEMENT and _SELF_PAYING_MEMBERS, with NAME upper-cased and - turned into _. Empty means one account from HUAWEICLOUD_SDK_*.
	Accounts []string `env:"ACCOUNTS"`
}

// AccountOptions are the per-account settings besides credentials. For the
// single default account they are read as SYNCD_<NAME>, for a named account
// as SYNCD_ACCOUNT_<ACCOUNT>_<NAME>.
type AccountOptions struct {
	// Members is all (method=all), each (iterate the member list, for masters with >1000 independent members) or none.
	Members string `env:"MEMBERS, default=all"`
	// Settlement is standard (months final on the 3rd) or monthly (monthly-settlement customers: the 4th).
	Settlement string `env:"SETTLEMENT, default=standard"`
	// SelfPayingMembers lists member account IDs (comma-separated) that pay for themselves (independent accounting) but are not configured as accounts of their own: their costs stay in this account's bills but not in its daily burn, so its runway counts only what its balance pays for. The API does not say which members use unified accounting; a member configured as an account of its own is always counted as self-paying.
	SelfPayingMembers []string `env:"SELF_PAYING_MEMBERS"`
}

// AccountConfig is one configured account: its scope name, credentials and
// options.
type AccountConfig struct {
	Name        string
	Credentials bss.Credentials
	AccountOptions
}

// LogValue keeps credentials out of logs (bss.Secret redacts itself too).
func (a AccountConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", a.Name), slog.String("domain_id", a.Credentials.DomainID),
		slog.String("members", a.Members), slog.String("settlement", a.Settlement))
}

// Final days of a month by settlement type.
const (
	finalDayStandard = 3
	finalDayMonthly  = 4
)

// FinalDay returns the day of the next month on which a month becomes final.
func (a AccountConfig) FinalDay() int {
	if a.Settlement == "monthly" {
		return finalDayMonthly
	}
	return finalDayStandard
}

var accountName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// defaultAccountVar names the scope of the single account configured with
// HUAWEICLOUD_SDK_* when SYNCD_ACCOUNTS is empty.
const defaultAccountVar = "SYNCD_ACCOUNT_NAME"

// accountPrefix returns the variable prefix of a named account.
func accountPrefix(name string) string {
	return "SYNCD_ACCOUNT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_"
}

// loadOptions says which parts of the configuration a command needs.
type loadOptions struct {
	// noCredentials skips accounts (migrate, demo: the demo supplies its own).
	noCredentials bool
}

// LoadConfig reads the configuration through lookup and validates it. All
// problems are joined into one error, each naming its variable; values of
// secrets never appear.
func LoadConfig(ctx context.Context, lookup envconfig.Lookuper, opts loadOptions) (Config, error) {
	var (
		cfg  Config
		errs []error
	)
	// Every set variable is first decoded on its own, so that all bad
	// values are reported, each with its name. The structs are then
	// processed without the bad values (their defaults stand in) and
	// validated, so their other problems are reported too.
	errs, bad := checkDecodable(ctx, lookup)
	raw := lookup
	lookup = envconfig.LookuperFunc(func(key string) (string, bool) {
		if bad[key] {
			return "", false
		}
		return raw.Lookup(key)
	})
	cfg.Jobs.Schedule = jobs.ReadSchedules(lookup.Lookup) // the catalogue's variables, before the jobs section is validated
	for _, sec := range cfg.sections(lookup) {
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: sec.target, Lookuper: sec.lookup}); err != nil {
			errs = append(errs, err)
		} else if err := sec.target.Validate(); err != nil {
			errs = append(errs, err) // the messages name the variables
		}
	}
	if !opts.noCredentials {
		accts, err := loadAccounts(ctx, lookup, cfg.App.Accounts)
		cfg.Accounts = accts
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, &ConfigError{Err: err}
	}
	return cfg, nil
}

// section is one package's part of Config and the lookuper that reads it.
type section struct {
	target interface{ Validate() error }
	lookup envconfig.Lookuper
}

// sections lists the parts of c as go-envconfig reads them: bss and sink
// tags carry their full names, the jobs and program tags are under SYNCD_
// (the prefix= options on Config, which envVars follows for the docs).
func (c *Config) sections(l envconfig.Lookuper) []section {
	syncd := envconfig.PrefixLookuper("SYNCD_", l)
	return []section{{&c.BSS, l}, {&c.Sink, l}, {&c.Jobs, syncd}, {&c.App, syncd}}
}

// ConfigError is a configuration that cannot be used; its message lists
// every problem, one per line.
type ConfigError struct{ Err error }

// Error lists the problems, one per line.
func (e *ConfigError) Error() string {
	return "invalid configuration:\n  " + strings.ReplaceAll(e.Err.Error(), "\n", "\n  ")
}

// Unwrap returns the joined problems.
func (e *ConfigError) Unwrap() error { return e.Err }

// Validate checks the program settings.
func (c AppConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("SYNCD_LISTEN: %q is not a listen address (want host:port, e.g. :9107 or 127.0.0.1:9107)", c.Listen))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("SYNCD_LOG_LEVEL: %q is not a level (want debug, info, warn or error)", c.LogLevel))
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		errs = append(errs, fmt.Errorf("SYNCD_LOG_FORMAT: %q is not a format (want json or text)", c.LogFormat))
	}
	if c.ShutdownGrace <= 0 {
		errs = append(errs, fmt.Errorf("SYNCD_SHUTDOWN_GRACE: %s must be positive (want e.g. 30s)", c.ShutdownGrace))
	}
	seen := make(map[string]bool)
	for _, n := range c.Accounts {
		switch {
		case !accountName.MatchString(n):
			errs = append(errs, fmt.Errorf("SYNCD_ACCOUNTS: %q is not an account name (want lower-case letters, digits, '-' or '_', starting with a letter, at most 32)", n))
		case seen[strings.ReplaceAll(n, "-", "_")]:
			errs = append(errs, fmt.Errorf("SYNCD_ACCOUNTS: %q is listed twice", n))
		}
		seen[strings.ReplaceAll(n, "-", "_")] = true
	}
	return errors.Join(errs...)
}

func (o AccountOptions) validate(prefix string) error {
	var errs []error
	switch jobs.MemberMode(o.Members) {
	case jobs.MembersAll, jobs.MembersEach, jobs.MembersNone:
	default:
		errs = append(errs, fmt.Errorf("%sMEMBERS: %q is not a member mode (want all, each or none)", prefix, o.Members))
	}
	switch o.Settlement {
	case "standard", "monthly":
	default:
		errs = append(errs, fmt.Errorf("%sSETTLEMENT: %q is not a settlement type (want standard or monthly)", prefix, o.Settlement))
	}
	return errors.Join(errs...)
}

// loadAccounts reads the accounts. Without SYNCD_ACCOUNTS there is one,
// named by SYNCD_ACCOUNT_NAME (default "default"), with the credentials the
// Huawei SDKs read (HUAWEICLOUD_SDK_AK, _SK, _DOMAIN_ID, _SECURITY_TOKEN,
// each also as _FILE) and options SYNCD_MEMBERS and SYNCD_SETTLEMENT. With
// SYNCD_ACCOUNTS=prod,dev each account NAME reads SYNCD_ACCOUNT_<NAME>_AK,
// _SK, _DOMAIN_ID, _SECURITY_TOKEN (and _FILE variants), _MEMBERS and
// _SETTLEMENT.
func loadAccounts(ctx context.Context, lookup envconfig.Lookuper, names []string) ([]AccountConfig, error) {
	var errs []error
	if len(names) == 0 {
		name := "default"
		if v, ok := lookup.Lookup(defaultAccountVar); ok && v != "" {
			name = v
		}
		if !accountName.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: %q is not an account name (want lower-case letters, digits, '-' or '_', starting with a letter, at most 32)", defaultAccountVar, name))
		}
		a := AccountConfig{Name: name}
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &a.AccountOptions, Lookuper: envconfig.PrefixLookuper("SYNCD_", lookup)}); err != nil {
			errs = append(errs, err)
		} else if err := a.validate("SYNCD_"); err != nil {
			errs = append(errs, err)
		}
		creds, err := bss.CredentialsFromEnv(lookup.Lookup)
		if err != nil {
			errs = append(errs, err)
		}
		a.Credentials = creds
		return []AccountConfig{a}, errors.Join(errs...)
	}
	var accts []AccountConfig
	for _, name := range names {
		prefix := accountPrefix(name)
		a := AccountConfig{Name: name}
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &a.AccountOptions, Lookuper: envconfig.PrefixLookuper(prefix, lookup)}); err != nil {
			errs = append(errs, err)
		} else if err := a.validate(prefix); err != nil {
			errs = append(errs, err)
		}
		// bss reads the SDK's names; map them onto this account's prefix and
		// name the account's variables in its messages.
		creds, err := bss.CredentialsFromEnv(func(k string) (string, bool) {
			return lookup.Lookup(prefix + strings.TrimPrefix(k, "HUAWEICLOUD_SDK_"))
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %s", name, strings.ReplaceAll(err.Error(), "HUAWEICLOUD_SDK_", prefix)))
		}
		a.Credentials = creds
		accts = append(accts, a)
	}
	return accts, errors.Join(errs...)
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

// accountVars documents the account variables, which are not struct tags
// because their names depend on SYNCD_ACCOUNTS. The README's configuration
// table is generated from these and the config structs.
var accountVars = []struct{ Name, Default, Doc string }{
	{"HUAWEICLOUD_SDK_AK", "", "Access key (AK) of the account, as the Huawei Cloud SDKs read it. Required unless SYNCD_ACCOUNTS is set. Every credential variable may instead be given as a file: HUAWEICLOUD_SDK_AK_FILE names a file holding the value (Kubernetes secrets)."},
	{"HUAWEICLOUD_SDK_SK", "", "Secret key (SK) of the account; or HUAWEICLOUD_SDK_SK_FILE. Never printed."},
	{"HUAWEICLOUD_SDK_DOMAIN_ID", "", "Account (domain) ID, sent as X-Domain-Id and stored as customer_id of balances; or HUAWEICLOUD_SDK_DOMAIN_ID_FILE."},
	{"HUAWEICLOUD_SDK_SECURITY_TOKEN", "", "Security token of temporary credentials (STS, agencies); or HUAWEICLOUD_SDK_SECURITY_TOKEN_FILE. Optional."},
	{defaultAccountVar, "default", "Scope name of the single account: stored in the scope column of every row and used as the scope label."},
	{"SYNCD_MEMBERS", "all", "Member fan-out of the single account's bills: all (method=all, the master and its visible members in one stream), each (the master, then every member of the org job's member list, one query each) or none (own bills only; also skips the org job). With all, a master with more than 1000 independent members, whose method=all query is refused with CBC.18000048, is read member by member automatically."},
	{"SYNCD_SETTLEMENT", "standard", "standard: a month becomes final at SYNCD_BILLS_FINAL_HOUR on the 3rd of the next month; monthly (monthly-settlement customers): on the 4th."},
}
