package connector_test

import (
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
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

	Describe("Admin", func() {
		It("counts everything in the store and lists the first page of each list", func() {
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				for _, c := range storetest.People(connector.AdminPageSize + 20) {
					if c.ServiceID != "crm" {
						continue
					}
					if err := tx.Put(c); err != nil {
						return err
					}
				}
				return nil
			})).To(Succeed())

			ov, err := w.conn.Admin(ctx(), connector.AdminQuery{})

			Expect(err).NotTo(HaveOccurred())
			Expect(ov.Connections.Rows).To(HaveLen(connector.AdminPageSize))
			Expect(ov.Connections.Rows[0].UserEmail).To(Equal("alice@example.com"), "sorted by email")
			Expect(ov.Connections.Total).To(Equal(connector.AdminPageSize + 21))
			Expect(ov.Connections.HasNext).To(BeTrue())
			Expect(ov.Totals.Connections).To(Equal(connector.AdminPageSize + 21))
			Expect(ov.Services).To(ContainElement(And(HaveField("Service.ID", "crm"), HaveField("Connections", connector.AdminPageSize+20))))
			Expect(ov.Services).To(ContainElement(And(HaveField("Service.ID", "purchase_orders"), HaveField("Connections", 1))))
		})
	})

	Describe("Admin's query", func() {
		It("filters by the status the person's card would show, with the connector's clock and warning window", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			w.clock.Advance(365*24*time.Hour - 7*24*time.Hour) // a year's keys, a week before they expire
			ov, err := w.conn.Admin(ctx(), connector.AdminQuery{State: connector.AdminExpiring})
			Expect(err).NotTo(HaveOccurred())
			Expect(ov.Connections.Rows).To(HaveLen(2))
			Expect(ov.Connections.Rows[0].Status).To(Equal(connector.StatusExpiringSoon))
			ov, err = w.conn.Admin(ctx(), connector.AdminQuery{State: connector.AdminConnected})
			Expect(err).NotTo(HaveOccurred())
			Expect(ov.Connections.Rows).To(BeEmpty())
			Expect(ov.Connections.Total).To(BeZero(), "a filtered list counts its own matches")
			Expect(ov.Totals.Connections).To(Equal(2))
			ov, err = w.conn.Admin(ctx(), connector.AdminQuery{Search: "ALICE", ServiceID: "crm"})
			Expect(err).NotTo(HaveOccurred())
			Expect(ov.Connections.Rows).To(ConsistOf(HaveField("ServiceID", "crm")))
		})

		It("pages the revocation queue, and shows its last page when asked past the end", func() {
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				for i := range connector.AdminQueueSize + 3 {
					if err := tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: fmt.Sprintf("tok_%02d", i), UserEmail: "gone@example.com",
						QueuedAt: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Retry: store.Retry{NextAttemptAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}}); err != nil {
						return err
					}
				}
				return nil
			})).To(Succeed())
			ov, err := w.conn.Admin(ctx(), connector.AdminQuery{QueuePage: 99})
			Expect(err).NotTo(HaveOccurred())
			Expect(ov.QueuePages).To(Equal(2))
			Expect(ov.QueuePage).To(Equal(2))
			Expect(ov.Revocations).To(HaveLen(3))
			Expect(ov.Revocations[0].TokenID).To(Equal(fmt.Sprintf("tok_%02d", connector.AdminQueueSize)))
			ov, err = w.conn.Admin(ctx(), connector.AdminQuery{})
			Expect(err).NotTo(HaveOccurred())
			Expect(ov.QueuePage).To(Equal(1))
			Expect(ov.Revocations).To(HaveLen(connector.AdminQueueSize))
		})
	})

	Describe("RetryAllRevocations", func() {
		var secret services.Secret

		BeforeEach(func() {
			secret = w.secrets["purchase_orders"]
			w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
			d, err := w.conn.DisconnectFor(ctx(), "alice@example.com", "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(d.Revocation).To(Equal(connector.RevocationPending))
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				r, _, err := tx.Revocation("purchase_orders", d.TokenID)
				r.NeedsAttention, r.Attempts = true, 10
				return errors.Join(err, tx.PutRevocation(r))
			})).To(Succeed())
		})

		It("tries the whole queue, those that needed attention included, and counts what the services confirmed", func() {
			w.secrets["purchase_orders"] = secret
			res, err := w.conn.RetryAllRevocations(ctx())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(connector.RetryAllResult{Queued: 1, Tried: 1, Revoked: 1}))
			Expect(w.state().Revocations).To(BeEmpty())
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
		})

		It("leaves what the service did not confirm queued, back at its first attempts, and says it is not revoked", func() {
			res, err := w.conn.RetryAllRevocations(ctx())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(connector.RetryAllResult{Queued: 1, Tried: 1, Revoked: 0}))
			queue := w.state().Revocations
			Expect(queue).To(HaveLen(1))
			Expect(queue[0].NeedsAttention).To(BeFalse())
			Expect(queue[0].Attempts).To(Equal(1))
			Expect(w.liveTokenIDs("purchase_orders")).To(HaveLen(1))
		})
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
