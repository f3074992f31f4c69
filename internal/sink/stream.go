package sink

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// streamBlockRows is the number of rows per block a stream sends: small
// enough that a block in syncd's memory is a few MiB whatever the month's
// size, large enough that sending it costs little next to reading it. The
// server squashes the blocks of one INSERT into parts of its own size
// (min_insert_block_size_rows, min_insert_block_size_bytes), so the number
// of parts does not depend on it.
const streamBlockRows = 2048

// streamIdle is how long a stream keeps its INSERT open without a new
// block. An open INSERT holds the table (a DROP or ALTER of it waits until
// the INSERT ends) and the server gives up on one idle for receive_timeout,
// so while the API is slow (retries, backoff) the INSERT is ended and the
// next block opens another one; each INSERT ends in a part of its own.
// The embedded engine has one connection, which an open INSERT holds: its
// streams give it up after a second, so that the month's other feed and
// queries get their turn. A server has a connection per stream, and ends
// one after 5 seconds: a pause of a second or two in a feed (the machine
// busy merging a 5M-row month) would otherwise cost an extra part.
func (s *Sink) streamIdle() time.Duration {
	if s.kind == EngineEmbedded {
		return time.Second
	}
	return 5 * time.Second
}

// stream is one INSERT into which blocks are sent as they fill.
type stream interface {
	// send sends the rows of b (b is left as it was: the caller resets it).
	send(ctx context.Context, b *block) error
	// end ends the INSERT: the server writes the rows it has not written yet.
	end() error
	// abort gives the INSERT up without waiting for the server (the rows it
	// has not written yet are lost; the staging table is dropped anyway).
	abort()
}

// stagedStream streams the blocks of one staging table into INSERTs of
// the sink's engine: one INSERT while blocks keep coming, a new one after the
// INSERT was ended for being idle. It is safe for concurrent use (the idle
// timer ends the INSERT from its own goroutine).
type stagedStream struct {
	s      *Sink
	metric string // table name for metrics

	mu   sync.Mutex
	open stream        // the open INSERT, nil when none
	idle *time.Timer   // ends open after streamIdle without a block
	wait time.Duration // the sink's streamIdle
	err  error         // the error that ended an idle INSERT, reported by the next call
	rows int           // rows sent into open
	last time.Time     // when the last block was sent
}

func newStagedStream(s *Sink, metric string) *stagedStream {
	return &stagedStream{s: s, metric: metric, wait: s.streamIdle()}
}

// send sends the rows of b into the open INSERT (opening one when none is
// open) and resets b.
func (st *stagedStream) send(ctx context.Context, b *block) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return st.err
	}
	start := time.Now()
	err := st.sendLocked(ctx, b)
	st.s.metrics.insertDuration.WithLabelValues(st.metric).Observe(time.Since(start).Seconds())
	if err != nil {
		st.s.metrics.insertErrors.WithLabelValues(st.metric).Inc()
		st.err = fmt.Errorf("insert %d rows into %s: %w", b.rows, b.table, err)
		return st.err
	}
	b.reset()
	st.last = time.Now()
	if st.idle == nil {
		st.idle = time.AfterFunc(st.wait, st.endIdle)
	} else {
		st.idle.Reset(st.wait)
	}
	return nil
}

func (st *stagedStream) sendLocked(ctx context.Context, b *block) error {
	// Flush does not watch the context (only the INSERT's start and end
	// do): a cancelled run stops here.
	if err := ctx.Err(); err != nil {
		if st.open != nil {
			st.open.abort()
			st.open = nil
		}
		return err
	}
	if st.open == nil {
		o, err := st.s.eng.openStream(ctx, st.s.cfg.Database, b)
		if err != nil {
			return err
		}
		st.open, st.rows = o, 0
	}
	if err := st.open.send(ctx, b); err != nil {
		st.open.abort()
		st.open = nil
		return err
	}
	st.rows += b.rows
	return nil
}

// endIdle ends the open INSERT when no block came for streamIdle.
func (st *stagedStream) endIdle() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if time.Since(st.last) < st.wait {
		return // a block came while the timer fired; it was re-armed
	}
	if err := st.endLocked(); err != nil && st.err == nil {
		st.err = err
	}
}

func (st *stagedStream) endLocked() error {
	if st.open == nil {
		return nil
	}
	o, table := st.open, st.metric
	st.open = nil
	if err := o.end(); err != nil {
		st.s.metrics.insertErrors.WithLabelValues(table).Inc()
		return fmt.Errorf("insert %d rows into a staging table of %s: end of insert: %w", st.rows, table, err)
	}
	return nil
}

// end ends the open INSERT, waiting for the server to write its rows, and
// returns the first error of the stream.
func (st *stagedStream) end() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idle != nil {
		st.idle.Stop()
	}
	if err := st.endLocked(); err != nil && st.err == nil {
		st.err = err
	}
	return st.err
}

// abort gives the open INSERT up at once (closing its connection), so that
// the staging table can be dropped: a DROP waits for an INSERT into the
// table to end, and one left open would end only with the server's
// receive_timeout.
func (st *stagedStream) abort() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idle != nil {
		st.idle.Stop()
	}
	if st.open != nil {
		st.open.abort()
		st.open = nil
	}
}

// stagedRows sends the rows of one staging table as they are added, the
// same way for every writer of the month protocol (MonthWriter's cost
// records, AmortizedWriter's details): in blocks of streamBlockRows into one
// INSERT (stagedStream), so a month of any size holds one small block.
// Staging makes a partial insert harmless: validation refuses a month whose
// staged rows are wrong. Not safe for concurrent use.
type stagedRows[R any] struct {
	cur    *rowBlock[R] // the block being filled
	stream *stagedStream
	// next holds the row being added (see stage): a row taken by value and
	// added through its address would be moved to the heap, one allocation
	// of the whole row per row.
	next R
}

// newStagedRows sends rows of spec into the staging table staging
// (unqualified).
func newStagedRows[R any](s *Sink, spec *tableSpec[R], staging string) *stagedRows[R] {
	t := &stagedRows[R]{cur: newRowBlock(spec), stream: newStagedStream(s, spec.table)}
	t.cur.table = staging
	return t
}

// stage copies r into the row being added and returns it, for the writer
// to complete (scope, month) and then add.
func (t *stagedRows[R]) stage(r *R) *R {
	t.next = *r
	return &t.next
}

// add buffers r, checked against its spec; an error means r is bad, not
// the rows before it.
func (t *stagedRows[R]) add(r *R) error { return t.cur.add(r) }

// sendFull sends the buffered block when it is full. An error makes the
// rows unusable: the caller aborts the month.
func (t *stagedRows[R]) sendFull(ctx context.Context) error {
	if t.cur.rows >= streamBlockRows {
		return t.stream.send(ctx, &t.cur.block)
	}
	return nil
}

// finish sends the rows still buffered and ends the INSERT: when it returns
// nil, every added row is in the staging table.
func (t *stagedRows[R]) finish(ctx context.Context) error {
	if t.cur.rows > 0 {
		if err := t.stream.send(ctx, &t.cur.block); err != nil {
			return err
		}
	}
	return t.stream.end()
}

// abort gives the INSERT up, so that the staging table can be dropped (a
// DROP would wait for an open INSERT), and frees the block. It may be
// called more than once.
func (t *stagedRows[R]) abort() {
	t.stream.abort()
	t.cur.reset()
}

// table returns the staging table's unqualified name.
func (t *stagedRows[R]) table() string { return t.cur.table }
