package bss

import (
	"context"
	"fmt"
	"iter"
	"sync"
)

// pageFunc fetches the page of a listing that starts at offset.
type pageFunc[T any] func(ctx context.Context, offset int) ([]T, *Response, error)

// paginate turns a page function into an iterator that stops at the first
// page's total_count, and reports drift as a *DriftError.
//
// With ahead > 0 it requests up to ahead further pages (at the offsets full
// pages of limit rows would start at) while the caller consumes the current
// one, so that HTTP latency, decoding and the caller's own work (inserting)
// overlap. Results are still checked and yielded strictly in offset order,
// with the same drift rules as sequential paging; a page shorter than
// expected discards the pages requested after it and paging resumes at the
// offset the short page implies. Requests still pass the client's limiter,
// so read-ahead never exceeds the quota. When the caller stops or a page
// fails, the outstanding requests are cancelled and waited for: no request
// outlives the iterator.
func paginate[T any](ctx context.Context, op string, ahead, limit int, page pageFunc[T]) iter.Seq2[T, error] {
	if ahead <= 0 || limit <= 0 {
		return paginateSeq(ctx, op, page)
	}
	return func(yield func(T, error) bool) {
		var zero T
		items, resp, err := page(ctx, 0)
		if err != nil {
			yield(zero, err)
			return
		}
		first := resp.TotalCount
		pf := newPrefetcher(ctx, page)
		defer pf.stop()
		offset, yielded := 0, 0
		for {
			if offset+len(items) > first {
				yield(zero, &DriftError{Operation: op, First: first, Last: offset + len(items), Yielded: yielded, Reason: "more rows than total_count"})
				return
			}
			next := offset + len(items)
			if next >= first {
				for _, it := range items {
					if !yield(it, nil) {
						return
					}
				}
				return
			}
			if len(items) == 0 {
				yield(zero, &DriftError{Operation: op, First: first, Last: offset, Yielded: yielded, Reason: "empty page before total_count"})
				return
			}
			// Keep ahead requests in flight past this page before handing
			// its rows to the caller.
			if offset > 0 && len(items) != min(limit, first-offset) {
				pf.reset() // short page: the offsets requested after it are wrong
			}
			pf.fill(next, limit, first, ahead)
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
				yielded++
			}
			offset = next
			items, resp, err = pf.take(offset)
			if err != nil {
				yield(zero, err)
				return
			}
			if resp.TotalCount != first {
				yield(zero, &DriftError{Operation: op, First: first, Last: resp.TotalCount, Yielded: yielded, Reason: "total_count changed"})
				return
			}
		}
	}
}

// paginateSeq is paginate without read-ahead: one request at a time.
func paginateSeq[T any](ctx context.Context, op string, page pageFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		offset, first, yielded := 0, -1, 0
		for {
			items, resp, err := page(ctx, offset)
			if err != nil {
				yield(zero, err)
				return
			}
			switch {
			case first < 0:
				first = resp.TotalCount
			case resp.TotalCount != first:
				yield(zero, &DriftError{Operation: op, First: first, Last: resp.TotalCount, Yielded: yielded, Reason: "total_count changed"})
				return
			}
			if offset+len(items) > first {
				yield(zero, &DriftError{Operation: op, First: first, Last: offset + len(items), Yielded: yielded, Reason: "more rows than total_count"})
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
				yielded++
			}
			offset += len(items)
			if offset >= first {
				return
			}
			if len(items) == 0 {
				yield(zero, &DriftError{Operation: op, First: first, Last: offset, Yielded: yielded, Reason: "empty page before total_count"})
				return
			}
		}
	}
}

// readAll reads a small listing whole, one page of up to limit rows at a
// time, for the operations read into a slice rather than streamed (the
// member-funds credit ledgers, the package deduction history): every page
// is checked against limit (checkPageSize, field naming the rows' array),
// paging ends at the total_count of the latest page, and an empty page
// before it is a *DecodeError. page returns the rows at offset and the
// answer's total_count.
func readAll[T any](op, field string, limit int, page func(offset int) ([]T, int, error)) ([]T, error) {
	var all []T
	for off := 0; ; {
		rows, total, err := page(off)
		if err != nil {
			return nil, err
		}
		if err := checkPageSize(op, field, off, limit, len(rows)); err != nil {
			return nil, err
		}
		all = append(all, rows...)
		off += len(rows)
		if len(rows) == 0 || off >= total {
			if off < total {
				return nil, &DecodeError{Operation: op, Field: field, Offset: -1, PageOffset: off,
					Err: fmt.Errorf("empty page at offset %d of total_count %d", off, total)}
			}
			return all, nil
		}
	}
}

// pageResult is the outcome of one page request.
type pageResult[T any] struct {
	items []T
	resp  *Response
	err   error
}

// inflight is one outstanding page request.
type inflight[T any] struct {
	offset int
	cancel context.CancelFunc
	done   chan pageResult[T] // buffered: the request never blocks on it
}

// prefetcher keeps page requests in flight in offset order.
type prefetcher[T any] struct {
	ctx     context.Context
	page    pageFunc[T]
	wg      sync.WaitGroup
	queue   []*inflight[T]
	nextOff int // offset of the next page to request; -1 when none is queued
}

func newPrefetcher[T any](ctx context.Context, page pageFunc[T]) *prefetcher[T] {
	return &prefetcher[T]{ctx: ctx, page: page, nextOff: -1}
}

// fill requests pages from offset from (or after the last queued one) until
// ahead are queued or total is reached.
func (p *prefetcher[T]) fill(from, limit, total, ahead int) {
	if p.nextOff < 0 {
		p.nextOff = from
	}
	for len(p.queue) < ahead && p.nextOff < total {
		ctx, cancel := context.WithCancel(p.ctx)
		f := &inflight[T]{offset: p.nextOff, cancel: cancel, done: make(chan pageResult[T], 1)}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			items, resp, err := p.page(ctx, f.offset)
			f.done <- pageResult[T]{items, resp, err}
		}()
		p.queue = append(p.queue, f)
		p.nextOff += limit
	}
}

// take returns the page at offset: the queued request for it, or a new
// request when none is queued (after a reset).
func (p *prefetcher[T]) take(offset int) ([]T, *Response, error) {
	if len(p.queue) == 0 || p.queue[0].offset != offset {
		p.reset()
		return p.page(p.ctx, offset)
	}
	f := p.queue[0]
	p.queue = p.queue[1:]
	r := <-f.done
	f.cancel()
	return r.items, r.resp, r.err
}

// reset cancels every queued request.
func (p *prefetcher[T]) reset() {
	for _, f := range p.queue {
		f.cancel()
	}
	p.queue = nil
	p.nextOff = -1
}

// stop cancels the queued requests and waits for every request to return.
func (p *prefetcher[T]) stop() {
	p.reset()
	p.wg.Wait()
}
