package sink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// server is the ClickHouse server engine (native protocol).
type server struct {
	conn driver.Conn

	logger *slog.Logger // the sink's: wire tables it could not create

	mu sync.Mutex
	// wired maps each staging table (db.name) whose INSERTs have started to
	// the wire table they go into, or "" when they go into the staging table
	// itself (see wire.go).
	wired map[string]string
}

// parseDSN turns a DSN into clickhouse-go options. Besides clickhouse-go's
// parameters it understands ca_file (PEM CA bundle, requires secure=true).
// Errors never contain the DSN.
func parseDSN(dsn string) (*clickhouse.Options, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("invalid DSN: %w", err)
	}
	if u.Scheme != "clickhouse" && u.Scheme != "tcp" {
		return nil, fmt.Errorf("invalid DSN: scheme %q, want clickhouse:// (native protocol)", u.Scheme)
	}
	q := u.Query()
	caFile := q.Get("ca_file")
	q.Del("ca_file")
	u.RawQuery = q.Encode()
	opts, err := clickhouse.ParseDSN(u.String())
	if err != nil {
		// clickhouse-go redacts credentials from its parse errors.
		return nil, fmt.Errorf("invalid DSN for host %s: %w", u.Host, err)
	}
	if caFile != "" {
		if opts.TLS == nil {
			return nil, errors.New("invalid DSN: ca_file requires secure=true")
		}
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificates", caFile)
		}
		opts.TLS.RootCAs = pool
		if opts.TLS.MinVersion == 0 {
			opts.TLS.MinVersion = tls.VersionTLS12
		}
	}
	return opts, nil
}

// dsnDatabase returns the database named in the DSN's path
// (clickhouse://host:9000/finops), or "" when there is none, the DSN does
// not parse (openServer reports that), or the path is /default: the
// server's built-in database, which clickhouse-go's examples put in every
// DSN, is read as naming none (set SYNCD_CLICKHOUSE_DATABASE=default to
// really use it).
func dsnDatabase(dsn string) string {
	if dsn == "" {
		return ""
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	if db := strings.Trim(u.Path, "/"); db != "default" {
		return db
	}
	return ""
}

// redactDSN returns the DSN with its password replaced, for logs.
func redactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "[unparsable]"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

func openServer(ctx context.Context, dsn, readOnlyDB string) (*server, error) {
	opts, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	// The session starts in the user's default database, not the one the
	// DSN names: that one may not exist yet (Migrate creates it), and every
	// statement names its database anyway. A read-only session (ReadOnly)
	// starts in the configured database, for the user's unqualified names,
	// and every query carries readonly = 1.
	opts.Auth.Database = readOnlyDB
	if readOnlyDB != "" {
		if opts.Settings == nil {
			opts.Settings = clickhouse.Settings{}
		}
		opts.Settings["readonly"] = 1
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", strings.Join(opts.Addr, ","), err)
	}
	s := &server{conn: conn, wired: make(map[string]string), logger: slog.New(slog.DiscardHandler)}
	if err := s.ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("connect %s: %w", strings.Join(opts.Addr, ","), err)
	}
	return s, nil
}

func (s *server) ping(ctx context.Context) error { return s.conn.Ping(ctx) }
func (s *server) close() error                   { return s.conn.Close() }

func (s *server) exec(ctx context.Context, query string) error {
	return s.conn.Exec(ctx, query)
}

func (s *server) insert(ctx context.Context, db string, b *block) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+b.table+" ("+strings.Join(b.columns, ", ")+")")
	if err != nil {
		return err
	}
	defer batch.Close()
	for i, c := range b.cols {
		if err := batch.Column(i).Append(c.values()); err != nil {
			return fmt.Errorf("column %s: %w", b.columns[i], err)
		}
	}
	return batch.Send()
}

// serverStream is one INSERT of clickhouse-go's batch, sent block by block
// with Flush, into the staging table's wire table when it has one (see
// wire.go).
type serverStream struct {
	s     *server
	db    string
	batch driver.Batch
	wire  bool
	ints  [][]int64 // each Decimal column at scale 8 (see scale), reused across blocks
}

func (s *server) openStream(ctx context.Context, db string, b *block) (stream, error) {
	table, cols := b.table, b.columns
	in, err := s.wireOf(ctx, db, b)
	if err != nil {
		return nil, err
	}
	if in != "" {
		table, cols = in, wireColumns(b)
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+table+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return nil, err
	}
	return &serverStream{s: s, db: db, batch: batch, wire: in != ""}, nil
}

// wireOf returns the wire table the INSERTs of the block's staging table go
// into, creating the wire pair when they start, or "" when they go into the
// staging table itself.
func (s *server) wireOf(ctx context.Context, db string, b *block) (string, error) {
	if !strings.HasPrefix(b.table, stagingPrefix) {
		return "", nil
	}
	key := db + "." + b.table
	s.mu.Lock()
	in, done := s.wired[key]
	s.mu.Unlock()
	if done {
		return in, nil
	}
	cols, err := stagingColumns(ctx, s, db, b.table)
	if err != nil {
		return "", fmt.Errorf("read columns of %s: %w", b.table, err)
	}
	if stmts, ok := wireDDL(db, b, cols); ok {
		in, _ = wireNames(b.table)
		for _, q := range stmts {
			if err := s.exec(ctx, q); err != nil {
				if ctx.Err() != nil {
					return "", fmt.Errorf("create wire table of %s: %w", b.table, err)
				}
				// The wire tables are a shortcut: without them (a server
				// that refuses the view, a user without CREATE VIEW) the
				// rows go into the staging table as decimals.
				s.logger.Warn("staging rows as decimals: could not create the wire tables",
					slog.String("table", b.table), slog.Any("err", err))
				if derr := s.dropWire(ctx, db, b.table); derr != nil {
					return "", fmt.Errorf("drop the wire tables of %s after %w: %w", b.table, err, derr)
				}
				in = ""
				break
			}
		}
	}
	s.mu.Lock()
	s.wired[key] = in
	s.mu.Unlock()
	return in, nil
}

// dropWire drops the wire pair of the staging table db.name, if any.
func (s *server) dropWire(ctx context.Context, db, name string) error {
	for _, q := range wireDrops(db, name) {
		if err := s.exec(ctx, q); err != nil {
			return err
		}
	}
	s.mu.Lock()
	delete(s.wired, db+"."+name)
	s.mu.Unlock()
	return nil
}

func (st *serverStream) send(ctx context.Context, b *block) error {
	if st.wire && !st.scale(b) {
		// A value beyond Int64 at scale 8: this block goes as decimals
		// into the staging table, beside the stream.
		return st.s.insert(ctx, st.db, b)
	}
	for i, c := range b.cols {
		var v any
		if _, ok := c.(*decCol); ok && st.wire {
			v = st.ints[i] // copied by Append
		} else {
			v = c.values()
		}
		if err := st.batch.Column(i).Append(v); err != nil {
			return fmt.Errorf("column %s: %w", b.columns[i], err)
		}
	}
	return st.batch.Flush()
}

// scale puts each Decimal column of b in st.ints (at its column's index)
// in the wire table's form, and reports whether every value fits it.
func (st *serverStream) scale(b *block) bool {
	if len(st.ints) != len(b.cols) {
		st.ints = make([][]int64, len(b.cols))
	}
	for i, c := range b.cols {
		if d, ok := c.(*decCol); ok {
			var fit bool
			if st.ints[i], fit = d.scaled(st.ints[i][:0]); !fit {
				return false
			}
		}
	}
	return true
}

func (st *serverStream) end() error { return st.batch.Send() }

// abort closes the INSERT's connection (clickhouse-go's Abort does not
// return it to the pool): the server ends the INSERT when it sees the
// connection go, without writing the rows it still buffers.
func (st *serverStream) abort() { _ = st.batch.Abort() }

func (s *server) query(ctx context.Context, query string) (*Result, error) {
	rows, err := s.conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts := rows.ColumnTypes()
	res := &Result{Columns: rows.Columns(), Types: make([]string, len(cts))}
	dest := make([]any, len(cts))
	for i, ct := range cts {
		res.Types[i] = ct.DatabaseTypeName()
		dest[i] = reflect.New(ct.ScanType()).Interface()
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		row := make([]string, len(dest))
		for i, d := range dest {
			row[i] = formatValue(reflect.ValueOf(d).Elem(), res.Types[i])
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// formatValue renders a scanned value like ClickHouse's text formats, with
// decimals normalised (see Result).
func formatValue(v reflect.Value, typ string) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return `\N`
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case decimal.Decimal:
		return x.String()
	case time.Time:
		base := strings.TrimPrefix(typ, "Nullable(")
		if strings.HasPrefix(base, "Date") && !strings.HasPrefix(base, "DateTime") {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.DateTime)
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}
