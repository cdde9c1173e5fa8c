package store_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("The revocation queue, pending deliveries and exchange intents", func() {
	var (
		path string
		s    *store.Store
		at   = time.Date(2026, 5, 6, 7, 8, 9, 0, time.FixedZone("CEST", 2*3600))
	)

	BeforeEach(func() {
		path = storePath()
		s = mustOpen(path)
	})

	It("are kept with the connections in one atomic change, and read back after a reopen", func() {
		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.Put(connection("john@your-domain.com", "crm"))).To(Succeed())
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "tok_old", UserEmail: "John@your-domain.com", Reason: "replaced", QueuedAt: at})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: at})).To(Succeed())
			return tx.PutIntent(store.Intent{RequestID: "req-1", UserEmail: "john@your-domain.com", Username: "john", ServiceID: "crm", TTLDays: 30, StartedAt: at})
		})).To(Succeed())

		st := mustOpen(path).State()

		Expect(st.Connections).To(HaveLen(1))
		Expect(st.Revocations).To(ConsistOf(store.Revocation{ServiceID: "crm", TokenID: "tok_old", UserEmail: "john@your-domain.com", Reason: "replaced", QueuedAt: at.UTC()}))
		Expect(st.Deliveries).To(ConsistOf(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: at.UTC()}))
		Expect(st.Intents).To(ConsistOf(store.Intent{RequestID: "req-1", UserEmail: "john@your-domain.com", Username: "john", ServiceID: "crm", TTLDays: 30, StartedAt: at.UTC()}))
	})

	It("hold one entry per token, per person and per request id: a second put replaces the first", func() {
		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "t", Reason: "a", QueuedAt: at})).To(Succeed())
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "t", Reason: "a", QueuedAt: at, Retry: store.Retry{Attempts: 3}})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: at})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "JOHN@your-domain.com", Username: "john", Since: at, Retry: store.Retry{Attempts: 2}})).To(Succeed())
			return nil
		})).To(Succeed())

		st := s.State()
		Expect(st.Revocations).To(ConsistOf(HaveField("Attempts", 3)))
		Expect(st.Deliveries).To(ConsistOf(HaveField("Attempts", 2)))
	})

	It("are removed one by one, and removing what is not there reports false and writes nothing", func() {
		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "t", QueuedAt: at})).To(Succeed())
			Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: at})).To(Succeed())
			return tx.PutIntent(store.Intent{RequestID: "r", UserEmail: "john@your-domain.com", Username: "john", ServiceID: "crm"})
		})).To(Succeed())
		before := fileBytes(path)

		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.RemoveRevocation("crm", "other")).To(BeFalse())
			Expect(tx.RemoveDelivery("jane@your-domain.com")).To(BeFalse())
			Expect(tx.RemoveIntent("other")).To(BeFalse())
			return nil
		})).To(Succeed())
		Expect(fileBytes(path)).To(Equal(before))

		Expect(s.Update(func(tx *store.Tx) error {
			Expect(tx.RemoveRevocation("crm", "t")).To(BeTrue())
			Expect(tx.RemoveDelivery("John@your-domain.com")).To(BeTrue())
			Expect(tx.RemoveIntent("r")).To(BeTrue())
			return nil
		})).To(Succeed())
		Expect(mustOpen(path).State()).To(Equal(store.State{
			Connections: []services.Connection{}, Revocations: []store.Revocation{},
			Deliveries: []store.PendingDelivery{}, Intents: []store.Intent{},
		}))
	})

	DescribeTable("refuse an invalid entry with a clear error and change nothing",
		func(put func(tx *store.Tx) error, message string) {
			before := fileBytes(path)
			err := s.Update(put)
			Expect(err).To(MatchError(ContainSubstring(message)))
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			Expect(fileBytes(path)).To(Equal(before))
			Expect(s.State().Revocations).To(BeEmpty())
		},
		Entry("a revocation without a token id", func(tx *store.Tx) error {
			return tx.PutRevocation(store.Revocation{ServiceID: "crm"})
		}, "has no token id"),
		Entry("a revocation of an invalid service id", func(tx *store.Tx) error {
			return tx.PutRevocation(store.Revocation{ServiceID: "../crm", TokenID: "t"})
		}, `invalid service id "../crm"`),
		Entry("a delivery to an invalid account", func(tx *store.Tx) error {
			return tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john/../root"})
		}, "invalid account name"),
		Entry("a delivery without an email", func(tx *store.Tx) error {
			return tx.PutDelivery(store.PendingDelivery{UserEmail: "john", Username: "john"})
		}, "valid email address"),
		Entry("an intent without a request id", func(tx *store.Tx) error {
			return tx.PutIntent(store.Intent{UserEmail: "john@your-domain.com", ServiceID: "crm"})
		}, "no request id"),
	)
})
