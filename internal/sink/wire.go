package sink

import (
	"context"
	"fmt"
	"strings"
)

// The server engine sends the Decimal(38, 8) columns of staged rows as
// Int64, the value×10^8. clickhouse-go takes a Decimal column only as
// decimal.Decimal values (or text) and converts each through several
// big.Ints (BenchmarkDecCol): at a month's size that was most of syncd's
// allocations and much of its CPU, more than reading the pages. So a
// staging table gets, when its first INSERT starts, a wire pair:
//
//   - <staging>_win, a Null table with the block's columns, each Decimal one
//     replaced by an Int64 wire_<name>;
//   - <staging>_wmv, a materialized view TO the staging table that casts
//     those back exactly (wireCast) and computes the staging table's
//     DEFAULT columns (18.16 does not fill them in a view's rows).
//
// The server squashes the rows of an INSERT into the Null table before the
// view sees them, as it would for the staging table, so a month gets no
// more parts. A block holding a value that does not fit (a magnitude of
// 92,233,720,368.54775808 or more, or a wide one) goes as decimals into the
// staging table itself, in an INSERT of its own. dropTable drops the pair
// with its staging table, and CleanupStaging a leftover pair with its
// staging table (wireBase).
const (
	wireInSuffix   = "_win"
	wireViewSuffix = "_wmv"
	wirePrefix     = "wire_"
)

// wireNames returns the names of the wire pair of the staging table.
func wireNames(staging string) (in, view string) {
	return staging + wireInSuffix, staging + wireViewSuffix
}

// wireDrops returns the statements that drop the wire pair of the staging
// table db.staging, if any: the view first, as it refers to the other.
func wireDrops(db, staging string) []string {
	in, view := wireNames(staging)
	return []string{"DROP TABLE IF EXISTS " + db + "." + view, "DROP TABLE IF EXISTS " + db + "." + in}
}

// wireBase returns the staging table a wire table belongs to, or name
// itself for any other name.
func wireBase(name string) string {
	for _, suffix := range []string{wireInSuffix, wireViewSuffix} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base
		}
	}
	return name
}

// wireCast converts the Int64 column col (value×10^moneyScale) back to
// Decimal(38, 8), exactly: toDecimal128 scales it up by 10^8 and the
// division by 10^8 keeps the scale, so no digit is rounded.
func wireCast(col string) string {
	return fmt.Sprintf("CAST(toDecimal128(%s, %d) / %d AS Decimal(38, %d))", col, moneyScale, pow10[moneyScale], moneyScale)
}

// wireColumn is one column of the staging table as system.columns shows
// it.
type wireColumn struct {
	name, kind, expr string // kind: default_kind ("", DEFAULT, MATERIALIZED, ALIAS)
}

// wireDDL returns the statements that create the wire pair of the block's
// staging table in db, given the staging table's columns, or ok false when
// the block cannot use one: it has no Decimal column, or the staging table
// has a column the block does not send and that has no DEFAULT (the view
// would have no value for it).
func wireDDL(db string, b *block, table []wireColumn) (stmts []string, ok bool) {
	sent := make(map[string]bool, len(b.columns))
	dec := false
	for i, c := range b.columns {
		sent[c] = true
		if _, d := b.cols[i].(*decCol); d {
			dec = true
		}
	}
	if !dec {
		return nil, false
	}
	var defs, sel []string
	for i, c := range b.columns {
		if _, d := b.cols[i].(*decCol); d {
			defs = append(defs, wirePrefix+c+" Int64")
			sel = append(sel, wireCast(wirePrefix+c)+" AS "+c)
			continue
		}
		defs = append(defs, c+" "+b.types[i])
		sel = append(sel, c)
	}
	for _, c := range table {
		switch {
		case sent[c.name] || c.kind == "ALIAS":
		case c.kind == "DEFAULT":
			sel = append(sel, "("+c.expr+") AS "+c.name)
		default:
			return nil, false
		}
	}
	in, view := wireNames(b.table)
	return []string{
		fmt.Sprintf("CREATE TABLE %s.%s (%s) ENGINE = Null", db, in, strings.Join(defs, ", ")),
		fmt.Sprintf("CREATE MATERIALIZED VIEW %s.%s TO %s.%s AS SELECT %s FROM %s.%s",
			db, view, db, b.table, strings.Join(sel, ", "), db, in),
	}, true
}

// wireColumns returns the columns the wire pair's Null table takes for the
// block: its own, each Decimal one as wire_<name>.
func wireColumns(b *block) []string {
	out := make([]string, len(b.columns))
	for i, c := range b.columns {
		if _, d := b.cols[i].(*decCol); d {
			c = wirePrefix + c
		}
		out[i] = c
	}
	return out
}

// stagingColumns reads the columns of the staging table db.table for
// wireDDL.
func stagingColumns(ctx context.Context, eng interface {
	query(ctx context.Context, query string) (*Result, error)
}, db, table string) ([]wireColumn, error) {
	res, err := eng.query(ctx, fmt.Sprintf(
		"SELECT name, default_kind, default_expression FROM system.columns WHERE database = %s AND table = %s",
		quote(db), quote(table)))
	if err != nil {
		return nil, err
	}
	out := make([]wireColumn, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = wireColumn{name: r[0], kind: r[1], expr: r[2]}
	}
	return out, nil
}
