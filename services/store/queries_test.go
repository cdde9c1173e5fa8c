package store_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("The targeted reads", func() {
	var (
		s  *store.Store
		at = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	)

	// expiring is john's or jane's connection to serviceID, expiring at expires.
	expiring := func(email, serviceID string, expires time.Time) services.Connection {
		c := connection(email, serviceID)
		c.ExpiresAt = expires
		return c
	}

	BeforeEach(func() {
		s = mustOpen(storePath())
		mustPut(s,
			expiring("john@your-domain.com", "crm", at.Add(-time.Hour)),
			expiring("john@your-domain.com", "invoicing", at.Add(time.Hour)),
			expiring("jane@your-domain.com", "crm", at),
		)
		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "due", QueuedAt: at})).To(Succeed())
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "later", QueuedAt: at, Retry: store.Retry{NextAttemptAt: at.Add(time.Minute)}})).To(Succeed())
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "stuck", QueuedAt: at, NeedsAttention: true})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: at, Retry: store.Retry{NextAttemptAt: at}})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "ann@your-domain.com", Username: "shared", Since: at, Retry: store.Retry{NextAttemptAt: at.Add(time.Second)}})).To(Succeed())
			Expect(tx.PutIntent(store.Intent{RequestID: "r1", UserEmail: "John@your-domain.com", Username: "john", ServiceID: "crm", StartedAt: at})).To(Succeed())
			return tx.PutIntent(store.Intent{RequestID: "r2", UserEmail: "bob@your-domain.com", Username: "shared", ServiceID: "crm", StartedAt: at, Retry: store.Retry{NextAttemptAt: at.Add(time.Hour)}})
		})).To(Succeed())
	})

	It("find the connections to one service, and the services connected", func() {
		Expect(s.ConnectionsOf("crm")).To(HaveExactElements(HaveField("UserEmail", "jane@your-domain.com"), HaveField("UserEmail", "john@your-domain.com")))
		Expect(s.ConnectionsOf("purchase_orders")).To(BeEmpty())
		Expect(s.ServiceIDs()).To(Equal([]string{"crm", "invoicing"}))
	})

	It("find the keys that expired within a window, its end included", func() {
		Expect(s.ExpiredBetween(time.Time{}, at)).To(HaveExactElements(
			HaveField("UserEmail", "jane@your-domain.com"), HaveField("ServiceID", "crm")))
		Expect(s.ExpiredBetween(at.Add(-time.Hour), at)).To(HaveExactElements(HaveField("UserEmail", "jane@your-domain.com")))
		Expect(s.ExpiredBetween(at, at.Add(2*time.Hour))).To(HaveExactElements(HaveField("ServiceID", "invoicing")))
	})

	It("find everyone whose records name an account", func() {
		Expect(s.AccountHolders("john")).To(Equal([]string{"john@your-domain.com"}))
		Expect(s.AccountHolders("shared")).To(Equal([]string{"ann@your-domain.com", "bob@your-domain.com"}))
		Expect(s.AccountHolders("nobody")).To(BeEmpty())
	})

	It("find one person's exchange intents", func() {
		Expect(s.IntentsOf("JOHN@your-domain.com")).To(HaveExactElements(HaveField("RequestID", "r1")))
		Expect(s.IntentsOf("jane@your-domain.com")).To(BeEmpty())
	})

	It("find the work that is due, leaving out what waits for later or for an admin", func() {
		Expect(s.DueRevocations(at)).To(HaveExactElements(HaveField("TokenID", "due")))
		Expect(s.DueRevocations(at.Add(time.Minute))).To(HaveLen(2))
		Expect(s.DueDeliveries(at)).To(HaveExactElements(HaveField("UserEmail", "john@your-domain.com")))
		Expect(s.DueIntents(at)).To(HaveExactElements(HaveField("RequestID", "r1")))
		Expect(s.DueIntents(at.Add(time.Hour))).To(HaveLen(2))
	})

	It("count the worker's backlog without what waits for an admin", func() {
		Expect(s.Backlog()).To(Equal(store.Backlog{Intents: 2, Deliveries: 2, Revocations: 2}))
	})

	It("answer the same inside a change", func() {
		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.AccountHolders("shared")).To(Equal([]string{"ann@your-domain.com", "bob@your-domain.com"}))
			Expect(tx.IntentsOf("bob@your-domain.com")).To(HaveExactElements(HaveField("RequestID", "r2")))
			Expect(tx.ConnectedPeople()).To(Equal([]services.User{
				{Email: "jane@your-domain.com", Username: "jane"}, {Email: "john@your-domain.com", Username: "john"},
			}))
			return nil
		})).To(Succeed())
	})
})
