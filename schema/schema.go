// Package schema holds syncd's ClickHouse schema as ordered, embedded SQL
// migrations.
//
// Every file is a text/template rendered with Params and split into
// statements at semicolons that end a line. Files are applied in name order
// and recorded in the schema_migrations table; because ClickHouse DDL is not
// transactional, every statement is idempotent (IF NOT EXISTS) and no file
// ever drops or rewrites data. The first file (001) creates the database and
// the tracking table and is applied on every run.
//
// Template data: {{.DB}} is the database name, {{.OnCluster}} is empty or
// "ON CLUSTER <name>", and {{engine "table" "MergeTree" args...}} renders a
// table engine, Replicated in cluster mode.
//
// Numbers 090-099 are reserved for the focus_costs view owned by the ops pack.
package schema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"text/template"
)

//go:embed *.sql
var files embed.FS

// BootstrapVersion is the migration applied before every run: it creates the
// database and the schema_migrations table.
const BootstrapVersion = "001_schema_migrations.sql"

// Params are the values templated into the SQL files.
type Params struct {
	// Database is the database that holds every table, e.g. "billing".
	Database string
	// Cluster, when not empty, creates every object ON CLUSTER with
	// Replicated*MergeTree engines.
	Cluster string
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ValidIdentifier reports whether s can be templated into SQL unquoted as a
// database, cluster or table name.
func ValidIdentifier(s string) bool { return identRE.MatchString(s) }

// Validate checks that the parameters are safe to template into SQL.
func (p Params) Validate() error {
	var errs []error
	if !ValidIdentifier(p.Database) {
		errs = append(errs, fmt.Errorf("invalid database name %q: want [A-Za-z_][A-Za-z0-9_]*", p.Database))
	}
	if p.Cluster != "" && !ValidIdentifier(p.Cluster) {
		errs = append(errs, fmt.Errorf("invalid cluster name %q: want [A-Za-z_][A-Za-z0-9_]*", p.Cluster))
	}
	return errors.Join(errs...)
}

// OnCluster returns "ON CLUSTER <name>" in cluster mode and "" otherwise.
func (p Params) OnCluster() string {
	if p.Cluster == "" {
		return ""
	}
	return "ON CLUSTER " + p.Cluster
}

// Engine renders the engine of table: kind(args) on a single server, or
// Replicated<kind>('/clickhouse/tables/{shard}/<db>/<table>', '{replica}', args)
// in cluster mode. The {shard} and {replica} macros come from each server's
// configuration.
func (p Params) Engine(table, kind string, args ...string) string {
	if p.Cluster == "" {
		return kind + "(" + strings.Join(args, ", ") + ")"
	}
	all := append([]string{
		fmt.Sprintf("'/clickhouse/tables/{shard}/%s/%s'", p.Database, table),
		"'{replica}'",
	}, args...)
	return "Replicated" + kind + "(" + strings.Join(all, ", ") + ")"
}

// Migration is one rendered SQL file.
type Migration struct {
	// Version is the file name, e.g. "010_cost_records.sql".
	Version string
	// Statements are the file's statements, without trailing semicolons.
	Statements []string
}

type tmplData struct {
	DB        string
	OnCluster string
}

// Migrations renders every embedded file in name order, the bootstrap file
// first.
func Migrations(p Params) ([]Migration, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("schema params: %w", err)
	}
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	funcs := template.FuncMap{"engine": p.Engine}
	data := tmplData{DB: p.Database, OnCluster: p.OnCluster()}
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		t, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("parse migration %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("render migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: name, Statements: Split(buf.String())})
	}
	if len(out) == 0 || out[0].Version != BootstrapVersion {
		return nil, fmt.Errorf("schema: first migration must be %s", BootstrapVersion)
	}
	return out, nil
}

// Split cuts a SQL script into statements at semicolons that end a line,
// dropping "--" comment lines and empty statements.
func Split(script string) []string {
	var (
		stmts []string
		cur   strings.Builder
	)
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		if strings.HasSuffix(trimmed, ";") {
			cur.WriteString(strings.TrimSuffix(strings.TrimRight(line, " \t\r"), ";"))
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return stmts
}
