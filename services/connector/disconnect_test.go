package connector_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
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

		It("still forgets and undelivers the key, and says the revoke is unconfirmed", func() {
			_, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
			Expect(services.ErrorMessage(err)).To(ContainSubstring("did not confirm that the old key is revoked"))
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
		})
	})

	When("delivery fails", func() {
		BeforeEach(func() {
			w.installer.Fail(errors.New("helper crashed"))
		})

		It("still revokes the key, so the copy left in the file is dead", func() {
			_, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(services.ErrorMessage(err)).To(ContainSubstring("could not update the files"))
			Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(401))
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
		})
	})

	It("refuses an unknown service", func() {
		_, err := w.conn.Disconnect(ctx(), w.alice, "payroll")
		Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
	})
})
