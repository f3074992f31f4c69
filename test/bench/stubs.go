package main

import (
	"context"
	"errors"
	"io"
)

func endToEnd(ctx context.Context, w io.Writer, records int) error { return errors.New("not yet") }
func memory(ctx context.Context, w io.Writer, sizes string) error  { return errors.New("not yet") }
func backfill(ctx context.Context, w io.Writer, months, accounts, perMonth int) error {
	return errors.New("not yet")
}
