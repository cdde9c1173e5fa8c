package connector_test

import (
	"database/sql"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	_ "modernc.org/sqlite"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

// sealUnderUnknownKey makes the stored key of the person's connection to the service one
// that does not open: sealed, the database says, under a key this portal was never given
// (corruption, a lost key, or a tamper meant to keep the key out of reach).
func (w *world) sealUnderUnknownKey(email, serviceID string) {
	GinkgoHelper()
	db, err := sql.Open("sqlite", filepath.Join(w.storeConfig.DataDir, store.FileName))
	Expect(err).NotTo(HaveOccurred())
	defer db.Close()
	res, err := db.Exec("UPDATE connections SET key_id = 'feedfacefeedface' WHERE user_email = ? AND service_id = ?", services.LowerASCII(email), serviceID)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.RowsAffected()).To(BeEquivalentTo(1))
	_, _, err = w.store.Get(ctx(), email, serviceID)
	Expect(err).To(HaveOccurred(), "the key must not open any more")
}

var _ = Describe("A connection whose stored key does not open", func() {
	var (
		w       *world
		po, crm services.Connection
	)

	BeforeEach(func() {
		w = newWorld(withIdentity(nil))
		for _, id := range []string{"purchase_orders", "crm"} {
			_, err := w.conn.Connect(ctx(), w.alice, id)
			Expect(err).NotTo(HaveOccurred())
		}
		po, _ = w.recorded("purchase_orders")
		crm, _ = w.recorded("crm")
		w.sealUnderUnknownKey(w.alice.Email, "purchase_orders")
	})

	It("is still offboarded: every connection forgotten and every key revoked", func() {
		plan, err := w.conn.OffboardPlan(ctx(), w.alice.Email)
		Expect(err).NotTo(HaveOccurred())
		Expect(plan.Keys).To(HaveLen(2))
		res, err := w.conn.Offboard(ctx(), w.alice.Email)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Connections).To(Equal(2))
		Expect(res.Revoked).To(Equal(2))
		Expect(w.forUser(w.alice.Email)).To(BeEmpty())
		Expect(w.whoami("purchase_orders", po.APIKey)).To(Equal(401))
		Expect(w.whoami("crm", crm.APIKey)).To(Equal(401))
		Expect(w.home(".service_env")).NotTo(ContainSubstring("_API_KEY="))
	})

	It("is still disconnected, its key revoked", func() {
		state, err := w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(state.Status).To(Equal(connector.StatusNotConnected))
		Expect(state.Revocation).To(Equal(connector.RevocationConfirmed))
		Expect(w.whoami("purchase_orders", po.APIKey)).To(Equal(401))
		Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY=" + crm.APIKey.Reveal()))
	})

	It("still shows in the person's overview, and an admin can disconnect it", func() {
		Expect(w.overview()).To(ContainElement(And(HaveField("Service.ID", "purchase_orders"), HaveField("Status", connector.StatusConnected))))
		d, err := w.conn.DisconnectFor(ctx(), w.alice.Email, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(d.Revocation).To(Equal(connector.RevocationConfirmed))
	})

	It("is never delivered as anything else: the delivery fails, the files keep what they held, and it stays pending for the worker", func() {
		before := w.home(".service_env")
		_, err := w.conn.Disconnect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		_, pending, err := w.store.Delivery(ctx(), w.alice.Email)
		Expect(err).NotTo(HaveOccurred())
		Expect(pending).To(BeTrue())
		Expect(w.home(".service_env")).To(Equal(before))
	})
})

var _ = Describe("A pending delivery pointed at another account in the database", func() {
	It("is not obeyed: the person's keys never reach that account", func() {
		w := newWorld()
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		db, err := sql.Open("sqlite", filepath.Join(w.storeConfig.DataDir, store.FileName))
		Expect(err).NotTo(HaveOccurred())
		defer db.Close()
		_, err = db.Exec("INSERT INTO deliveries (user_email, username, since) VALUES (?, 'mallory', 1)", services.LowerASCII(w.alice.Email))
		Expect(err).NotTo(HaveOccurred())

		w.conn.Reconcile(ctx())

		Expect(w.homeOf("mallory", ".service_env")).To(BeEmpty())
		d, pending, err := w.store.Delivery(ctx(), w.alice.Email)
		Expect(err).NotTo(HaveOccurred())
		Expect(pending).To(BeTrue())
		Expect(d.Attempts).To(Equal(1))
	})
})
