package connector_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
)

var _ = Describe("Connector", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
	})

	Describe("Connect", func() {
		When("the person is not connected yet", func() {
			var (
				state connector.ServiceState
				err   error
			)
			JustBeforeEach(func() {
				state, err = w.conn.Connect(ctx(), w.alice, "purchase_orders")
			})

			It("records a live key with the service's expiry", func() {
				Expect(err).NotTo(HaveOccurred())
				Expect(state.Status).To(Equal(connector.StatusConnected))
				Expect(state.ExpiresAt).To(BeTemporally("~", w.clock.Now().Add(365*24*time.Hour), time.Minute))
				conn, ok := w.recorded("purchase_orders")
				Expect(ok).To(BeTrue())
				Expect(conn.Username).To(Equal("alice"))
				Expect(w.whoami("purchase_orders", conn.APIKey)).To(Equal(200))
				Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
			})

			It("delivers the key and the skill to the person's home", func() {
				conn, _ := w.recorded("purchase_orders")
				Expect(w.home(".service_env")).To(ContainSubstring("\nPO_API_KEY=" + conn.APIKey.Reveal() + "\n"))
				Expect(w.home(".service_env")).To(ContainSubstring("# purchase_orders expires " + conn.ExpiresAt.UTC().Format(time.RFC3339)))
				Expect(w.home(".claude_rules/sc_purchase_orders.md")).To(HavePrefix("# sc_purchase_orders.md"))
			})
		})

		When("the person is already connected with a live key", func() {
			var first services.Connection
			BeforeEach(func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				first, _ = w.recorded("purchase_orders")
				Expect(os.Remove(filepath.Join(w.homes, "alice", ".service_env"))).To(Succeed())
			})

			It("keeps the key, mints none, and delivers the files again", func() {
				state, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				Expect(state.Status).To(Equal(connector.StatusConnected))
				again, _ := w.recorded("purchase_orders")
				Expect(again.TokenID).To(Equal(first.TokenID))
				Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
				Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY=" + first.APIKey.Reveal()))
			})

			It("marks the delivery pending while it delivers, so a portal killed mid-way leaves the worker something to finish", func() {
				var pendingDuring bool
				w.installer.InstallFunc = func(string, delivery.Bundle) error {
					_, pendingDuring, _ = w.store.Delivery(ctx(), w.alice.Email)
					return nil
				}
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				Expect(pendingDuring).To(BeTrue())
				_, pendingAfter, err := w.store.Delivery(ctx(), w.alice.Email)
				Expect(err).NotTo(HaveOccurred())
				Expect(pendingAfter).To(BeFalse())
			})
		})

		When("the key is about to expire", func() {
			var old services.Connection
			BeforeEach(func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				old, _ = w.recorded("purchase_orders")
				w.clock.Advance(360 * 24 * time.Hour)
			})

			It("reconnects: delivers a new key, then revokes the old one", func() {
				state, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				Expect(state.Status).To(Equal(connector.StatusConnected))
				fresh, _ := w.recorded("purchase_orders")
				Expect(fresh.TokenID).NotTo(Equal(old.TokenID))
				Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY=" + fresh.APIKey.Reveal()))
				Expect(w.home(".service_env")).NotTo(ContainSubstring(old.APIKey.Reveal()))
				Expect(w.whoami("purchase_orders", fresh.APIKey)).To(Equal(200))
				Expect(w.whoami("purchase_orders", old.APIKey)).To(Equal(401))
			})
		})

		When("delivery fails", func() {
			BeforeEach(func() {
				w.installer.Fail(errors.New("disk full"))
			})

			It("revokes the new key, records nothing and says so", func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
				Expect(services.ErrorMessage(err)).To(ContainSubstring("could not deliver"))
				_, ok := w.recorded("purchase_orders")
				Expect(ok).To(BeFalse())
				Expect(w.refs["purchase_orders"].LiveTokens()).To(BeEmpty())
			})
		})

		When("delivery fails during a reconnect", func() {
			var old services.Connection
			BeforeEach(func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).NotTo(HaveOccurred())
				old, _ = w.recorded("purchase_orders")
				w.clock.Advance(360 * 24 * time.Hour)
				w.installer.Fail(errors.New("helper crashed"))
			})

			It("keeps the previous key recorded, delivered and working", func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(err).To(HaveOccurred())
				kept, ok := w.recorded("purchase_orders")
				Expect(ok).To(BeTrue())
				Expect(kept.TokenID).To(Equal(old.TokenID))
				Expect(w.whoami("purchase_orders", old.APIKey)).To(Equal(200))
				Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY=" + old.APIKey.Reveal()))
				Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
			})
		})

		When("the service refuses the exchange", func() {
			BeforeEach(func() {
				w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
			})

			It("records and delivers nothing, and says the service could not issue a key", func() {
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
				Expect(services.ErrorMessage(err)).To(ContainSubstring("Purchase Orders could not issue a key"))
				Expect(services.ErrorMessage(err)).NotTo(ContainSubstring("a-wrong-shared-secret"))
				Expect(errors.Is(err, exchange.ErrServiceFailed)).To(BeTrue(), "the service's failure, not ours")
				_, ok := w.recorded("purchase_orders")
				Expect(ok).To(BeFalse())
				Expect(w.home(".service_env")).To(BeEmpty())
			})
		})

		When("the service is down", func() {
			BeforeEach(func() {
				w.server.Close()
			})

			It("records and delivers nothing", func() {
				_, err := w.conn.Connect(ctx(), w.alice, "crm")
				Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
				_, ok := w.recorded("crm")
				Expect(ok).To(BeFalse())
				Expect(w.installer.calls).To(BeZero())
			})
		})

		DescribeTable("refuses what it cannot connect",
			func(serviceID string, setup func(*world), code services.Code, message string) {
				if setup != nil {
					setup(w)
				}
				_, err := w.conn.Connect(ctx(), w.alice, serviceID)
				Expect(services.ErrorCode(err)).To(Equal(code))
				Expect(services.ErrorMessage(err)).To(ContainSubstring(message))
				Expect(w.installer.calls).To(BeZero())
			},
			Entry("an unknown service", "payroll", nil, services.ENotFound, `There is no service with the id "payroll".`),
			Entry("a disabled service", "invoicing", nil, services.EConflict, "Invoicing is switched off"),
			Entry("a service without a shared secret", "crm", func(w *world) { delete(w.secrets, "crm") }, services.EUnavailable, "CRM is not configured yet"),
		)

		When("the person has no server account", func() {
			BeforeEach(func() {
				w = newWorld(func(_ *string, o *connector.Options) {
					o.AccountExists = func(username string) bool { return username != "alice" }
				})
			})

			It("refuses before it asks any service for a key, and says so", func() {
				Expect(w.conn.HasAccount(w.alice)).To(BeFalse())
				_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
				Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
				Expect(services.ErrorMessage(err)).To(Equal("There is no server account for alice yet, so Connect is unavailable. Ask an admin to create it."))
				Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
				Expect(w.installer.calls).To(BeZero())
				Expect(w.conn.HasAccount(services.User{Email: "bob@example.com", Username: "bob"})).To(BeTrue())
			})
		})

		When("the person double-clicks Connect", func() {
			It("mints one live key", func() {
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						defer GinkgoRecover()
						_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
						Expect(err).NotTo(HaveOccurred())
					})
				}
				wg.Wait()
				Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
				conn, _ := w.recorded("purchase_orders")
				Expect(w.refs["purchase_orders"].LiveTokens()[0].TokenID).To(Equal(conn.TokenID))
			})
		})
	})

	Describe("Overview", func() {
		It("lists every service in registry order with the person's state", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			states := w.overview()
			Expect(states).To(HaveLen(3))
			Expect(states[0].Service.ID).To(Equal("purchase_orders"))
			Expect(states[0].Status).To(Equal(connector.StatusNotConnected))
			Expect(states[1].Service.ID).To(Equal("crm"))
			Expect(states[1].Status).To(Equal(connector.StatusConnected))
			Expect(states[1].Configured).To(BeTrue())
		})

		It("names the key's token id, as the service knows it, and when it was issued, but never the key", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			conn, _ := w.recorded("crm")
			states := w.overview()
			Expect(states[1].TokenID).To(Equal(w.refs["crm"].LiveTokens()[0].TokenID))
			Expect(states[1].TokenID).NotTo(Equal(string(conn.APIKey)))
			Expect(states[1].ConnectedAt).To(Equal(conn.ConnectedAt))
			Expect(states[0].TokenID).To(BeEmpty())
		})

		It("shows a key as expiring soon within two weeks of its expiry, then expired", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			w.clock.Advance(352 * 24 * time.Hour)
			Expect(w.overview()[0].Status).To(Equal(connector.StatusExpiringSoon))
			w.clock.Advance(14 * 24 * time.Hour)
			Expect(w.overview()[0].Status).To(Equal(connector.StatusExpired))
		})
	})
})
