package sink

import "context"

// SetBeforeSwap makes s call f before each REPLACE PARTITION attempt of a
// month or org swap; an error from f fails that attempt.
func SetBeforeSwap(s *Sink, f func(ctx context.Context, table string) error) { s.beforeSwap = f }
