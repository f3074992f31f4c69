package sink

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the sink's Prometheus collectors. Create them once with
// NewMetrics, register Collectors on the daemon's registry and pass them to
// Open with WithMetrics.
type Metrics struct {
	insertDuration *prometheus.HistogramVec
	insertErrors   *prometheus.CounterVec
	rowsWritten    *prometheus.CounterVec
}

// NewMetrics creates the sink's collectors with every table label
// pre-created.
func NewMetrics() *Metrics {
	m := &Metrics{
		insertDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncd_clickhouse_insert_duration_seconds",
			Help:    "Duration of one block insert into ClickHouse, by target table.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 9),
		}, []string{"table"}),
		insertErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_clickhouse_insert_errors_total",
			Help: "Block inserts into ClickHouse that failed, by target table.",
		}, []string{"table"}),
		rowsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_rows_written_total",
			Help: "Rows made visible in ClickHouse (committed months, org trees, snapshots, runs), by table.",
		}, []string{"table"}),
	}
	for _, t := range dataTables() {
		m.insertDuration.WithLabelValues(t)
		m.insertErrors.WithLabelValues(t)
		m.rowsWritten.WithLabelValues(t)
	}
	return m
}

// Collectors returns the collectors to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.insertDuration, m.insertErrors, m.rowsWritten}
}
