package connector_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
)

func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	DeferCleanup(cancel)
	return c
}

var _ = Describe("Disconnect", func() {
	var (
		w    *world
		conn services.Connection
	)

	BeforeEach(func() {
		w = newWorld()
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		_, err = w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		conn, _ = w.recorded("purchase_orders")
	})

	It("forgets the key, removes it and its skill from the home, and revokes it", func() {
		state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(state.Status).To(Equal(connector.StatusNotConnected))
		_, ok := w.recorded("purchase_orders")
		Expect(ok).To(BeFalse())
		Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
		Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="))
		Expect(w.home(".claude_rules/sc_purchase_orders.md")).To(BeEmpty())
		Expect(w.home(".claude_rules/sc_crm.md")).NotTo(BeEmpty())
		Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(401))
	})

	It("says the key is revoked only once the service confirmed it", func() {
		state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(state.Revocation).To(Equal(connector.RevocationConfirmed))
	})

	It("revokes the key it queued itself, even when its delivery outlasts the worker's wait and the worker runs meanwhile", func() {
		w.installer.InstallFunc = func(string, delivery.Bundle) error {
			w.clock.Advance(10 * time.Second) // past RetryBase, within the store's lease
			w.conn.Reconcile(ctx())
			return nil
		}
		state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(state.Revocation).To(Equal(connector.RevocationConfirmed))
		Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(401))
		Expect(w.state().Revocations).To(BeEmpty())
	})

	When("the service is not connected", func() {
		It("changes nothing and is not an error", func() {
			_, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			calls := w.installer.calls
			state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.Status).To(Equal(connector.StatusNotConnected))
			Expect(w.installer.calls).To(Equal(calls))
		})
	})

	When("the service cannot revoke the key", func() {
		BeforeEach(func() {
			w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
		})

		It("says the revocation is pending, not done", func() {
			state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.Revocation).To(Equal(connector.RevocationPending))
			Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(200))
		})

		It("still forgets and undelivers the key, queues the revocation, and the worker finishes it later", func() {
			state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.Status).To(Equal(connector.StatusNotConnected))
			Expect(state.DeliveryPending).To(BeFalse())
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
			Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(200))
			Expect(w.state().Revocations).To(ConsistOf(And(
				HaveField("TokenID", conn.TokenID), HaveField("Reason", "disconnected"), HaveField("Attempts", 1),
				HaveField("LastError", Not(BeEmpty())), HaveField("NextAttemptAt", BeTemporally(">", w.clock.Now())),
			)))

			w.secrets["purchase_orders"] = "secret-of-purchase_orders-0123456789"
			w.conn.Reconcile(ctx())
			Expect(w.state().Revocations).To(HaveLen(1), "not due before its backoff")
			w.clock.Advance(time.Minute)
			w.conn.Reconcile(ctx())

			Expect(w.state().Revocations).To(BeEmpty())
			Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(401))
			Expect(w.drained()).To(BeTrue())
		})
	})

	When("delivery fails", func() {
		BeforeEach(func() {
			w.installer.Fail(errors.New("helper crashed"))
		})

		It("still revokes the key, says delivery is pending, and the reconciler delivers once it can", func() {
			state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.DeliveryPending).To(BeTrue())
			Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(401))
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY"), "the old file is still there")
			Expect(w.state().Deliveries).To(ConsistOf(And(HaveField("UserEmail", "alice@example.com"), HaveField("Attempts", 1))))
			Expect(w.overview()).To(HaveEach(HaveField("DeliveryPending", true)))

			w.installer.Heal()
			w.clock.Advance(time.Minute)
			w.conn.Reconcile(ctx())

			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
			Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="))
			Expect(w.state().Deliveries).To(BeEmpty())
			Expect(w.overview()).To(HaveEach(HaveField("DeliveryPending", false)))
		})
	})

	It("refuses an unknown service", func() {
		_, err := w.conn.Disconnect(ctx(), w.alice, "payroll")
		Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
	})
})
