package connector_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("The admin's actions", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
	})

	Describe("DisconnectFor", func() {
		It("disconnects the connection the email and service name, and says the service revoked the key", func() {
			conn, _ := w.recorded("purchase_orders")
			d, err := w.conn.DisconnectFor(ctx(), " Alice@Example.com ", "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(d).To(Equal(connector.Disconnection{Email: "alice@example.com", ServiceID: "purchase_orders", ServiceName: "Purchase Orders",
				TokenID: conn.TokenID, Revocation: connector.RevocationConfirmed}))
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
		})

		It("says the revocation is pending when the service did not confirm it", func() {
			w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
			d, err := w.conn.DisconnectFor(ctx(), "alice@example.com", "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Revocation).To(Equal(connector.RevocationPending))
			Expect(w.state().Revocations).To(HaveLen(1))
		})

		It("changes nothing for a connection that does not exist", func() {
			_, err := w.conn.DisconnectFor(ctx(), "zoe@example.com", "purchase_orders")
			Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
			Expect(services.ErrorMessage(err)).To(Equal("zoe@example.com has no connection to purchase_orders, so nothing was changed."))
			Expect(w.liveTokenIDs("purchase_orders")).To(HaveLen(1))
		})

		DescribeTable("refuses malformed input as invalid, changing nothing",
			func(email, serviceID, message string) {
				_, err := w.conn.DisconnectFor(ctx(), email, serviceID)
				Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
				Expect(services.ErrorMessage(err)).To(Equal(message))
				Expect(w.liveTokenIDs("purchase_orders")).To(HaveLen(1))
			},
			Entry("no email", "", "purchase_orders", "Disconnect needs the person's email: an email address is required."),
			Entry("a display name", "Alice <alice@example.com>", "purchase_orders", `Disconnect needs the person's email: "Alice <alice@example.com>" is not a valid email address.`),
			Entry("no service", "alice@example.com", "", "Disconnect needs a valid service id."),
			Entry("a path for a service", "alice@example.com", "../etc", "Disconnect needs a valid service id."),
		)
	})

	Describe("RetryRevocation", func() {
		DescribeTable("refuses malformed input as invalid",
			func(serviceID, tokenID, message string) {
				_, err := w.conn.RetryRevocation(ctx(), serviceID, tokenID)
				Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
				Expect(services.ErrorMessage(err)).To(Equal(message))
			},
			Entry("no token id", "crm", "", "Retry needs the token id of a queued revocation."),
			Entry("a control character in the token id", "crm", "tok\n1", "Retry needs the token id of a queued revocation."),
			Entry("a bad service id", "CRM!", "tok_old", "Retry needs a valid service id."),
		)
	})
})
