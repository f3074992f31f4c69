//go:build !nochdb

package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/shopspring/decimal"
)

// The embedded engine talks to libchdb through the same stable C API that
// github.com/chdb-io/chdb-go v1.11.0 binds (chdb_connect, chdb_query, …),
// but loads the library lazily, in Open. chdb-go's chdb-purego package
// dlopens libchdb in an init function and panics when it is missing, which
// would make every syncd binary (including server-only deployments and the
// scratch image) crash at start-up without the 150 MB library.
//
// chDB runs one engine per process: connecting again closes the previous
// connection. The package therefore keeps one process-wide connection,
// shared by every Sink opened on the same data directory and closed with the
// last of them. Queries are serialised.

// chdbLib holds the resolved C functions.
type chdbLib struct {
	connect       func(argc int, argv []*byte) *chdbConnection
	closeConn     func(conn *chdbConnection)
	query         func(conn unsafe.Pointer, query string, format string) unsafe.Pointer
	destroyResult func(res unsafe.Pointer)
	resultBuffer  func(res unsafe.Pointer) *byte
	resultLength  func(res unsafe.Pointer) uint
	resultError   func(res unsafe.Pointer) string
}

type chdbConnection struct {
	internal unsafe.Pointer
}

var (
	chdbOnce    sync.Once
	chdbLoaded  *chdbLib
	chdbLoadErr error

	embeddedMu        sync.Mutex
	embeddedConn      *embeddedShared
	errEmbeddedClosed = errors.New("embedded engine closed")
	// lastSettle is why the last close of the engine stopped waiting for
	// replaced parts (settle.go); tests read it.
	lastSettle settleOutcome
)

// EmbeddedAvailable reports whether this binary includes the embedded
// engine (it does unless built with -tags nochdb).
const EmbeddedAvailable = true

func loadCHDB() (*chdbLib, error) {
	chdbOnce.Do(func() {
		path := LibraryPath()
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			chdbLoadErr = fmt.Errorf("load chDB library %s (set CHDB_LIB_PATH, or run scripts/test-deps.sh --demo to install chDB "+DefaultCHDBVersion+" where syncd finds it): %w", path, err)
			return
		}
		lib := &chdbLib{}
		for _, f := range []struct {
			name string
			fn   any
		}{
			{"chdb_connect", &lib.connect},
			{"chdb_close_conn", &lib.closeConn},
			{"chdb_query", &lib.query},
			{"chdb_destroy_query_result", &lib.destroyResult},
			{"chdb_result_buffer", &lib.resultBuffer},
			{"chdb_result_length", &lib.resultLength},
			{"chdb_result_error", &lib.resultError},
		} {
			sym, err := purego.Dlsym(h, f.name)
			if err != nil {
				chdbLoadErr = fmt.Errorf("chDB library %s lacks %s (need chDB >= 3.x): %w", path, f.name, err)
				return
			}
			purego.RegisterFunc(f.fn, sym)
		}
		chdbLoaded = lib
	})
	return chdbLoaded, chdbLoadErr
}

// embeddedShared is the process-wide chDB connection.
type embeddedShared struct {
	mu   sync.Mutex // serialises queries
	lib  *chdbLib
	conn *chdbConnection
	path string
	refs int
	// swapped holds the db.table names in which partitions were replaced;
	// the last close waits for their replaced parts to leave the disk
	// (settle.go).
	swapped map[string]bool
	logger  *slog.Logger
}

func (e *embedded) noteSwap(db, table string, logger *slog.Logger) {
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	sh := e.shared
	if sh.swapped == nil {
		sh.swapped = make(map[string]bool)
	}
	sh.swapped[db+"."+table] = true
	if sh.logger == nil {
		sh.logger = logger
	}
}

// embedded is one Sink's handle on the shared connection.
type embedded struct {
	shared *embeddedShared
	once   sync.Once
}

// embeddedSettings bound what one query of the in-process engine may
// take (issue 14). They are session settings SET right after connect:
// chDB 26.7 also takes them as startup arguments (--name=value) but 26.5
// ignores those, and SET reaches the session on both. The embedded
// settings test reads them back from system.settings.
var embeddedSettings = [][2]string{
	{"max_memory_usage", "1073741824"}, // 1 GiB per query
	{"max_insert_threads", "1"},
	{"max_threads", "2"},
	// A streamed INSERT (embeddedStream) is squashed into parts of at most
	// this much data instead of 256 MiB (or 1M rows): the part being
	// written is what the engine holds of a month.
	{"min_insert_block_size_bytes", "33554432"}, // 32 MiB
	// One parser, not one per core with 10 MiB chunks each: the rows come
	// from syncd as fast as it sends them, parsing in parallel gains
	// nothing and held about 130 MiB more at a 1M-record month.
	{"input_format_parallel_parsing", "0"},
}

// embeddedServerSettings bound the engine as a whole: they are server
// settings, which chDB (26.5 and 26.7) takes as startup arguments
// (--name=value) and SET cannot change. The defaults are sized for a
// server with the machine to itself (caches of 5 GiB, 0.9 of the RAM);
// syncd's queries read little (validation and digests of a staged month),
// so small caches cost it nothing. The embedded settings test reads them
// back from system.server_settings.
var embeddedServerSettings = [][2]string{
	{"max_server_memory_usage", "2147483648"}, // 2 GiB for all of chDB's queries, merges and caches
	{"mark_cache_size", "67108864"},           // 64 MiB
	{"index_mark_cache_size", "16777216"},
	{"primary_index_cache_size", "67108864"},
	{"query_condition_cache_size", "16777216"},
	{"compiled_expression_cache_size", "16777216"},
}

func embeddedSetStatements() []string {
	stmts := make([]string, len(embeddedSettings))
	for i, kv := range embeddedSettings {
		stmts[i] = "SET " + kv[0] + " = " + kv[1]
	}
	return stmts
}

func openEmbedded(dataDir, readOnlyDB string) (*embedded, error) {
	path, err := filepath.Abs(Config{DataDir: dataDir}.EmbeddedPath())
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	embeddedMu.Lock()
	defer embeddedMu.Unlock()
	if sh := embeddedConn; sh != nil {
		if readOnlyDB != "" {
			return nil, fmt.Errorf("a read-only embedded engine needs the engine to itself, and this process has it open on %s", sh.path)
		}
		if sh.path != path {
			return nil, fmt.Errorf("chDB runs one engine per process and it is open on %s, not %s", sh.path, path)
		}
		sh.refs++
		return &embedded{shared: sh}, nil
	}
	lib, err := loadCHDB()
	if err != nil {
		return nil, err
	}
	if readOnlyDB != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	} else if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	args := []string{"clickhouse", "--path=" + path}
	for _, kv := range embeddedServerSettings {
		args = append(args, "--"+kv[0]+"="+kv[1])
	}
	argv := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		argv[i] = &b[0]
	}
	conn := lib.connect(len(argv), argv)
	if conn == nil || conn.internal == nil {
		return nil, fmt.Errorf("chDB connect to %s failed", path)
	}
	sh := &embeddedShared{lib: lib, conn: conn, path: path, refs: 1}
	embeddedConn = sh
	e := &embedded{shared: sh}
	if readOnlyDB == "" {
		removeStreamPipes(path) // left by a process killed mid-stream; chDB holds the path to itself now
	}
	stmts := embeddedSetStatements()
	if readOnlyDB != "" {
		// The session keeps both: unqualified names resolve to the
		// configured database, and every later statement is read-only.
		stmts = append(stmts, "USE "+readOnlyDB, "SET readonly = 1")
	}
	for _, stmt := range stmts {
		if err := e.exec(context.Background(), stmt); err != nil {
			embeddedMu.Unlock()
			cerr := e.close()
			embeddedMu.Lock()
			return nil, errors.Join(fmt.Errorf("embedded session: %s: %w", stmt, err), cerr)
		}
	}
	return e, nil
}

func (e *embedded) close() error {
	e.once.Do(func() {
		embeddedMu.Lock()
		defer embeddedMu.Unlock()
		sh := e.shared
		sh.refs--
		if sh.refs == 0 {
			if len(sh.swapped) > 0 {
				tables := slices.Sorted(maps.Keys(sh.swapped))
				lastSettle = settleReplacedParts(e.query, tables, settleTimeout, sh.logger)
			} else {
				lastSettle = settleNone
			}
			sh.mu.Lock()
			sh.lib.closeConn(sh.conn)
			sh.conn = nil
			sh.mu.Unlock()
			embeddedConn = nil
		}
	})
	return nil
}

// run executes one query and returns its output in format.
func (e *embedded) run(ctx context.Context, query, format string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sh := e.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.conn == nil {
		return nil, errEmbeddedClosed
	}
	res := sh.lib.query(sh.conn.internal, query, format)
	if res == nil {
		return nil, nil
	}
	defer sh.lib.destroyResult(res)
	if msg := sh.lib.resultError(res); msg != "" {
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return nil, errors.New(strings.TrimSpace(msg))
	}
	n := int(sh.lib.resultLength(res))
	buf := sh.lib.resultBuffer(res)
	if n == 0 || buf == nil {
		return nil, nil
	}
	return bytes.Clone(unsafe.Slice(buf, n)), nil
}

func (e *embedded) ping(ctx context.Context) error {
	_, err := e.run(ctx, "SELECT 1", "TabSeparated")
	return err
}

func (e *embedded) exec(ctx context.Context, query string) error {
	_, err := e.run(ctx, query, "TabSeparated")
	return err
}

// insert sends the block as one INSERT … FORMAT TabSeparated statement with
// the rows inline.
func (e *embedded) insert(ctx context.Context, db string, b *block) error {
	// The text buffer is kept with the block and reused for its next insert.
	buf := append(b.scratch[:0], "INSERT INTO "+db+"."+b.table+" ("+strings.Join(b.columns, ", ")+") FORMAT TabSeparated\n"...)
	buf = b.appendTSV(buf)
	b.scratch = buf
	return e.exec(ctx, unsafe.String(unsafe.SliceData(buf), len(buf)))
}

func (e *embedded) query(ctx context.Context, query string) (*Result, error) {
	out, err := e.run(ctx, query, "TabSeparatedWithNamesAndTypes")
	if err != nil {
		return nil, err
	}
	return parseTSVResult(out)
}

// parseTSVResult parses TabSeparatedWithNamesAndTypes output.
func parseTSVResult(out []byte) (*Result, error) {
	res := &Result{}
	if len(out) == 0 {
		return res, nil
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("short TSV result: %d lines", len(lines))
	}
	res.Columns = splitTSV(lines[0])
	res.Types = splitTSV(lines[1])
	for _, l := range lines[2:] {
		row := splitTSV(l)
		if len(row) != len(res.Columns) {
			return nil, fmt.Errorf("TSV row has %d fields, want %d", len(row), len(res.Columns))
		}
		for i, v := range row {
			if strings.HasPrefix(strings.TrimPrefix(res.Types[i], "Nullable("), "Decimal") && v != `\N` {
				if d, err := decimal.NewFromString(v); err == nil {
					row[i] = d.String()
				}
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// splitTSV splits one TabSeparated line into unescaped fields. \N stays \N.
func splitTSV(line string) []string {
	fields := strings.Split(line, "\t")
	for i, f := range fields {
		if f == `\N` || !strings.Contains(f, `\`) {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(f); j++ {
			c := f[j]
			if c != '\\' || j+1 == len(f) {
				b.WriteByte(c)
				continue
			}
			j++
			switch f[j] {
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			default:
				b.WriteByte(f[j])
			}
		}
		fields[i] = b.String()
	}
	return fields
}
