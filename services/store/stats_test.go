package store_test

import (
	"context"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("What the metrics read", func(backend storetest.Backend) {
	var (
		s   *store.Store
		cfg store.Config
		now = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		day = 24 * time.Hour
	)

	BeforeEach(func() {
		cfg = databases.Config(backend)
		s = storetest.Open(cfg)
	})

	Describe("QueueCounts", func() {
		It("counts the revocation queue, those of it waiting for an admin, pending deliveries and intents", func() {
			Expect(s.Update(context.Background(), func(tx *store.Tx) error {
				Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "t1", QueuedAt: now})).To(Succeed())
				Expect(tx.PutRevocation(store.Revocation{ServiceID: "crm", TokenID: "t2", QueuedAt: now, NeedsAttention: true})).To(Succeed())
				Expect(tx.PutRevocation(store.Revocation{ServiceID: "invoicing", TokenID: "t3", QueuedAt: now})).To(Succeed())
				Expect(tx.PutDelivery(store.PendingDelivery{UserEmail: "john@your-domain.com", Username: "john", Since: now})).To(Succeed())
				return tx.PutIntent(store.Intent{RequestID: "r", UserEmail: "john@your-domain.com", Username: "john", ServiceID: "crm"})
			})).To(Succeed())

			c, err := s.QueueCounts(context.Background())
			Expect(err).NotTo(HaveOccurred())
			Expect(c).To(Equal(store.Counts{Revocations: 3, NeedsAttention: 1, Deliveries: 1, Intents: 1}))
		})
	})

	Describe("LiveKeys", func() {
		It("counts the live keys by service, and how many expire within each horizon", func() {
			expiring := func(email, serviceID string, in time.Duration) {
				c := connection(email, serviceID)
				c.ExpiresAt = now.Add(in)
				put(s, c)
			}
			expiring("a@example.com", "crm", 12*time.Hour)
			expiring("b@example.com", "crm", day) // exactly at the first horizon: within it
			expiring("c@example.com", "crm", 20*day)
			expiring("d@example.com", "crm", 400*day)
			expiring("e@example.com", "crm", -time.Hour) // expired: not live
			expiring("f@example.com", "crm", 0)          // expires now: not live
			never := connection("g@example.com", "crm")
			never.ExpiresAt = time.Time{}
			put(s, never)
			expiring("a@example.com", "purchase_orders", 3*day)
			expiring("a@example.com", "invoicing", -day) // no live key: left out

			keys, err := s.LiveKeys(context.Background(), now, []time.Duration{day, 7 * day, 30 * day})
			Expect(err).NotTo(HaveOccurred())
			Expect(keys).To(Equal([]store.LiveKeys{
				{ServiceID: "crm", Live: 5, Expiring: []int{2, 2, 3}},
				{ServiceID: "purchase_orders", Live: 1, Expiring: []int{0, 1, 1}},
			}))
		})

		It("counts nothing in an empty store", func() {
			keys, err := s.LiveKeys(context.Background(), now, []time.Duration{day})
			Expect(err).NotTo(HaveOccurred())
			Expect(keys).To(BeEmpty())
		})
	})

	Describe("ObserveCommits", func() {
		It("is told the time of every commit that writes, and of none that writes nothing", func() {
			var mu sync.Mutex
			var took []time.Duration
			cfg.Owner = "observed"
			cfg.ObserveCommit = func(d time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				took = append(took, d)
			}
			observed := storetest.Open(cfg)

			put(observed, connection("a@example.com", "crm"))
			put(observed, connection("b@example.com", "crm"))
			update(observed, func(tx *store.Tx) error {
				_, err := tx.Delete("nobody@example.com", "crm") // changes nothing: no write
				return err
			})

			mu.Lock()
			defer mu.Unlock()
			Expect(took).To(HaveLen(2))
			Expect(took).To(HaveEach(BeNumerically(">", 0)))
		})
	})
}, backends)
