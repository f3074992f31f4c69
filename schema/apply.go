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

// execStatement runs one migration statement. ADD COLUMN IF NOT EXISTS is
// sent without IF NOT EXISTS, and "column already exists" counts as done,
// so the statement is idempotent on every engine.
func execStatement(ctx context.Context, t Target, stmt string) error {
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
