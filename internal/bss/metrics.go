package bss

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the client's Prometheus collectors. Create one with
// NewMetrics, pass it to every Client with WithMetrics, and register it (it
// is a prometheus.Collector) or its Collectors on the daemon's registry.
type Metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	retries   *prometheus.CounterVec
	throttled *prometheus.CounterVec
}

// NewMetrics creates the collectors syncd_bss_requests_total{operation,code},
// syncd_bss_request_duration_seconds{operation}, syncd_bss_retries_total{operation}
// and syncd_bss_throttled_total{operation}, with every operation's series
// pre-created (code "200" for requests).
func NewMetrics() *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_bss_requests_total",
			Help: "HTTP attempts made to the BSS API, by operation and HTTP status code (\"error\" for transport errors).",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "syncd_bss_request_duration_seconds",
			Help:    "Duration of HTTP attempts to the BSS API, including reading the response body.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_bss_retries_total",
			Help: "Retries of BSS API requests, by operation.",
		}, []string{"operation"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "syncd_bss_throttled_total",
			Help: "Throttling answers (HTTP 429, APIG(W).0308) received from the BSS API, by operation.",
		}, []string{"operation"}),
	}
	for _, op := range Operations {
		m.requests.WithLabelValues(op, "200")
		m.duration.WithLabelValues(op)
		m.retries.WithLabelValues(op)
		m.throttled.WithLabelValues(op)
	}
	return m
}

// Collectors returns the individual collectors.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.retries, m.throttled}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.Collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.Collectors() {
		c.Collect(ch)
	}
}
