package sink

import "context"

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
