package connector_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
)

var _ = Describe("Connector edge cases", func() {
	var w *world

	When("delivery writes the files and then fails during a reconnect", func() {
		var old services.Connection
		BeforeEach(func() {
			w = newWorld()
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			old, _ = w.recorded("purchase_orders")
			w.clock.Advance(360 * 24 * time.Hour)
			w.installer.FailOnceAfterWriting(errors.New("helper killed after writing"))
		})

		It("delivers the previous key again, so the files hold the live key, not the revoked one", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).To(HaveOccurred())
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY=" + old.APIKey.Reveal() + "\n"))
			Expect(w.whoami("purchase_orders", old.APIKey)).To(Equal(200))
			Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
		})
	})

	When("the person closes the tab in the middle of a connect", func() {
		BeforeEach(func() { w = newWorld() })

		It("finishes the change instead of leaving a minted key unrecorded", func() {
			cancelled, cancel := context.WithCancel(context.Background())
			cancel()
			state, err := w.conn.Connect(cancelled, w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.Status).To(Equal(connector.StatusConnected))
			conn, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeTrue())
			Expect(w.refs["purchase_orders"].LiveTokens()).To(ConsistOf(HaveField("TokenID", conn.TokenID)))
		})
	})

	When("another change of the same person's takes longer than the operation timeout", func() {
		var release func()
		BeforeEach(func() {
			w = newWorld(func(_ *string, o *connector.Options) { o.OperationTimeout = 300 * time.Millisecond })
			gate := make(chan struct{})
			release = sync.OnceFunc(func() { close(gate) })
			w.installer.InstallFunc = func(string, delivery.Bundle) error { <-gate; return nil }
			DeferCleanup(func() { release() })
		})

		It("gives up waiting and says a change is still in progress", func() {
			done := make(chan error, 1)
			go func() { _, err := w.conn.Connect(ctx(), w.alice, "purchase_orders"); done <- err }()
			Eventually(func() int { w.installer.mu.Lock(); defer w.installer.mu.Unlock(); return w.installer.calls }).Should(Equal(1))
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
			Expect(services.ErrorMessage(err)).To(ContainSubstring("Another change of yours is still in progress"))
			release()
			Eventually(done).Should(Receive())
		})
	})

	When("two emails map to the same server account", func() {
		BeforeEach(func() { w = newWorld() })

		It("refuses the second, leaving the first person's files alone", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			before := w.home(".service_env")
			other := services.User{Email: "alice@elsewhere.example", Username: "alice"}
			_, err = w.conn.Connect(ctx(), other, "crm")
			Expect(services.ErrorCode(err)).To(Equal(services.EConflict))
			Expect(services.ErrorMessage(err)).To(ContainSubstring(`The server account "alice" already receives keys for another person`))
			Expect(w.home(".service_env")).To(Equal(before))
			Expect(w.refs["crm"].LiveTokens()).To(BeEmpty())
		})

		It("tells the second before any Connect, and the first that all is well", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			other := services.User{Email: "alice@elsewhere.example", Username: "alice"}
			err = w.conn.CheckAccount(ctx(), other)
			Expect(services.ErrorCode(err)).To(Equal(services.EConflict))
			Expect(w.conn.CheckAccount(ctx(), w.alice)).To(Succeed())
			Expect(w.refs["crm"].LiveTokens()).To(BeEmpty())
		})
	})

	When("two services share a skill file", func() {
		BeforeEach(func() {
			w = newWorld(func(reg *string, _ *connector.Options) {
				*reg = strings.Replace(*reg, `"skill_file": "sc_crm.md"`, `"skill_file": "sc_purchase_orders.md"`, 1)
			})
		})

		It("delivers the skill once, and keeps it while either service is connected", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			_, err = w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(w.home(".claude_rules/sc_purchase_orders.md")).NotTo(BeEmpty())
			_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(w.home(".claude_rules/sc_purchase_orders.md")).NotTo(BeEmpty())
			_, err = w.conn.Disconnect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(w.home(".claude_rules/sc_purchase_orders.md")).To(BeEmpty())
		})
	})

	When("a service issues keys for only two days", func() {
		BeforeEach(func() {
			w = newWorld(func(reg *string, _ *connector.Options) {
				*reg = strings.Replace(*reg, `"ttl_days": 365`, `"ttl_days": 2`, 1)
			})
		})

		It("shows a fresh key as connected, keeps it on the next click, and warns in the second half of its life", func() {
			state, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(state.Status).To(Equal(connector.StatusConnected))
			_, err = w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(w.refs["purchase_orders"].LiveTokens()).To(HaveLen(1))
			w.clock.Advance(25 * time.Hour)
			Expect(w.overview()[0].Status).To(Equal(connector.StatusExpiringSoon))
		})
	})
})
