package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

// rawTable is one table's rows as clickhouse-go columns, in blocks: what a
// hand-written columnar insert sends, built before the baseline's clock
// starts so that the baseline is only clickhouse-go and the server.
type rawTable struct {
	table  string
	names  []string
	blocks [][]any // per block, one slice per column
}

// rawColumns lays rows out as columns of batch rows, one column per
// `ch`-tagged field of R (the sink's row types name their columns so).
// DateTime columns hold second-precision UTC times from the epoch on, as
// the sink writes them.
func rawColumns[R any](table string, rows []R, batch int) rawTable {
	t := reflect.TypeFor[R]()
	out := rawTable{table: table}
	var fields []int
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ch")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		out.names, fields = append(out.names, name), append(fields, i)
	}
	epoch := time.Unix(0, 0).UTC()
	for lo := 0; lo < len(rows); lo += batch {
		part := rows[lo:min(lo+batch, len(rows))]
		cols := make([]any, len(fields))
		for c, fi := range fields {
			at := func(i int) reflect.Value { return reflect.ValueOf(&part[i]).Elem().Field(fi) }
			switch t.Field(fi).Type {
			case reflect.TypeFor[string]():
				v := make([]string, len(part))
				for i := range part {
					v[i] = at(i).String()
				}
				cols[c] = v
			case reflect.TypeFor[int32]():
				v := make([]int32, len(part))
				for i := range part {
					v[i] = int32(at(i).Int())
				}
				cols[c] = v
			case reflect.TypeFor[decimal.Decimal]():
				v := make([]decimal.Decimal, len(part))
				for i := range part {
					v[i] = at(i).Interface().(decimal.Decimal)
				}
				cols[c] = v
			case reflect.TypeFor[time.Time]():
				v := make([]time.Time, len(part))
				for i := range part {
					tv := at(i).Interface().(time.Time)
					if tv.IsZero() || tv.Before(epoch) {
						tv = epoch
					}
					v[i] = tv.UTC().Truncate(time.Second)
				}
				cols[c] = v
			default:
				panic(fmt.Sprintf("raw insert: %s.%s has type %s", t.Name(), t.Field(fi).Name, t.Field(fi).Type))
			}
		}
		out.blocks = append(out.blocks, cols)
	}
	return out
}

// rawInsert is the baseline: a hand-written columnar insert of each
// table's blocks into db, one INSERT per block, the tables one after the
// other.
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
		for _, cols := range t.blocks {
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
