// Package sink stores syncd's data in ClickHouse.
//
// Two engines sit behind one Sink: a ClickHouse server over the native
// protocol (clickhouse-go v2) when a DSN is configured, and the embedded
// chDB engine under a data directory otherwise. Both run the same schema
// (package schema) and the same queries.
//
// Bill months are replaced atomically per (scope, bill_cycle): a MonthWriter
// streams rows into fresh staging tables in bounded blocks, Commit validates
// them and swaps them in with ALTER TABLE … REPLACE PARTITION … FROM. The
// org tree is replaced per scope the same way. Balances and resource
// packages are snapshots keyed by observed_at.
package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/syncd-io/syncd/schema"
)

// Engine names returned by (*Sink).Engine.
const (
	EngineServer   = "clickhouse"
	EngineEmbedded = "embedded"
)

// Config configures the sink. cmd/syncd composes it with go-envconfig.
type Config struct {
	// DSN selects the ClickHouse server, e.g.
	// clickhouse://user:pass@host:9000/default?secure=true&ca_file=/etc/ca.pem.
	// Empty selects the embedded chDB engine under DataDir. Besides
	// clickhouse-go's DSN parameters, ca_file names a PEM file of CA
	// certificates to trust (with secure=true). The DSN is a secret: it never
	// appears in errors or logs.
	DSN string `env:"SYNCD_CLICKHOUSE_DSN"`
	// Database holds every table (created by migrate when missing). A DSN
	// naming a database (clickhouse://host:9000/finops; /default names none)
	// sets it too; if both are set they must agree. Neither: billing.
	Database string `env:"SYNCD_CLICKHOUSE_DATABASE"`
	// DataDir is where the embedded engine stores its data (in DataDir/clickhouse).
	DataDir string `env:"SYNCD_DATA_DIR, default=./data"`
	// Cluster, when set, creates the schema ON CLUSTER with Replicated engines.
	Cluster string `env:"SYNCD_CLICKHOUSE_CLUSTER"`
	// BatchRows is the number of rows per inserted block (10k–100k) of
	// snapshots and bill summaries. A month's cost records and amortised
	// details are streamed in blocks of 2,048 rows within one INSERT per
	// staging table instead, on both engines (see stagedRows).
	BatchRows int `env:"SYNCD_CLICKHOUSE_BATCH_ROWS, default=50000"`
	// StagingTTL is the age after which a staging table left behind by a
	// crashed run is dropped (by Migrate and BeginMonth).
	StagingTTL time.Duration `env:"SYNCD_CLICKHOUSE_STAGING_TTL, default=1h"`
}

// Batch size bounds.
const (
	MinBatchRows = 10_000
	MaxBatchRows = 100_000
)

// Defaults for a zero Config field (the same as the env tags).
const (
	DefaultDatabase   = "billing"
	DefaultBatchRows  = 50_000
	DefaultStagingTTL = time.Hour
)

// withDefaults fills zero fields, so a Config built in code needs only a DSN
// or a DataDir.
func (c Config) withDefaults() Config {
	if c.Database == "" {
		c.Database = dsnDatabase(c.DSN)
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.BatchRows == 0 {
		c.BatchRows = DefaultBatchRows
	}
	if c.StagingTTL == 0 {
		c.StagingTTL = DefaultStagingTTL
	}
	return c
}

// Validate checks what the tags cannot and joins every problem, each
// message naming the variable it is about (the env tags above). Zero
// Database, BatchRows and StagingTTL are valid: Open uses the defaults.
func (c Config) Validate() error {
	var errs []error
	if d := dsnDatabase(c.DSN); d != "" && c.Database != "" && d != c.Database {
		errs = append(errs, fmt.Errorf("SYNCD_CLICKHOUSE_DSN and SYNCD_CLICKHOUSE_DATABASE: conflicting database names: %q in the DSN path and %q as the database name; set one, or the same in both", d, c.Database))
	}
	c = c.withDefaults()
	if !schema.ValidIdentifier(c.Database) {
		errs = append(errs, fmt.Errorf("SYNCD_CLICKHOUSE_DATABASE: invalid database name %q: want [A-Za-z_][A-Za-z0-9_]*", c.Database))
	}
	if c.Cluster != "" && !schema.ValidIdentifier(c.Cluster) {
		errs = append(errs, fmt.Errorf("SYNCD_CLICKHOUSE_CLUSTER: invalid cluster name %q: want [A-Za-z_][A-Za-z0-9_]*", c.Cluster))
	}
	if c.BatchRows < MinBatchRows || c.BatchRows > MaxBatchRows {
		errs = append(errs, fmt.Errorf("SYNCD_CLICKHOUSE_BATCH_ROWS: batch rows %d out of range [%d, %d]", c.BatchRows, MinBatchRows, MaxBatchRows))
	}
	if c.DSN == "" && c.DataDir == "" {
		errs = append(errs, errors.New("SYNCD_CLICKHOUSE_DSN or SYNCD_DATA_DIR: either a ClickHouse DSN or a data dir for the embedded engine is required"))
	}
	if c.DSN == "" && c.Cluster != "" {
		errs = append(errs, errors.New("SYNCD_CLICKHOUSE_CLUSTER: cluster mode needs a ClickHouse server DSN"))
	}
	if c.StagingTTL < 0 {
		errs = append(errs, fmt.Errorf("SYNCD_CLICKHOUSE_STAGING_TTL: negative staging TTL %s", c.StagingTTL))
	}
	return errors.Join(errs...)
}

// LogValue logs the config with the DSN reduced to its host.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("dsn", redactDSN(c.DSN)),
		slog.String("database", c.Database),
		slog.String("data_dir", c.DataDir),
		slog.String("cluster", c.Cluster),
		slog.Int("batch_rows", c.BatchRows),
	)
}

// String formats the config with the DSN password redacted, so printing a
// config (or a struct holding one) cannot leak it.
func (c Config) String() string {
	return fmt.Sprintf("{DSN:%s Database:%s DataDir:%s Cluster:%s BatchRows:%d StagingTTL:%s}",
		redactDSN(c.DSN), c.Database, c.DataDir, c.Cluster, c.BatchRows, c.StagingTTL)
}

// GoString is String, for %#v.
func (c Config) GoString() string { return "sink.Config" + c.String() }

// engine is one ClickHouse implementation.
type engine interface {
	exec(ctx context.Context, query string) error
	query(ctx context.Context, query string) (*Result, error)
	insert(ctx context.Context, db string, b *block) error
	// openStream starts one INSERT of b's table and columns into which
	// blocks are sent as they fill (see stagedStream).
	openStream(ctx context.Context, db string, b *block) (stream, error)
	ping(ctx context.Context) error
	close() error
}

// Sink writes syncd's tables. It is safe for concurrent use; a MonthWriter
// is not.
type Sink struct {
	cfg     Config
	eng     engine
	kind    string
	logger  *slog.Logger
	metrics *Metrics
	now     func() time.Time
	// readOnly: see ReadOnly.
	readOnly bool
	// beforeSwap, set only by tests (export_test.go), runs before each
	// REPLACE PARTITION attempt; an error it returns fails that attempt.
	beforeSwap func(ctx context.Context, table, staging string) error
	// fault, if set (WithFaultHook), is called at every fault point.
	fault func(point string)
	// inUse holds the names of the staging tables this process's writers
	// have created and not yet dropped: CleanupStaging never drops them,
	// however old (a giant month, or a writer of another account running
	// at the same time).
	inUse sync.Map
}

// Option customises Open.
type Option func(*Sink)

// WithMetrics makes the sink record into m (shared, registered by the
// caller). Without it the sink records into private collectors.
func WithMetrics(m *Metrics) Option { return func(s *Sink) { s.metrics = m } }

// WithClock sets the clock used for staging table names and migration
// records.
func WithClock(now func() time.Time) Option { return func(s *Sink) { s.now = now } }

// ReadOnly opens the sink for reading only (`syncd query`): unqualified table
// names resolve to the configured database, and ClickHouse's readonly
// setting (readonly = 1) refuses every write, DDL and settings change. On the
// server every query of the connection carries the setting. The embedded
// engine's session is made read-only, so it needs the engine to itself: it
// fails if this process already has it open, and it never creates a data
// directory.
func ReadOnly() Option { return func(s *Sink) { s.readOnly = true } }

// EmbeddedPath is the embedded engine's data directory, DataDir/clickhouse.
func (c Config) EmbeddedPath() string { return filepath.Join(c.DataDir, "clickhouse") }

// Open connects to the engine cfg selects: the ClickHouse server at cfg.DSN,
// or the embedded chDB engine under cfg.DataDir when the DSN is empty (the
// library is loaded from CHDB_LIB_PATH). Only one embedded data directory can
// be open per process; opening it again shares the engine. Open does not
// create the schema: call Migrate.
func Open(ctx context.Context, cfg Config, logger *slog.Logger, opts ...Option) (*Sink, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sink config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sink{cfg: cfg, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics()
	}
	var err error
	if cfg.DSN != "" {
		s.kind = EngineServer
		s.eng, err = openServer(ctx, cfg.DSN, s.readOnlyDatabase())
	} else {
		s.kind = EngineEmbedded
		s.eng, err = openEmbedded(cfg.DataDir, s.readOnlyDatabase())
	}
	if err != nil {
		return nil, fmt.Errorf("open %s sink: %w", s.kind, err)
	}
	s.logger = logger.With(slog.String("component", "sink"), slog.String("engine", s.kind), slog.String("database", cfg.Database))
	if srv, ok := s.eng.(*server); ok {
		srv.logger = s.logger
	}
	return s, nil
}

// readOnlyDatabase is the database a read-only sink's session starts in, ""
// for a writing sink.
func (s *Sink) readOnlyDatabase() string {
	if s.readOnly {
		return s.cfg.Database
	}
	return ""
}

// PendingMigrations returns the migrations Migrate would apply, in order,
// without applying any (`syncd check` is read-only).
func (s *Sink) PendingMigrations(ctx context.Context) ([]string, error) {
	migs, err := schema.Migrations(schema.Params{Database: s.cfg.Database, Cluster: s.cfg.Cluster})
	if err != nil {
		return nil, err
	}
	res, err := s.eng.query(ctx, "SELECT count() FROM system.tables WHERE database = "+quote(s.cfg.Database)+" AND name = 'schema_migrations'")
	if err != nil {
		return nil, fmt.Errorf("pending migrations: %w", err)
	}
	done := map[string]bool{}
	if len(res.Rows) == 1 && res.Rows[0][0] != "0" {
		if done, err = (migrationTarget{s}).Applied(ctx); err != nil {
			return nil, fmt.Errorf("pending migrations: %w", err)
		}
	}
	var out []string
	for _, m := range migs {
		if !done[m.Version] {
			out = append(out, m.Version)
		}
	}
	return out, nil
}

// Engine returns EngineServer or EngineEmbedded.
func (s *Sink) Engine() string { return s.kind }

// Database returns the database holding the tables.
func (s *Sink) Database() string { return s.cfg.Database }

// Ping checks that the engine answers.
func (s *Sink) Ping(ctx context.Context) error {
	if err := s.eng.ping(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.kind, err)
	}
	return nil
}

// Close releases the engine.
func (s *Sink) Close() error {
	if err := s.eng.close(); err != nil {
		return fmt.Errorf("close %s: %w", s.kind, err)
	}
	return nil
}

// Migrate applies the schema migrations not applied yet, then drops staging
// tables older than the staging TTL. It is safe to run at every start.
func (s *Sink) Migrate(ctx context.Context) error {
	p := schema.Params{Database: s.cfg.Database, Cluster: s.cfg.Cluster}
	applied, err := schema.Apply(ctx, migrationTarget{s}, p)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 {
		s.logger.Info("applied migrations", slog.Any("versions", applied))
	}
	if err := s.tuneCleanup(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := s.CleanupStaging(ctx, s.cfg.StagingTTL); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

type migrationTarget struct{ s *Sink }

func (t migrationTarget) Exec(ctx context.Context, stmt string) error { return t.s.eng.exec(ctx, stmt) }

func (t migrationTarget) Applied(ctx context.Context) (map[string]bool, error) {
	res, err := t.s.eng.query(ctx, "SELECT DISTINCT version FROM "+t.s.cfg.Database+".schema_migrations")
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(res.Rows))
	for _, r := range res.Rows {
		out[r[0]] = true
	}
	return out, nil
}

func (t migrationTarget) Record(ctx context.Context, version string) error {
	// Inserts go through the block path on both engines: ClickHouse 18.16
	// does not finish an INSERT … VALUES sent as a plain native query.
	return insertRows(ctx, t.s, migrationSpec, "schema_migrations",
		[]appliedMigration{{Version: version, AppliedAt: t.s.now()}})
}

type appliedMigration struct {
	Version   string    `ch:"version"`
	AppliedAt time.Time `ch:"applied_at"`
}

var migrationSpec = bookkeepingTable(specOf[appliedMigration]("schema_migrations"))

// Result is a query result with every value rendered as text the same way on
// both engines: decimals without trailing zeros, dates as 2006-01-02,
// DateTime as 2006-01-02 15:04:05, NULL as \N.
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]string
}

// Col returns the index of the named column, or -1.
func (r *Result) Col(name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Value returns the value of column name in row i, or "" when absent.
func (r *Result) Value(i int, name string) string {
	c := r.Col(name)
	if c < 0 || i >= len(r.Rows) {
		return ""
	}
	return r.Rows[i][c]
}

// Query runs a read-only query and returns its rows as text; for tests,
// dashboard query checks and small look-ups, not for bulk reads.
func (s *Sink) Query(ctx context.Context, query string) (*Result, error) {
	res, err := s.eng.query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return res, nil
}

// Exec runs one statement that returns no rows (DDL, INSERT … SELECT).
func (s *Sink) Exec(ctx context.Context, stmt string) error {
	if err := s.eng.exec(ctx, stmt); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

// insertRows writes rows into db.table (spec.table or a staging copy of it)
// in blocks of BatchRows, one insert per block, with metrics under spec.table.
func insertRows[R any](ctx context.Context, s *Sink, spec *tableSpec[R], table string, rows []R) error {
	// Validate everything first, so a bad row cannot leave earlier blocks
	// of the same snapshot written.
	for i := range rows {
		if err := spec.check(&rows[i]); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
	b := newRowBlock(spec)
	b.table = table
	for i := range rows {
		if err := b.add(&rows[i]); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
		if b.rows >= s.cfg.BatchRows {
			if err := s.insertBlock(ctx, spec.table, &b.block); err != nil {
				return err
			}
		}
	}
	if b.rows > 0 {
		return s.insertBlock(ctx, spec.table, &b.block)
	}
	return nil
}

// insertBlock sends one block and resets it.
func (s *Sink) insertBlock(ctx context.Context, metricTable string, b *block) error {
	start := time.Now()
	err := s.eng.insert(ctx, s.cfg.Database, b)
	s.metrics.insertDuration.WithLabelValues(metricTable).Observe(time.Since(start).Seconds())
	if err != nil {
		s.metrics.insertErrors.WithLabelValues(metricTable).Inc()
		return fmt.Errorf("insert %d rows into %s: %w", b.rows, b.table, err)
	}
	b.reset()
	return nil
}

// quote renders s as a ClickHouse string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
