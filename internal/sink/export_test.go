package sink

import "context"

// SetBeforeSwap makes s call f before each REPLACE PARTITION attempt of a
// month or org swap, with the target table and the staging table's
// unqualified name; an error from f fails that attempt.
func SetBeforeSwap(s *Sink, f func(ctx context.Context, table, staging string) error) {
	s.beforeSwap = f
}
