//go:build !nochdb

package sink

import "context"

// LastEmbeddedSettle says why the last close of the embedded engine stopped
// waiting for replaced parts: "none" (nothing swapped), "gone" (they left
// the disk), "deadline" (settleTimeout ran out) or "failed".
func LastEmbeddedSettle() string {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	return lastSettle.String()
}

// ReplacedParts returns the parts Close would wait for in s's swapped tables
// now, as "db.table/part" names.
func ReplacedParts(ctx context.Context, s *Sink) ([]string, error) {
	tables := make([]string, len(swappedTables))
	for i, t := range swappedTables {
		tables[i] = s.cfg.Database + "." + t
	}
	return replacedParts(ctx, s.eng.query, tables)
}
