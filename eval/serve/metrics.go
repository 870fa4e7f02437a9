package serve

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed94f0f622/verso/eval/ingest"
)

// metrics are serve's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
	rejects  *prometheus.CounterVec
	fb       *prometheus.CounterVec
	spans    prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "verso_http_requests_total",
			Help: "HTTP requests by route and status code."}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "verso_http_request_duration_seconds",
			Help: "HTTP request latency by route.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}, []string{"route"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "verso_ingest_events_total",
			Help: "Events by outcome: accepted, duplicate, rejected, unattributed (spans without verso.prompt.*), ignored (spans that are not model calls)."},
			[]string{"result"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "verso_ingest_rejected_total",
			Help: "Rejected events by reason: unknown_prompt (unknown prompt or version), time, range (negative or huge numbers), malformed, other."},
			[]string{"reason"}),
		fb: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "verso_feedback_total",
			Help: "Feedback items by outcome."}, []string{"result"}),
		spans: prometheus.NewCounter(prometheus.CounterOpts{Name: "verso_otlp_spans_total", Help: "OTLP spans received."}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.events, m.rejects, m.fb, m.spans,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

func (m *metrics) ingested(r ingest.Result) {
	m.events.WithLabelValues("accepted").Add(float64(r.Accepted))
	m.events.WithLabelValues("duplicate").Add(float64(r.Duplicate))
	m.events.WithLabelValues("rejected").Add(float64(len(r.Rejected)))
	m.events.WithLabelValues("unattributed").Add(float64(r.Unattributed))
	m.events.WithLabelValues("ignored").Add(float64(r.Ignored))
	for _, x := range r.Rejected {
		m.rejects.WithLabelValues(rejectReason(x.Reason)).Inc()
	}
}

func (m *metrics) feedback(r ingest.Result) {
	m.fb.WithLabelValues("accepted").Add(float64(r.Accepted))
	m.fb.WithLabelValues("duplicate").Add(float64(r.Duplicate))
	m.fb.WithLabelValues("rejected").Add(float64(len(r.Rejected)))
}

func rejectReason(s string) string {
	switch {
	case strings.Contains(s, "unknown prompt") || strings.Contains(s, "has no version"):
		return "unknown_prompt"
	case strings.Contains(s, "time"):
		return "time"
	case strings.Contains(s, "out of range"):
		return "range"
	case strings.Contains(s, "malformed") || strings.Contains(s, "expected"):
		return "malformed"
	}
	return "other"
}
