package connector_test

import (
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/store"
)

// withoutCRM is the world's registry without its CRM entry.
func (w *world) withoutCRM() string {
	GinkgoHelper()
	data, err := os.ReadFile(w.registryFile)
	Expect(err).NotTo(HaveOccurred())
	text := string(data)
	start, end := strings.Index(text, `  {"id": "crm"`), strings.Index(text, `  {"id": "invoicing"`)
	Expect(start).To(BeNumerically(">", 0))
	return text[:start] + text[end:]
}

var _ = Describe("Changes racing each other", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
	})

	It("revokes both keys an unfinished reconnect named when the person disconnected before recovery", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		old, _ := w.recorded("purchase_orders")
		newID := w.mint("purchase_orders", "req-dead")
		minted := old
		minted.TokenID = newID
		// The process died after recording the new key, before settling: the intent says the
		// new key replaces the old one, which nothing has queued yet.
		Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
			Expect(tx.PutIntent(store.Intent{RequestID: "req-dead", UserEmail: "alice@example.com", Username: "alice", ServiceID: "purchase_orders", TokenID: newID, Replaces: old.TokenID})).To(Succeed())
			return tx.Put(minted)
		})).To(Succeed())
		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders") // before the worker looked

		Expect(err).NotTo(HaveOccurred())
		w.reconcileUntilDrained()
		Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty(), "neither the new key nor the one it replaced is left live")
	})

	It("revokes instead of recording a key minted while its service left the registry", func() {
		w.OnExchange(func() {
			Expect(os.WriteFile(w.registryFile, []byte(w.withoutCRM()), 0o600)).To(Succeed())
			_, err := w.registry.Reload()
			Expect(err).NotTo(HaveOccurred())
		})

		_, err := w.conn.Connect(ctx(), w.alice, "crm")

		Expect(services.ErrorMessage(err)).To(ContainSubstring("left the registry"))
		_, ok := w.recorded("crm")
		Expect(ok).To(BeFalse())
		Expect(w.liveTokenIDs("crm")).To(BeEmpty())
		Expect(w.state().Intents).To(BeEmpty())
	})

	It("finishes a removal that was interrupted: connections to a service the registry lost are revoked by the worker", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(w.registryFile, []byte(w.withoutCRM()), 0o600)).To(Succeed())
		_, err = w.registry.Reload() // and the process dies before RemoveService
		Expect(err).NotTo(HaveOccurred())

		w.reconcileUntilDrained()

		Expect(w.liveTokenIDs("crm")).To(BeEmpty())
		_, ok := w.recorded("crm")
		Expect(ok).To(BeFalse())
		Expect(w.home(".service_env")).NotTo(ContainSubstring("CRM_API_KEY"))
	})

	It("keeps the delivery pending when another process changed the person while it delivered", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		_, err = w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		other := w.otherProcess()
		var offboarded bool
		w.installer.mu.Lock()
		w.installer.InstallFunc = func(string, delivery.Bundle) error {
			if !offboarded { // the offboard command runs while this delivery is under way
				offboarded = true
				w.outliveLockLease()
				_, err := other.Offboard(ctx(), "alice@example.com")
				Expect(err).NotTo(HaveOccurred())
			}
			return nil
		}
		w.installer.mu.Unlock()

		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())

		Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="), "the slower delivery wrote its older state last")
		Expect(w.state().Deliveries).To(HaveLen(1), "so the delivery stays pending")
		w.reconcileUntilDrained()
		Expect(w.home(".service_env")).NotTo(ContainSubstring("CRM_API_KEY="))
		Expect(w.liveTokenIDs("crm")).To(BeEmpty())
	})

	It("makes an offboarding from another process wait for a connect in flight, then revokes its key", func() {
		other := w.otherProcess()
		offboarded := make(chan error, 1)
		w.OnExchange(func() {
			w.OnExchange(nil)
			go func() {
				_, err := other.Offboard(ctx(), "alice@example.com")
				offboarded <- err
			}()
			Consistently(offboarded, 200*time.Millisecond).ShouldNot(Receive(), "alice's lock is held by the connect")
		})

		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")

		Expect(err).NotTo(HaveOccurred())
		Eventually(offboarded, 10*time.Second).Should(Receive(BeNil()))
		_, ok := w.recorded("purchase_orders")
		Expect(ok).To(BeFalse())
		Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
		Expect(w.state().Intents).To(BeEmpty())
	})

	It("revokes the key of an exchange in flight when the person is offboarded by a process that took over its lock", func() {
		other := w.otherProcess()
		w.OnExchange(func() {
			w.OnExchange(nil)
			w.outliveLockLease() // the connect stalls past its lock's lease
			_, err := other.Offboard(ctx(), "alice@example.com")
			Expect(err).NotTo(HaveOccurred())
		})

		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")

		Expect(services.ErrorCode(err)).To(Equal(services.EConflict))
		_, ok := w.recorded("purchase_orders")
		Expect(ok).To(BeFalse())
		Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
		Expect(w.state().Intents).To(BeEmpty())
	})

	It("revokes a key the service named in an answer it made unusable", func() {
		w.corruptKeys.Store(true)

		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")

		Expect(err).To(HaveOccurred())
		Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
		Expect(w.state().Intents).To(BeEmpty())
		Expect(w.state().Revocations).To(BeEmpty())
	})

	It("keeps a queued revocation's attempts when the same key is queued again", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		queued := w.state().Revocations[0]
		Expect(queued.Attempts).To(Equal(1))

		Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
			again, err := tx.QueueRevocation(store.Revocation{ServiceID: queued.ServiceID, TokenID: queued.TokenID, Reason: "again", QueuedAt: time.Now()})
			Expect(again).To(BeFalse())
			return err
		})).To(Succeed())

		Expect(w.state().Revocations).To(ConsistOf(queued))
	})
})
