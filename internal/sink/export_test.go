package sink

import (
	"context"
	"fmt"
	"strings"
)

// SetBeforeSwap makes s call f before each REPLACE PARTITION attempt of a
// month or org swap, with the target table and the staging table's
// unqualified name; an error from f fails that attempt.
func SetBeforeSwap(s *Sink, f func(ctx context.Context, table, staging string) error) {
	s.beforeSwap = f
}

// RowSpecs returns, for each table the sink writes rows into, its columns
// and their ClickHouse types as the row specs declare them.
func RowSpecs() map[string][][2]string {
	out := map[string][][2]string{}
	for _, t := range written {
		for i := range t.columns {
			out[t.name] = append(out[t.name], [2]string{t.columns[i], t.types[i]})
		}
	}
	return out
}

// StreamBlockRows is the number of rows per streamed block.
const StreamBlockRows = streamBlockRows

// WireCast is wireCast.
var WireCast = wireCast

// WireCopy creates a staging table of cost_records with the wire pair a
// server stream would create (wire.go), copies every stored cost record
// into the pair's Null table, each Decimal column as its Int64 wire form,
// and returns the staging table's name: the view must have rebuilt the
// rows, DEFAULT columns included, on any engine.
func WireCopy(ctx context.Context, s *Sink) (string, error) {
	name, err := s.createStaging(ctx, TableCostRecords, s.stagingSuffix())
	if err != nil {
		return "", err
	}
	b := newRowBlock(costRecordSpec)
	b.table = name
	cols, err := stagingColumns(ctx, s.eng, s.cfg.Database, name)
	if err != nil {
		return name, err
	}
	stmts, ok := wireDDL(s.cfg.Database, &b.block, cols)
	if !ok {
		return name, fmt.Errorf("cost_records takes no wire pair")
	}
	for _, q := range stmts {
		if err := s.eng.exec(ctx, q); err != nil {
			return name, err
		}
	}
	sel := make([]string, len(b.columns))
	for i, c := range b.columns {
		sel[i] = c
		if _, dec := b.cols[i].(*decCol); dec {
			sel[i] = "toInt64(" + c + " * 100000000)"
		}
	}
	in, _ := wireNames(name)
	return name, s.eng.exec(ctx, fmt.Sprintf("INSERT INTO %s.%s (%s) SELECT %s FROM %s.%s",
		s.cfg.Database, in, strings.Join(wireColumns(&b.block), ", "), strings.Join(sel, ", "), s.cfg.Database, TableCostRecords))
}

// DropStaging drops a staging table with its wire pair (on the embedded
// engine too, where only WireCopy makes one).
func DropStaging(ctx context.Context, s *Sink, name string) error {
	for _, q := range wireDrops(s.cfg.Database, name) {
		if err := s.eng.exec(ctx, q); err != nil {
			return err
		}
	}
	return s.dropTable(ctx, name)
}
