package bss

import (
	"context"
	"errors"
	"fmt"
)

// The checks every listing page passes, whatever its decoder.

// pageTotal is the one check of a page's total_count: present (not null) and
// not negative.
func pageTotal(tc *wInt) (int, error) {
	switch {
	case tc == nil:
		return 0, &DecodeError{Field: "total_count", Offset: -1, Err: errors.New("missing")}
	case *tc < 0:
		return 0, &DecodeError{Field: "total_count", Offset: -1, Err: fmt.Errorf("negative: %d", *tc)}
	}
	return int(*tc), nil
}

// checkPageSize rejects a page with more rows than the limit asked for. The
// service never sends one; taking it would make the next offset skip or
// repeat rows, so it is a malformed answer, named like any other.
func checkPageSize(op, field string, offset, limit, rows int) error {
	if rows <= limit {
		return nil
	}
	return &DecodeError{Operation: op, Field: field, Offset: -1, PageOffset: offset,
		Err: fmt.Errorf("page has %d rows, more than the limit %d", rows, limit)}
}

// getPage requests one page of a listing, cl asking for up to limit rows at
// cl.offset: decode returns the page's rows and its total_count, the rows
// are checked against limit (checkPageSize, field naming their array), and
// the Response carries TotalCount and NextOffset.
func getPage[T any](ctx context.Context, c *Client, cl call, field string, limit int, decode func([]byte) ([]T, int, error)) ([]T, *Response, error) {
	var (
		rows  []T
		total int
	)
	resp, err := c.do(ctx, cl, func(b []byte) (err error) {
		rows, total, err = decode(b)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := checkPageSize(cl.op, field, cl.offset, limit, len(rows)); err != nil {
		return nil, nil, err
	}
	resp.TotalCount, resp.NextOffset = total, cl.offset+len(rows)
	return rows, resp, nil
}
