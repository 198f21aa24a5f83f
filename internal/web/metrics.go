package web

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/claudit/claudit/internal/store"
)

// metrics is the server's own Prometheus registry: HTTP traffic plus store
// totals read at scrape time.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "claudit_http_requests_total", Help: "HTTP requests by route pattern, method and status code."},
		[]string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "claudit_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.reg.MustRegister(m.requests, m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), &storeCollector{s: s})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming exports streaming through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts requests by the mux pattern they matched (never the raw
// path, which would carry ids and explode cardinality).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// storeCollector reports stored totals and each integration's last sync.
// Totals are counted at most once per countsTTL, so frequent scrapes of a
// large store do not count its rows again and again.
type storeCollector struct {
	s *Server

	mu        sync.Mutex
	counts    store.Counts
	countedAt time.Time
}

// countsTTL is how long stored totals are reused between scrapes.
const countsTTL = 30 * time.Second

// totals returns the cached totals, counting again when they are older
// than countsTTL.
func (c *storeCollector) totals(ctx context.Context) (store.Counts, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.countedAt.IsZero() && time.Since(c.countedAt) < countsTTL {
		return c.counts, nil
	}
	n, err := c.s.st.Counts(ctx, 0)
	if err != nil {
		return n, err
	}
	c.counts, c.countedAt = n, time.Now()
	return n, nil
}

var (
	descEvents   = prometheus.NewDesc("claudit_stored_events", "Events stored, by kind.", []string{"kind"}, nil)
	descFindings = prometheus.NewDesc("claudit_stored_findings", "Policy findings stored.", nil, nil)
	descUsers    = prometheus.NewDesc("claudit_stored_users", "Users seen.", nil, nil)
	descSynced   = prometheus.NewDesc("claudit_integration_last_synced_timestamp_seconds", "When each integration last finished a sync.", []string{"integration"}, nil)
	descPaused   = prometheus.NewDesc("claudit_integration_paused", "1 when an integration's syncing is paused.", []string{"integration"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descFindings, descUsers, descSynced, descPaused} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := c.totals(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.GaugeValue, float64(n.Messages), "prompt")
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.GaugeValue, float64(n.Activities), "access")
		ch <- prometheus.MustNewConstMetric(descFindings, prometheus.GaugeValue, float64(n.Findings))
		ch <- prometheus.MustNewConstMetric(descUsers, prometheus.GaugeValue, float64(n.Users))
	}
	if ins, err := c.s.st.Integrations(ctx); err == nil {
		for _, in := range ins {
			ts := 0.0
			if !in.LastSyncedAt.IsZero() {
				ts = float64(in.LastSyncedAt.UnixMilli()) / 1000
			}
			paused := 0.0
			if in.Paused {
				paused = 1
			}
			ch <- prometheus.MustNewConstMetric(descSynced, prometheus.GaugeValue, ts, in.Name)
			ch <- prometheus.MustNewConstMetric(descPaused, prometheus.GaugeValue, paused, in.Name)
		}
	}
}
