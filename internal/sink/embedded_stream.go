//go:build !nochdb

package sink

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// embeddedStream is one INSERT of the embedded engine whose rows are sent
// while it runs. chDB's C API takes whole statements, so the statement
// reads its rows from a named pipe (INSERT … SELECT … FROM file(pipe,
// TabSeparated, structure)) into which send writes each block as
// TabSeparated text: a month of any size then takes one small block in Go
// and what chDB squashes into one part (min_insert_block_size_bytes, see
// embeddedSettings), not a whole BatchRows block as query text.
type embeddedStream struct {
	dir  string   // holds the pipe; removed when the INSERT ends
	pipe *os.File // write end
	done chan error
	buf  []byte
}

// streamPipeWait is how often openStream looks again whether the INSERT
// has opened the pipe (it waits for the engine while another statement
// runs).
const streamPipeWait = 5 * time.Millisecond

// streamPipeDir is the directory, under chDB's path, of the named pipes of
// streamed INSERTs.
func streamPipeDir(path string) string { return filepath.Join(path, "tmp") }

// streamPipePattern matches the directory of one streamed INSERT's pipe.
const streamPipePattern = "syncd-stream-*"

// removeStreamPipes removes the pipes of streamed INSERTs that a killed
// process left under chDB's path.
func removeStreamPipes(path string) {
	left, _ := filepath.Glob(filepath.Join(streamPipeDir(path), streamPipePattern))
	for _, d := range left {
		_ = os.RemoveAll(d)
	}
}

func (e *embedded) openStream(ctx context.Context, db string, b *block) (stream, error) {
	// chDB's own temporary directory under its data path: on the data
	// volume, which the process can write to.
	tmp := streamPipeDir(e.shared.path)
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("stream into %s: %w", b.table, err)
	}
	dir, err := os.MkdirTemp(tmp, streamPipePattern)
	if err != nil {
		return nil, fmt.Errorf("stream into %s: %w", b.table, err)
	}
	path := filepath.Join(dir, "rows.tsv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("stream into %s: %w", b.table, err)
	}
	structure := make([]string, len(b.columns))
	for i, c := range b.columns {
		structure[i] = c + " " + b.types[i]
	}
	q := "INSERT INTO " + db + "." + b.table + " (" + strings.Join(b.columns, ", ") + ") SELECT * FROM file(" +
		quote(path) + ", 'TabSeparated', " + quote(strings.Join(structure, ", ")) + ")"
	st := &embeddedStream{dir: dir, done: make(chan error, 1)}
	go func() {
		// The INSERT ends when the pipe is closed (end, abort), not with
		// the caller's context.
		err := e.exec(context.WithoutCancel(ctx), q)
		_ = os.RemoveAll(dir)
		st.done <- err
	}()
	// Opening a pipe to write blocks until its reader opens it; open it
	// without blocking, again until the INSERT has, so that an INSERT that
	// fails first (or a cancelled run) is seen.
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			st.pipe = f
			return st, nil
		}
		if !errors.Is(err, syscall.ENXIO) {
			// The INSERT may have failed and removed the pipe: its error
			// says why.
			select {
			case ierr := <-st.done:
				if ierr != nil {
					return nil, ierr
				}
			case <-time.After(time.Second):
				_ = os.Remove(path) // the INSERT, if it starts, fails at once
			}
			return nil, fmt.Errorf("stream into %s: %w", b.table, err)
		}
		select {
		case err := <-st.done:
			if err == nil {
				err = errors.New("the INSERT ended without reading its rows")
			}
			return nil, err
		case <-ctx.Done():
			_ = os.Remove(path)
			return nil, ctx.Err()
		case <-time.After(streamPipeWait):
		}
	}
}

func (st *embeddedStream) send(_ context.Context, b *block) error {
	st.buf = b.appendTSV(st.buf[:0])
	if _, err := st.pipe.Write(st.buf); err != nil {
		// The INSERT stopped reading: its error says why.
		_ = st.pipe.Close()
		if ierr := <-st.done; ierr != nil {
			return ierr
		}
		return err
	}
	return nil
}

func (st *embeddedStream) end() error {
	if err := st.pipe.Close(); err != nil {
		return err
	}
	return <-st.done
}

// abort closes the pipe without waiting: the INSERT ends with the rows it
// has read (the staging table they went into is dropped next, and the DROP
// waits only for the INSERT to write them).
func (st *embeddedStream) abort() { _ = st.pipe.Close() }
