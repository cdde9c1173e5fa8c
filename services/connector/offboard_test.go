package connector_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// withIdentity maps every email to its local part, as the demo does, and says which accounts
// exist (nil: all of them).
func withIdentity(exists func(string) bool) worldOption {
	return func(_ *string, o *connector.Options) {
		ids, err := identity.NewMapper(nil, nil)
		Expect(err).NotTo(HaveOccurred())
		o.Accounts, o.AccountExists = ids, exists
	}
}

// homeOf reads a file of an account's delivered home, or "" when it does not exist.
func (w *world) homeOf(username, name string) string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(w.homes, username, name))
	if os.IsNotExist(err) {
		return ""
	}
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

var _ = Describe("Offboarding", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld(withIdentity(func(username string) bool { return username != "ghost" }))
		for _, id := range []string{"purchase_orders", "crm"} {
			_, err := w.conn.Connect(ctx(), w.alice, id)
			Expect(err).NotTo(HaveOccurred())
		}
	})

	When("the email has no connections and maps to another person's account", func() {
		It("refuses with a clear message and changes nothing", func() {
			env, skill := w.home(".service_env"), w.home(".claude_rules/sc_crm.md")
			before := w.state()
			calls := w.installer.calls

			_, planErr := w.conn.OffboardPlan(ctx(), "alice@other.example")
			_, err := w.conn.Offboard(ctx(), "alice@other.example")

			for _, e := range []error{planErr, err} {
				Expect(services.ErrorCode(e)).To(Equal(services.EConflict))
				Expect(services.ErrorMessage(e)).To(Equal(`The server account "alice" holds the keys of another person, alice@example.com: offboarding alice@other.example there would clear that person's files, so nothing was changed.`))
			}
			Expect(w.home(".service_env")).To(Equal(env))
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY="))
			Expect(w.home(".claude_rules/sc_crm.md")).To(Equal(skill))
			Expect(w.state()).To(Equal(before))
			Expect(w.installer.calls).To(Equal(calls))
			Expect(w.liveTokenIDs("purchase_orders")).To(HaveLen(1))
			Expect(w.liveTokenIDs("crm")).To(HaveLen(1))
		})
	})

	When("the email has no connections and no account of its own", func() {
		It("refuses it and changes nothing", func() {
			before := w.state()
			_, err := w.conn.Offboard(ctx(), "ghost@example.com")
			Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
			Expect(services.ErrorMessage(err)).To(Equal("ghost@example.com has no connections, and no server account of theirs is known, so nothing was changed."))
			Expect(w.state()).To(Equal(before))
		})
	})

	When("the email has no connections and maps to a free account of its own", func() {
		It("clears that account's files", func() {
			Expect(os.MkdirAll(filepath.Join(w.homes, "zoe", ".claude_rules"), 0o700)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(w.homes, "zoe", ".claude_rules", "sc_crm.md"), []byte("old"), 0o600)).To(Succeed())

			res, err := w.conn.Offboard(ctx(), "zoe@example.com")

			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(connector.OffboardResult{Delivered: true}))
			Expect(w.homeOf("zoe", ".claude_rules/sc_crm.md")).To(BeEmpty())
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY="), "alice is left alone")
		})
	})

	When("the email's connections name its account", func() {
		It("shows who and what will be affected first, changing nothing", func() {
			delete(w.secrets, "crm") // the portal cannot revoke at CRM now
			po, _ := w.recorded("purchase_orders")
			crm, _ := w.recorded("crm")

			plan, err := w.conn.OffboardPlan(ctx(), " Alice@Example.com ")

			Expect(err).NotTo(HaveOccurred())
			Expect(plan.Email).To(Equal("alice@example.com"))
			Expect(plan.Username).To(Equal("alice"))
			Expect(plan.Exchanges).To(BeZero())
			Expect(plan.Keys).To(ConsistOf(
				connector.OffboardKey{ServiceID: "crm", ServiceName: "CRM", TokenID: crm.TokenID, Status: connector.StatusConnected, ExpiresAt: crm.ExpiresAt,
					Why: "The portal has no shared secret for CRM to revoke the key with."},
				connector.OffboardKey{ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: po.TokenID, Status: connector.StatusConnected, ExpiresAt: po.ExpiresAt, RevokeNow: true},
			))
			Expect(w.forUser("alice@example.com")).To(HaveLen(2))
		})

		It("counts the exchanges in flight it will cancel", func() {
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				return tx.PutIntent(store.Intent{RequestID: "req-1", UserEmail: "alice@example.com", Username: "alice", ServiceID: "invoicing", StartedAt: w.clock.Now()})
			})).To(Succeed())
			plan, err := w.conn.OffboardPlan(ctx(), "alice@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(plan.Exchanges).To(Equal(1))
		})
	})

	DescribeTable("refuses a malformed email as invalid",
		func(email, message string) {
			_, err := w.conn.Offboard(ctx(), email)
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			Expect(services.ErrorMessage(err)).To(Equal(message))
			_, err = w.conn.OffboardPlan(ctx(), email)
			Expect(services.ErrorMessage(err)).To(Equal(message))
		},
		Entry("empty", "", "Offboarding needs the person's email: an email address is required."),
		Entry("no domain", "alice", `Offboarding needs the person's email: "alice" is not a valid email address.`),
	)

	It("says in one line what it did", func() {
		Expect(connector.OffboardSummary("bob@example.com", connector.OffboardResult{Connections: 3, Revoked: 3, Delivered: true})).
			To(Equal("Offboarded bob@example.com: 3 connections removed, 3 keys revoked, files cleared."))
		Expect(connector.OffboardSummary("bob@example.com", connector.OffboardResult{Connections: 2, Revoked: 1, Queued: 1})).
			To(Equal("Offboarded bob@example.com: 2 connections removed, 1 key revoked, 1 key queued for revocation; clearing their files failed and is retried."))
		Expect(connector.OffboardSummary("zoe@example.com", connector.OffboardResult{Delivered: true})).
			To(Equal("Offboarded zoe@example.com: 0 connections removed, 0 keys revoked, files cleared."))
	})
})
