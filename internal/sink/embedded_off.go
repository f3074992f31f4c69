//go:build nochdb

package sink

import (
	"context"
	"errors"
)

// EmbeddedAvailable reports whether this binary includes the embedded
// engine. This one was built with -tags nochdb: a static binary (e.g. for a
// scratch image), which cannot dlopen libchdb.
const EmbeddedAvailable = false

type embedded struct{}

func openEmbedded(string, string) (*embedded, error) {
	return nil, errors.New("this syncd binary was built without the embedded engine (-tags nochdb): set SYNCD_CLICKHOUSE_DSN")
}

func (*embedded) exec(context.Context, string) error             { return errors.ErrUnsupported }
func (*embedded) query(context.Context, string) (*Result, error) { return nil, errors.ErrUnsupported }
func (*embedded) insert(context.Context, string, *block) error   { return errors.ErrUnsupported }
func (*embedded) openStream(context.Context, string, *block) (stream, error) {
	return nil, errors.ErrUnsupported
}
func (*embedded) ping(context.Context) error { return errors.ErrUnsupported }
func (*embedded) close() error               { return nil }
