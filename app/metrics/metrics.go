// Package metrics exposes the portal's metrics in Prometheus' format, through
// prometheus/client_golang, on a registry of its own (never the global default one).
//
// Counters and histograms are fed as things happen: the connector tells an Observer (which
// Metrics is) how each exchange, revocation and delivery ended, the store tells how long
// each commit took, and the portal's HTTP handler is wrapped. Gauges of the state (the
// revocation queue, pending deliveries, live keys, health) are read at each scrape by a
// collector from the store's counts and the connector's last health poll, so they are
// never stale and cost nothing between scrapes.
//
// No label holds a person, an email, an account, a token id or a key: labels are service
// ids from the registry, outcomes, HTTP methods, route templates, status codes and fixed
// bucket names.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/service-connector/service-connector/services/connector"
)

// namespace prefixes every metric of the portal's own.
const namespace = "service_connector"

// outcomes are the values of the outcome label, in the order they are listed.
var outcomes = []connector.Outcome{connector.OutcomeOK, connector.OutcomeRefused, connector.OutcomeFailed}

// Metrics holds the portal's metrics on their own registry. It is safe for concurrent use.
// It is the connector's Observer.
type Metrics struct {
	registry    *prometheus.Registry
	exchanges   *prometheus.CounterVec
	revocations *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	requests    *prometheus.HistogramVec
	commits     prometheus.Histogram
}

// New returns the portal's metrics on a new registry, with the Go runtime's and the
// process's own metrics (go_*, process_*). The gauges of the state come once CollectState
// is called.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		exchanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "exchanges_total",
			Help: "Token exchanges with a service (a replay by the worker included), by service and outcome: ok, refused (4xx: no key minted), failed.",
		}, []string{"service", "outcome"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "revocations_total",
			Help: "Attempts at revoking a key at its service, by service and outcome: ok (the service confirmed) or failed (the key stays queued).",
		}, []string{"service", "outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Deliveries of a person's whole state (all services at once) to their server account, by outcome: ok, refused (something in the home in the way), failed.",
		}, []string{"outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time the portal took to answer an HTTP request, by method, route template and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "route", "code"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_commit_duration_seconds",
			Help:    "Time one store commit took to make its changes durable.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	m.registry.MustRegister(m.exchanges, m.revocations, m.deliveries, m.requests, m.commits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range outcomes {
		m.deliveries.WithLabelValues(string(o))
	}
	return m
}

// KnowServices starts the counters of each service at zero, so that rate() and increase()
// see a service's first exchange, revocation or failure. A service added later starts at
// its first event.
func (m *Metrics) KnowServices(serviceIDs []string) {
	for _, id := range serviceIDs {
		for _, o := range outcomes {
			m.exchanges.WithLabelValues(id, string(o))
			if o != connector.OutcomeRefused { // a revocation is never "refused": see the connector
				m.revocations.WithLabelValues(id, string(o))
			}
		}
	}
}

// Exchanged counts a token exchange; it is part of the connector's Observer.
func (m *Metrics) Exchanged(serviceID string, outcome connector.Outcome) {
	m.exchanges.WithLabelValues(serviceID, string(outcome)).Inc()
}

// Revoked counts an attempt at revoking a key; it is part of the connector's Observer.
func (m *Metrics) Revoked(serviceID string, outcome connector.Outcome) {
	m.revocations.WithLabelValues(serviceID, string(outcome)).Inc()
}

// Delivered counts a delivery; it is part of the connector's Observer.
func (m *Metrics) Delivered(outcome connector.Outcome) {
	m.deliveries.WithLabelValues(string(outcome)).Inc()
}

// ObserveCommit records how long one store commit took.
func (m *Metrics) ObserveCommit(d time.Duration) {
	m.commits.Observe(d.Seconds())
}

// Handler serves the metrics in Prometheus' text format. A part of the state the store
// cannot read now is left out of the answer (and logged to errorLog); the rest is served.
func (m *Metrics) Handler(errorLog promhttp.Logger) http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:            errorLog,
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}
