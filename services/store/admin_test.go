package store_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("What admins see", func(backend storetest.Backend) {
	var (
		ctx context.Context
		s   *store.Store
	)

	BeforeEach(func() {
		ctx = context.Background()
		s = storetest.Open(databases.Config(backend))
		expired := connection("bob@example.com", "invoicing")
		expired.ExpiresAt = t0.Add(-time.Hour)
		put(s, connection("cy@example.com", "crm"), connection("ann@example.com", "crm"), connection("ann@example.com", "invoicing"), expired,
			connection("bob@example.com", "crm"))
		waiting := revocation("crm", "tok_b", t0.Add(-time.Hour))
		waiting.QueuedAt, waiting.NeedsAttention = t0.Add(time.Hour), true
		update(s, func(tx *store.Tx) error {
			return errors.Join(tx.PutRevocation(revocation("crm", "tok_a", t0)), tx.PutRevocation(waiting),
				tx.PutDelivery(store.PendingDelivery{UserEmail: "ann@example.com", Username: "ann", Since: t0}),
				tx.PutIntent(store.Intent{RequestID: "r", UserEmail: "ann@example.com", ServiceID: "crm", StartedAt: t0}))
		})
	})

	It("pages through connections, filtered, with the total", func() {
		page, total, err := s.Connections(ctx, store.ConnectionFilter{}, store.Page{Limit: 2, Offset: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(5))
		Expect(keysOf(page)).To(Equal([]string{"ann@example.com/invoicing", "bob@example.com/crm"}))
		page, total, err = s.Connections(ctx, store.ConnectionFilter{ServiceID: "crm"}, store.Page{Offset: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(3))
		Expect(keysOf(page)).To(Equal([]string{"bob@example.com/crm", "cy@example.com/crm"}))
		page, total, err = s.Connections(ctx, store.ConnectionFilter{Username: "bob", ExpiresBy: t0}, store.Page{})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(1))
		Expect(keysOf(page)).To(Equal([]string{"bob@example.com/invoicing"}))
	})

	It("names the services that have connections", func() {
		ids, err := s.ServiceIDs(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(ids).To(Equal([]string{"crm", "invoicing"}))
	})

	It("counts connections by service with their expired keys, and the queues", func() {
		c, err := s.Counts(ctx, t0)
		Expect(err).NotTo(HaveOccurred())
		Expect(c).To(Equal(store.Counts{
			Connections: 5, Expired: 1,
			Services:    []store.ServiceCount{{ServiceID: "crm", Connections: 3}, {ServiceID: "invoicing", Connections: 2, Expired: 1}},
			Revocations: 2, NeedsAttention: 1, Deliveries: 1, Intents: 1,
		}))
	})

	It("lists the revocation queue with what waits for an admin first", func() {
		rs, total, err := s.Revocations(ctx, store.Page{Limit: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(2))
		Expect(tokens(rs)).To(Equal([]string{"tok_b"}))
	})
}, backends)

func keysOf(cs []services.Connection) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.UserEmail+"/"+c.ServiceID)
	}
	return out
}
