package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/service-connector/service-connector/app/metrics"
	"github.com/service-connector/service-connector/app/metrics/metricstest"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

// fakeStats answers the collector from its fields, and counts how often it was asked.
type fakeStats struct {
	mu      sync.Mutex
	counts  store.Counts
	keys    []store.LiveKeys
	err     error
	asked   int
	within  []time.Duration
	askedAt time.Time
}

func (f *fakeStats) QueueCounts(context.Context) (store.Counts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	return f.counts, f.err
}

func (f *fakeStats) LiveKeys(_ context.Context, now time.Time, within []time.Duration) ([]store.LiveKeys, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.within, f.askedAt = within, now
	return f.keys, f.err
}

func (f *fakeStats) set(fn func(f *fakeStats)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// fakeHealth is the connector's last health poll.
type fakeHealth []connector.ServiceHealth

func (h fakeHealth) Health(context.Context) []connector.ServiceHealth { return h }

var _ = Describe("Metrics", func() {
	var (
		m      *metrics.Metrics
		stats  *fakeStats
		now    = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		server *httptest.Server
		logged *bytes.Buffer
	)

	scrape := func() metricstest.Scrape {
		GinkgoHelper()
		s, err := metricstest.Get(server.URL)
		Expect(err).NotTo(HaveOccurred())
		return s
	}

	BeforeEach(func() {
		m = metrics.New()
		stats = &fakeStats{}
		m.CollectState(stats, fakeHealth{
			{ServiceID: "crm", Health: connector.HealthHealthy},
			{ServiceID: "purchase_orders", Health: connector.HealthUnhealthy},
			{ServiceID: "invoicing", Health: connector.HealthUnknown},
		}, func() time.Time { return now })
		logged = &bytes.Buffer{}
		server = httptest.NewServer(m.Handler(log.New(logged, "", 0)))
		DeferCleanup(server.Close)
	})

	It("counts exchanges, revocations and deliveries by service and outcome, from zero for the services it knows", func() {
		m.KnowServices([]string{"crm", "purchase_orders"})
		before := scrape()
		Expect(before.Series("service_connector_exchanges_total")).To(HaveLen(6))
		Expect(before.Sum("service_connector_exchanges_total")).To(BeZero())
		Expect(before.Series("service_connector_revocations_total")).To(ConsistOf(
			map[string]string{"service": "crm", "outcome": "ok"}, map[string]string{"service": "crm", "outcome": "failed"},
			map[string]string{"service": "purchase_orders", "outcome": "ok"}, map[string]string{"service": "purchase_orders", "outcome": "failed"}))

		m.Exchanged("crm", connector.OutcomeOK)
		m.Exchanged("crm", connector.OutcomeOK)
		m.Exchanged("crm", connector.OutcomeRefused)
		m.Revoked("purchase_orders", connector.OutcomeFailed)
		m.Delivered(connector.OutcomeOK)
		m.Delivered(connector.OutcomeRefused)

		s := scrape()
		Expect(s.Type("service_connector_exchanges_total")).To(Equal("counter"))
		Expect(s.Sum("service_connector_exchanges_total", "service", "crm", "outcome", "ok")).To(Equal(2.0))
		Expect(s.Sum("service_connector_exchanges_total", "service", "crm", "outcome", "refused")).To(Equal(1.0))
		Expect(s.Sum("service_connector_exchanges_total", "service", "purchase_orders")).To(BeZero())
		Expect(s.Sum("service_connector_revocations_total", "service", "purchase_orders", "outcome", "failed")).To(Equal(1.0))
		Expect(s.Sum("service_connector_deliveries_total", "outcome", "ok")).To(Equal(1.0))
		Expect(s.Sum("service_connector_deliveries_total", "outcome", "refused")).To(Equal(1.0))
		Expect(s.Sum("service_connector_deliveries_total", "outcome", "failed")).To(BeZero())
	})

	It("reads the queues and the live keys from the store at each scrape", func() {
		stats.set(func(f *fakeStats) {
			f.counts = store.Counts{Revocations: 4, NeedsAttention: 1, Deliveries: 2, Intents: 3}
			f.keys = []store.LiveKeys{{ServiceID: "crm", Live: 9, Expiring: []int{1, 2, 3, 4, 5, 6, 7}}}
		})
		s := scrape()
		Expect(s.Sum("service_connector_revocations_queued")).To(Equal(4.0))
		Expect(s.Sum("service_connector_revocations_needing_attention")).To(Equal(1.0))
		Expect(s.Sum("service_connector_deliveries_pending")).To(Equal(2.0))
		Expect(s.Sum("service_connector_exchanges_unfinished")).To(Equal(3.0))
		Expect(s.Type("service_connector_revocations_queued")).To(Equal("gauge"))
		Expect(s.Sum("service_connector_live_keys", "service", "crm")).To(Equal(9.0))
		for i, within := range []string{"1d", "7d", "14d", "30d", "90d", "180d", "365d"} {
			Expect(s.Sum("service_connector_live_keys_expiring", "service", "crm", "within", within)).To(Equal(float64(i + 1)))
		}
		stats.set(func(f *fakeStats) {
			Expect(f.within).To(Equal([]time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
				30 * 24 * time.Hour, 90 * 24 * time.Hour, 180 * 24 * time.Hour, 365 * 24 * time.Hour}))
			Expect(f.askedAt).To(Equal(now))
		})
		// A service of the registry without a live key shows 0, rather than vanishing.
		Expect(s.Series("service_connector_live_keys")).To(ConsistOf(
			map[string]string{"service": "crm"}, map[string]string{"service": "purchase_orders"}, map[string]string{"service": "invoicing"}))
		Expect(s.Sum("service_connector_live_keys", "service", "invoicing")).To(BeZero())
		Expect(s.Series("service_connector_live_keys_expiring")).To(HaveLen(3 * 7))

		stats.set(func(f *fakeStats) { f.counts.Revocations = 7 })
		Expect(scrape().Sum("service_connector_revocations_queued")).To(Equal(7.0))
		stats.set(func(f *fakeStats) { Expect(f.asked).To(Equal(2)) })
	})

	It("shows each service's one health state", func() {
		s := scrape()
		Expect(s.Sum("service_connector_service_health", "service", "crm", "health", "healthy")).To(Equal(1.0))
		Expect(s.Sum("service_connector_service_health", "service", "crm")).To(Equal(1.0))
		Expect(s.Sum("service_connector_service_health", "service", "purchase_orders", "health", "unhealthy")).To(Equal(1.0))
		Expect(s.Sum("service_connector_service_health", "service", "invoicing", "health", "unknown")).To(Equal(1.0))
		Expect(s.Series("service_connector_service_health")).To(HaveLen(9))
	})

	When("the store cannot answer", func() {
		BeforeEach(func() {
			stats.set(func(f *fakeStats) { f.err = errors.New("database is locked") })
		})

		It("leaves the state's gauges out, serves the rest, and logs why", func() {
			m.Delivered(connector.OutcomeOK)
			s := scrape()
			Expect(s.Families).NotTo(HaveKey("service_connector_revocations_queued"))
			Expect(s.Families).NotTo(HaveKey("service_connector_live_keys"))
			Expect(s.Sum("service_connector_deliveries_total", "outcome", "ok")).To(Equal(1.0))
			Expect(s.Sum("service_connector_service_health", "service", "crm", "health", "healthy")).To(Equal(1.0))
			Expect(logged.String()).To(ContainSubstring("database is locked"))
		})
	})

	It("times each store commit", func() {
		m.ObserveCommit(3 * time.Millisecond)
		m.ObserveCommit(2 * time.Second)
		s := scrape()
		Expect(s.Type("service_connector_store_commit_duration_seconds")).To(Equal("histogram"))
		Expect(s.Sum("service_connector_store_commit_duration_seconds")).To(Equal(2.0))
		h := s.Families["service_connector_store_commit_duration_seconds"].GetMetric()[0].GetHistogram()
		Expect(h.GetSampleSum()).To(BeNumerically("~", 2.003, 1e-9))
	})

	It("follow Prometheus' naming conventions, as promtool check metrics lints them", func() {
		m.KnowServices([]string{"crm"})
		m.ObserveCommit(time.Millisecond)
		stats.set(func(f *fakeStats) {
			f.keys = []store.LiveKeys{{ServiceID: "crm", Live: 1, Expiring: []int{0, 0, 0, 0, 0, 0, 1}}}
		})
		s := scrape()
		problems, err := promlint.New(strings.NewReader(s.Text)).Lint()
		Expect(err).NotTo(HaveOccurred())
		Expect(problems).To(BeEmpty())
		for name := range s.Families {
			if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
				Expect(name).To(HavePrefix("service_connector_"))
			}
		}
	})

	It("includes the Go runtime's and the process's own metrics", func() {
		s := scrape()
		Expect(s.Families).To(HaveKey("go_goroutines"))
		Expect(s.Families).To(HaveKey("process_cpu_seconds_total"))
		Expect(s.Families).To(HaveKey("process_resident_memory_bytes"))
	})

	Describe("HTTP requests", func() {
		var portal http.Handler

		BeforeEach(func() {
			r := gin.New()
			r.Use(metrics.RecordRoute)
			r.POST("/connectors/:id/connect", func(c *gin.Context) { c.Status(http.StatusServiceUnavailable) })
			r.GET("/", func(c *gin.Context) { c.Status(http.StatusOK) })
			// A guard in front of the router, as the cross-origin protection is.
			guarded := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if req.Header.Get("Sec-Fetch-Site") == "cross-site" {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				r.ServeHTTP(w, req)
			})
			portal = m.InstrumentHTTP(guarded)
		})

		serve := func(method, path string, headers ...string) {
			GinkgoHelper()
			req := httptest.NewRequest(method, path, nil)
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			portal.ServeHTTP(httptest.NewRecorder(), req)
		}

		It("are timed by method, route template and status code, never by the path asked for", func() {
			serve(http.MethodPost, "/connectors/crm/connect")
			serve(http.MethodPost, "/connectors/alice@example.com/connect")
			serve(http.MethodGet, "/")
			serve(http.MethodGet, "/people/alice@example.com/keys")
			serve(http.MethodPost, "/", "Sec-Fetch-Site", "cross-site")

			s := scrape()
			name := "service_connector_http_request_duration_seconds"
			Expect(s.Type(name)).To(Equal("histogram"))
			Expect(s.Series(name)).To(ConsistOf(
				map[string]string{"method": "post", "route": "/connectors/:id/connect", "code": "503"},
				map[string]string{"method": "get", "route": "/", "code": "200"},
				map[string]string{"method": "get", "route": metrics.NoRoute, "code": "404"},
				map[string]string{"method": "post", "route": metrics.NoRoute, "code": "403"},
			))
			Expect(s.Sum(name, "route", "/connectors/:id/connect")).To(Equal(2.0))
			Expect(s.Text).NotTo(ContainSubstring("alice"))
			Expect(s.Text).NotTo(ContainSubstring(`"/connectors/crm`))
		})
	})
})
