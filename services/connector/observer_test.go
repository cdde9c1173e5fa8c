package connector_test

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// observer records what the connector tells its Observer, one "what service outcome" line
// per call ("delivered - ok" for a delivery, which has no service).
type observer struct {
	mu     sync.Mutex
	events []string
}

func (o *observer) add(what, serviceID string, outcome connector.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, what+" "+serviceID+" "+string(outcome))
}

func (o *observer) Exchanged(id string, out connector.Outcome) { o.add("exchanged", id, out) }
func (o *observer) Revoked(id string, out connector.Outcome)   { o.add("revoked", id, out) }
func (o *observer) Delivered(out connector.Outcome)            { o.add("delivered", "-", out) }

// Events returns what was observed so far and forgets it.
func (o *observer) Events() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.events
	o.events = nil
	return out
}

func observedBy(o *observer) worldOption {
	return func(_ *string, opts *connector.Options) { opts.Observer = o }
}

var _ = Describe("The connector's Observer", func() {
	var (
		w   *world
		obs *observer
	)

	BeforeEach(func() {
		obs = &observer{}
		w = newWorld(observedBy(obs))
	})

	It("is told of a connect's exchange and delivery, and of a disconnect's delivery and revocation", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(obs.Events()).To(Equal([]string{"exchanged purchase_orders ok", "delivered - ok"}))

		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(obs.Events()).To(Equal([]string{"delivered - ok", "revoked purchase_orders ok"}))
	})

	It("tells a refused exchange from a failed one, and counts the worker's replay", func() {
		w.secrets["crm"] = "a-wrong-shared-secret-000"
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).To(HaveOccurred())
		Expect(obs.Events()).To(Equal([]string{"exchanged crm refused"}))

		w.loseExchangeAnswers.Store(true)
		_, err = w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).To(HaveOccurred())
		Expect(obs.Events()).To(Equal([]string{"exchanged purchase_orders failed"}))

		w.loseExchangeAnswers.Store(false)
		w.clock.Advance(time.Hour)
		w.conn.Reconcile(ctx())
		// The replay gets the key the lost answer held, and the worker revokes it.
		Expect(obs.Events()).To(ContainElements("exchanged purchase_orders ok", "revoked purchase_orders ok"))
	})

	It("is told of a revocation that failed, without anything else about it", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		obs.Events()
		w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
		st, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Revocation).To(Equal(connector.RevocationPending))
		Expect(obs.Events()).To(Equal([]string{"delivered - ok", "revoked purchase_orders failed"}))
	})

	DescribeTable("tells a delivery into a home with something in the way from one that failed",
		func(code services.Code, outcome string) {
			w.installer.Fail(services.Errorf(code, "the delivery did not happen"))
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).To(HaveOccurred())
			// The delivery failed, the new key is revoked, and the restored state delivered.
			Expect(obs.Events()).To(Equal([]string{"exchanged purchase_orders ok", "delivered - " + outcome,
				"delivered - " + outcome, "revoked purchase_orders ok"}))
		},
		Entry("in the way", services.EInvalid, "refused"),
		Entry("failed", services.EUnavailable, "failed"),
	)
})
