package connector_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = Describe("Connector", func() {
	Describe("Health", func() {
		When("it runs against the reference services", func() {
			var w *world
			BeforeEach(func() { w = newWorld() })

			It("knows nothing before the first poll, and calls no service to answer", func() {
				Expect(w.conn.Health(context.Background())).To(ConsistOf(
					connector.ServiceHealth{ServiceID: "purchase_orders", Name: "Purchase Orders", Health: connector.HealthUnknown, Reason: "not checked yet"},
					connector.ServiceHealth{ServiceID: "crm", Name: "CRM", Health: connector.HealthUnknown, Reason: "the registry names no health check for this service"},
					connector.ServiceHealth{ServiceID: "invoicing", Name: "Invoicing", Health: connector.HealthUnknown, Reason: "not checked yet"},
				))
			})

			It("says healthy, unhealthy with a reason, or unknown without a health_url, as of the last poll", func() {
				runHealth(w.conn)
				now := w.clock.Now()
				Eventually(func() []connector.ServiceHealth { return w.conn.Health(context.Background()) }).Should(ConsistOf(
					connector.ServiceHealth{ServiceID: "purchase_orders", Name: "Purchase Orders", Health: connector.HealthHealthy, CheckedAt: now},
					connector.ServiceHealth{ServiceID: "crm", Name: "CRM", Health: connector.HealthUnknown, Reason: "the registry names no health check for this service"},
					connector.ServiceHealth{ServiceID: "invoicing", Name: "Invoicing", Health: connector.HealthUnhealthy, CheckedAt: now,
						Reason: "the service refused the request (HTTP 404)"},
				))
			})

			It("shows each service's last poll in the person's overview and state", func() {
				runHealth(w.conn)
				Eventually(func() connector.Health {
					return w.overview()[0].Health.Health
				}).Should(Equal(connector.HealthHealthy))
				// The services are polled concurrently: invoicing's check may end after the other's.
				Eventually(func() connector.Health {
					st, err := w.conn.State(context.Background(), w.alice, "invoicing")
					Expect(err).NotTo(HaveOccurred())
					return st.Health.Health
				}).Should(Equal(connector.HealthUnhealthy))
			})
		})

		When("it runs against a fake exchange client", func() {
			var (
				h    *healthWorld
				opts connector.Options
				conn *connector.Connector
			)
			BeforeEach(func() {
				h = newHealthWorld()
				opts = connector.Options{HealthInterval: time.Hour, Now: h.clock.Now, Log: slog.New(slog.NewTextHandler(h.log, nil))}
			})
			JustBeforeEach(func() { conn = h.connector(opts) })

			It("polls at once, then answers from the cache without calling any service", func() {
				runHealth(conn)
				Eventually(h.calls).Should(Equal(map[string]int{"purchase_orders": 1, "invoicing": 1}))
				for range 5 {
					Expect(healthOf(conn, "purchase_orders").Health).To(Equal(connector.HealthHealthy))
				}
				Consistently(h.calls, "50ms").Should(Equal(map[string]int{"purchase_orders": 1, "invoicing": 1}))
			})

			It("checks the services concurrently", func() {
				gate := make(chan struct{})
				h.setGate(gate)
				runHealth(conn)
				// Both checks are in flight at once; one after the other would stop at one.
				Eventually(h.calls).Should(Equal(map[string]int{"purchase_orders": 1, "invoicing": 1}))
				close(gate)
				Eventually(func() connector.Health { return healthOf(conn, "invoicing").Health }).Should(Equal(connector.HealthHealthy))
			})

			It("shows a service added to the registry later as unknown until it is polled", func() {
				runHealth(conn)
				Eventually(h.calls).Should(HaveLen(2))
				h.addService(services.Service{ID: "crm", Name: "CRM", HealthURL: "https://crm.internal/health", Enabled: true})
				Expect(healthOf(conn, "crm")).To(Equal(connector.ServiceHealth{
					ServiceID: "crm", Name: "CRM", Health: connector.HealthUnknown, Reason: "not checked yet",
				}))
			})

			When("the interval is short", func() {
				BeforeEach(func() { opts.HealthInterval = 20 * time.Millisecond })

				It("picks up a change of state on the next poll, and logs only the changes", func() {
					runHealth(conn)
					Eventually(func() connector.Health { return healthOf(conn, "purchase_orders").Health }).Should(Equal(connector.HealthHealthy))

					h.clock.Advance(time.Minute)
					h.fail("purchase_orders", services.Errorf(services.EUnavailable,
						"Purchase Orders is not healthy: the service answered with an error (HTTP 503)."))
					Eventually(func() connector.ServiceHealth { return healthOf(conn, "purchase_orders") }).Should(Equal(connector.ServiceHealth{
						ServiceID: "purchase_orders", Name: "Purchase Orders", Health: connector.HealthUnhealthy,
						CheckedAt: h.clock.Now(), Reason: "the service answered with an error (HTTP 503)",
					}))
					polls := h.calls()["purchase_orders"]
					Eventually(func() int { return h.calls()["purchase_orders"] }).Should(BeNumerically(">=", polls+5))

					h.fail("purchase_orders", nil)
					Eventually(func() connector.Health { return healthOf(conn, "purchase_orders").Health }).Should(Equal(connector.HealthHealthy))
					Expect(strings.Count(string(h.log.Contents()), "service is unhealthy")).To(Equal(1))
					Expect(strings.Count(string(h.log.Contents()), `msg="service is healthy" service=purchase_orders`)).To(Equal(2))
				})

				It("shows a generic reason for an error that carries no safe message", func() {
					h.fail("invoicing", errors.New("dial tcp 10.0.0.7:443: connection refused"))
					runHealth(conn)
					Eventually(func() connector.ServiceHealth { return healthOf(conn, "invoicing") }).Should(And(
						HaveField("Health", connector.HealthUnhealthy),
						HaveField("Reason", "the health check failed"),
					))
				})
			})

			It("stops when its context ends, and does not take a check cut short for a failure", func() {
				h.setGate(make(chan struct{}))
				stop, done := runHealth(conn)
				Eventually(h.calls).Should(HaveLen(2))
				stop()
				Eventually(done).Should(BeClosed())
				Expect(healthOf(conn, "purchase_orders").Health).To(Equal(connector.HealthUnknown))
				Expect(h.log.Contents()).NotTo(ContainSubstring("unhealthy"))
			})
		})
	})
})

// runHealth starts the connector's health polling; it ends with the spec, or when stop is
// called, and done is closed once RunHealth has returned.
func runHealth(conn *connector.Connector) (stop context.CancelFunc, done <-chan struct{}) {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	go func() { defer close(d); conn.RunHealth(ctx) }()
	DeferCleanup(func() { cancel(); Eventually(d).Should(BeClosed()) })
	return cancel, d
}

// healthOf returns one service's health as the connector answers it.
func healthOf(conn *connector.Connector, id string) connector.ServiceHealth {
	GinkgoHelper()
	for _, s := range conn.Health(context.Background()) {
		if s.ServiceID == id {
			return s
		}
	}
	Fail("no health for " + id)
	return connector.ServiceHealth{}
}

// healthWorld is a registry the specs can grow and an exchange client whose health checks
// the specs steer and count.
type healthWorld struct {
	mu       sync.Mutex
	services []services.Service
	failures map[string]error
	counts   map[string]int
	gate     chan struct{} // when set, every check waits for it to close
	clock    *clock
	log      *gbytes.Buffer
}

func newHealthWorld() *healthWorld {
	return &healthWorld{
		services: []services.Service{
			{ID: "purchase_orders", Name: "Purchase Orders", HealthURL: "https://po.internal/health", Enabled: true},
			{ID: "invoicing", Name: "Invoicing", HealthURL: "https://invoicing.internal/health", Enabled: true},
		},
		failures: map[string]error{},
		counts:   map[string]int{},
		clock:    &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
		log:      gbytes.NewBuffer(),
	}
}

func (h *healthWorld) connector(opts connector.Options) *connector.Connector {
	GinkgoHelper()
	st := storetest.Open(databases.Config(storetest.SQLite))
	return connector.New(h, st, h, nil, func(string) (services.Secret, bool) { return "", false }, opts)
}

func (h *healthWorld) addService(svc services.Service) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.services = append(h.services, svc)
}

func (h *healthWorld) fail(id string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures[id] = err
}

func (h *healthWorld) setGate(gate chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gate = gate
}

// calls returns how often each service's health was checked.
func (h *healthWorld) calls() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for id, n := range h.counts {
		out[id] = n
	}
	return out
}

func (h *healthWorld) Services() []services.Service {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]services.Service(nil), h.services...)
}

func (h *healthWorld) Service(id string) (services.Service, bool) {
	for _, svc := range h.Services() {
		if svc.ID == id {
			return svc, true
		}
	}
	return services.Service{}, false
}

func (h *healthWorld) Skill(string) (string, bool) { return "", false }

func (h *healthWorld) Health(ctx context.Context, svc services.Service) error {
	h.mu.Lock()
	h.counts[svc.ID]++
	err, gate := h.failures[svc.ID], h.gate
	h.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return services.Wrap(services.EUnavailable, ctx.Err(), "%s is not healthy: the request was cancelled.", svc.Name)
		}
	}
	return err
}

func (h *healthWorld) Exchange(context.Context, services.Service, services.Secret, exchange.Request) (services.Token, error) {
	return services.Token{}, errors.New("no exchange in the health specs")
}

func (h *healthWorld) Revoke(context.Context, services.Service, services.Secret, string) error {
	return errors.New("no revoke in the health specs")
}
