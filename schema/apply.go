package schema

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Target is the engine migrations are applied to. The sink adapts its
// ClickHouse connections to it.
type Target interface {
	// Exec runs one DDL statement.
	Exec(ctx context.Context, stmt string) error
	// Applied returns the versions recorded in schema_migrations.
	Applied(ctx context.Context) (map[string]bool, error)
	// Record stores version in schema_migrations.
	Record(ctx context.Context, version string) error
}

// Apply runs the bootstrap file, then every migration not yet recorded, in
// name order, recording each one after all its statements succeeded. It
// returns the versions it applied. Running it again is harmless: recorded
// files are skipped and every statement is idempotent anyway, so a run that
// died between a statement and its record simply repeats that file.
func Apply(ctx context.Context, t Target, p Params) ([]string, error) {
	migs, err := Migrations(p)
	if err != nil {
		return nil, err
	}
	for _, stmt := range migs[0].Statements {
		if err := t.Exec(ctx, stmt); err != nil {
			return nil, fmt.Errorf("apply %s: %w", migs[0].Version, err)
		}
	}
	done, err := t.Applied(ctx)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	var applied []string
	for _, m := range migs {
		if done[m.Version] {
			continue
		}
		if m.Version != BootstrapVersion {
			for i, stmt := range m.Statements {
				if err := execStatement(ctx, t, stmt); err != nil {
					return applied, fmt.Errorf("apply %s statement %d: %w", m.Version, i+1, err)
				}
			}
		}
		if err := t.Record(ctx, m.Version); err != nil {
			return applied, fmt.Errorf("record %s: %w", m.Version, err)
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// addColumnIfNotExists matches ALTER TABLE … ADD COLUMN IF NOT EXISTS, which
// ClickHouse 18.16 does not parse.
var addColumnIfNotExists = regexp.MustCompile(`(?is)^(\s*(?:--[^\n]*\n\s*)*ALTER\s+TABLE\s+.*?\s+ADD\s+COLUMN\s+)IF\s+NOT\s+EXISTS\s+`)

// createOrReplaceView matches CREATE OR REPLACE VIEW <name> [ON CLUSTER <c>],
// which ClickHouse 18.16 does not parse.
var createOrReplaceView = regexp.MustCompile(`(?is)^(\s*(?:--[^\n]*\n\s*)*)CREATE\s+OR\s+REPLACE\s+VIEW\s+(\S+)((?:\s+ON\s+CLUSTER\s+\S+)?)`)

// execStatement runs one migration statement. ADD COLUMN IF NOT EXISTS is
// sent without IF NOT EXISTS, and "column already exists" counts as done,
// so the statement is idempotent on every engine. CREATE OR REPLACE VIEW
// (idempotent by itself) is sent as is; an engine that cannot parse it
// (18.16) gets DROP TABLE IF EXISTS and CREATE VIEW instead: a view holds no
// data, so only the definition is replaced.
func execStatement(ctx context.Context, t Target, stmt string) error {
	if m := createOrReplaceView.FindStringSubmatchIndex(stmt); m != nil {
		err := t.Exec(ctx, stmt)
		if err == nil || !isSyntaxError(err) {
			return err
		}
		name, cluster := stmt[m[4]:m[5]], stmt[m[6]:m[7]]
		if err := t.Exec(ctx, "DROP TABLE IF EXISTS "+name+cluster); err != nil {
			return err
		}
		return t.Exec(ctx, stmt[:m[3]]+"CREATE VIEW "+name+cluster+stmt[m[1]:])
	}
	loc := addColumnIfNotExists.FindStringSubmatchIndex(stmt)
	if loc == nil {
		return t.Exec(ctx, stmt)
	}
	plain := stmt[:loc[3]] + stmt[loc[1]:]
	err := t.Exec(ctx, plain)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil
	}
	return err
}

// isSyntaxError reports whether the engine refused a statement it could not
// parse (code 62, SYNTAX_ERROR).
func isSyntaxError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Syntax error") || strings.Contains(msg, "SYNTAX_ERROR") || strings.Contains(msg, "code: 62")
}
