package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

// rawTable is one table's rows laid out as clickhouse-go columns, a block
// at a time: what a hand-written columnar insert of in-memory rows sends.
type rawTable struct {
	table  string
	names  []string
	rows   int
	blocks int
	build  func(block int) []any // the columns of a block, one slice per column
}

// rawColumns lays rows out as columns of batch rows, one column per
// `ch`-tagged field of R (the sink's row types name their columns so),
// reading each field through its offset as hand-written code would.
// DateTime columns hold second-precision UTC times from the epoch on, as
// the sink writes them.
func rawColumns[R any](table string, rows []R, batch int) rawTable {
	t := reflect.TypeFor[R]()
	out := rawTable{table: table, rows: len(rows), blocks: (len(rows) + batch - 1) / batch}
	var cols []func(part []R) any
	epoch := time.Unix(0, 0).UTC()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ch")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		out.names = append(out.names, name)
		off := f.Offset
		at := func(r *R) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(r), off) }
		switch f.Type {
		case reflect.TypeFor[string]():
			cols = append(cols, func(part []R) any {
				v := make([]string, len(part))
				for i := range part {
					v[i] = *(*string)(at(&part[i]))
				}
				return v
			})
		case reflect.TypeFor[int32]():
			cols = append(cols, func(part []R) any {
				v := make([]int32, len(part))
				for i := range part {
					v[i] = *(*int32)(at(&part[i]))
				}
				return v
			})
		case reflect.TypeFor[decimal.Decimal]():
			cols = append(cols, func(part []R) any {
				v := make([]decimal.Decimal, len(part))
				for i := range part {
					v[i] = *(*decimal.Decimal)(at(&part[i]))
				}
				return v
			})
		case reflect.TypeFor[time.Time]():
			cols = append(cols, func(part []R) any {
				v := make([]time.Time, len(part))
				for i := range part {
					tv := *(*time.Time)(at(&part[i]))
					if tv.IsZero() || tv.Before(epoch) {
						tv = epoch
					}
					v[i] = tv.UTC().Truncate(time.Second)
				}
				return v
			})
		default:
			panic(fmt.Sprintf("raw insert: %s.%s has type %s", t.Name(), f.Name, f.Type))
		}
	}
	out.build = func(block int) []any {
		part := rows[block*batch : min((block+1)*batch, len(rows))]
		v := make([]any, len(cols))
		for i, c := range cols {
			v[i] = c(part)
		}
		return v
	}
	return out
}

// prebuilt returns t with every block's columns built now.
func (t rawTable) prebuilt() rawTable {
	blocks := make([][]any, t.blocks)
	for i := range blocks {
		blocks[i] = t.build(i)
	}
	t.build = func(i int) []any { return blocks[i] }
	return t
}

// rawInsert is the baseline: a hand-written columnar insert of each
// table's blocks into db, one INSERT per block (its columns built just
// before it, unless prebuilt), the tables one after the other.
func rawInsert(ctx context.Context, dsn, db string, tables []rawTable) error {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return err
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, t := range tables {
		for i := range t.blocks {
			cols := t.build(i)
			b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+t.table+" ("+strings.Join(t.names, ", ")+")")
			if err != nil {
				return err
			}
			for ci, col := range cols {
				if err := b.Column(ci).Append(col); err != nil {
					_ = b.Abort()
					return fmt.Errorf("%s column %s: %w", t.table, t.names[ci], err)
				}
			}
			if err := b.Send(); err != nil {
				return err
			}
		}
	}
	return nil
}
