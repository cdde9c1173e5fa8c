package store_test

import (
	"context"
	"errors"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("Store", func(backend storetest.Backend) {
	var (
		cfg store.Config
		s   *store.Store
		ctx context.Context
	)

	BeforeEach(func() {
		ctx = context.Background()
		cfg = databases.Config(backend)
		s = storetest.Open(cfg)
	})

	Describe("connections", func() {
		It("keeps what a change recorded, exactly, key and times included", func() {
			c := connection("Ann@Example.com", "purchase_orders")
			put(s, c)
			got, ok, err := s.Get(ctx, "ann@example.com", "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			want := c
			want.UserEmail = "ann@example.com"
			Expect(got).To(Equal(want))
			Expect(got.APIKey.Reveal()).To(ContainSubstring(keyMark))
		})

		It("keeps a key without expiry as one without expiry", func() {
			c := connection("ann@example.com", "crm")
			c.ExpiresAt = time.Time{}
			put(s, c)
			got, _, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(got.ExpiresAt.IsZero()).To(BeTrue())
		})

		It("replaces the connection of the same person to the same service", func() {
			put(s, connection("ann@example.com", "crm"))
			c := connection("ANN@example.com", "crm")
			c.TokenID = "tok_new"
			put(s, c)
			cs, err := s.ForUser(ctx, "ann@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(cs).To(HaveLen(1))
			Expect(cs[0].TokenID).To(Equal("tok_new"))
		})

		It("compares emails by the case of ASCII letters only: a look-alike outside ASCII is another person", func() {
			put(s, connection("kate@example.com", "crm"))
			_, ok, err := s.Get(ctx, "KATE@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			_, ok, err = s.Get(ctx, "\u212Aate@example.com", "crm") // the Kelvin sign, which Unicode lower-cases to k
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("reads a person's connections sorted by service, and nobody else's", func() {
			put(s, connection("ann@example.com", "invoicing"), connection("ann@example.com", "crm"), connection("bob@example.com", "crm"))
			cs, err := s.ForUser(ctx, "ANN@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(serviceIDs(cs)).To(Equal([]string{"crm", "invoicing"}))
		})

		It("reads a service's connections, and whether a key expired within a window, its end included", func() {
			early, late := connection("ann@example.com", "crm"), connection("bob@example.com", "crm")
			early.ExpiresAt, late.ExpiresAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
			put(s, late, early, connection("ann@example.com", "invoicing"))
			cs, err := s.ConnectionsOf(ctx, "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(emails(cs)).To(Equal([]string{"ann@example.com", "bob@example.com"}))
			for _, w := range []struct {
				after, until time.Time
				want         bool
			}{
				{time.Time{}, t0, false},
				{time.Time{}, t0.Add(time.Hour), true},
				{t0.Add(time.Hour), t0.Add(90 * time.Minute), false},
				{t0.Add(time.Hour), t0.Add(2 * time.Hour), true},
			} {
				got, err := s.AnyExpired(ctx, w.after, w.until)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(w.want), "expired in (%s, %s]", w.after, w.until)
			}
		})

		It("finds everyone whose connections, pending delivery or exchanges name an account, inside a change too", func() {
			other := connection("ann2@example.com", "crm")
			other.Username = "ann"
			put(s, connection("ann@example.com", "crm"), other, connection("bob@example.com", "crm"))
			update(s, func(tx *store.Tx) error {
				return errors.Join(
					tx.PutDelivery(store.PendingDelivery{UserEmail: "ann3@example.com", Username: "ann", Since: t0}),
					tx.PutIntent(store.Intent{RequestID: "r", UserEmail: "ann4@example.com", Username: "ann", ServiceID: "crm", StartedAt: t0}),
				)
			})
			want := []string{"ann2@example.com", "ann3@example.com", "ann4@example.com", "ann@example.com"}
			holders, err := s.AccountHolders(ctx, "ann")
			Expect(err).NotTo(HaveOccurred())
			Expect(holders).To(Equal(want))
			update(s, func(tx *store.Tx) error {
				holders, err := tx.AccountHolders("ann")
				Expect(holders).To(Equal(want))
				return err
			})
			holders, err = s.AccountHolders(ctx, "nobody")
			Expect(err).NotTo(HaveOccurred())
			Expect(holders).To(BeEmpty())
		})

		It("deletes a connection and says whether there was one", func() {
			put(s, connection("ann@example.com", "crm"))
			var first, second bool
			update(s, func(tx *store.Tx) error {
				var err error
				first, err = tx.Delete("ANN@example.com", "crm")
				if err != nil {
					return err
				}
				second, err = tx.Delete("ann@example.com", "crm")
				return err
			})
			Expect(first).To(BeTrue())
			Expect(second).To(BeFalse())
			_, ok, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("refuses an invalid connection with a safe error that holds no key", func() {
			c := connection("not an email", "crm")
			err := s.Update(ctx, func(tx *store.Tx) error { return tx.Put(c) })
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			expectNoKeyIn(err)
			cs, _, err := s.Connections(ctx, store.ConnectionFilter{}, store.Page{})
			Expect(err).NotTo(HaveOccurred())
			Expect(cs).To(BeEmpty())
		})
	})

	Describe("Update", func() {
		It("keeps nothing of a change that returns an error", func() {
			boom := errors.New("boom")
			err := s.Update(ctx, func(tx *store.Tx) error {
				Expect(tx.Put(connection("ann@example.com", "crm"))).To(Succeed())
				return boom
			})
			Expect(err).To(MatchError(boom))
			_, ok, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("keeps nothing of a change one of whose statements failed, even if it went on", func() {
			err := s.Update(ctx, func(tx *store.Tx) error {
				Expect(tx.Put(connection("ann@example.com", "crm"))).To(Succeed())
				_ = store.BreakTx(tx) // ignored on purpose
				return nil
			})
			Expect(err).To(HaveOccurred())
			_, ok, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("rolls back a change that panics, and raises the panic in its caller", func() {
			Expect(func() {
				_ = s.Update(ctx, func(tx *store.Tx) error {
					Expect(tx.Put(connection("ann@example.com", "crm"))).To(Succeed())
					panic("fn broke")
				})
			}).To(PanicWith("fn broke"))
			_, ok, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
			put(s, connection("bob@example.com", "crm")) // and the store still works
		})

		It("shows others only what was committed, and a change its own writes", func() {
			inside, read := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				defer GinkgoRecover()
				done <- s.Update(ctx, func(tx *store.Tx) error {
					if err := tx.Put(connection("ann@example.com", "crm")); err != nil {
						return err
					}
					_, ok, err := tx.Get("ann@example.com", "crm")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeTrue())
					close(inside)
					<-read
					return nil
				})
			}()
			Eventually(inside).Should(BeClosed())
			_, ok, err := s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
			close(read)
			Eventually(done).Should(Receive(BeNil()))
			_, ok, err = s.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
		})

		It("serializes read-modify-writes of a row by two stores on one database", func() {
			other := storetest.Open(cfg)
			d := store.PendingDelivery{UserEmail: "ann@example.com", Username: "ann", Since: t0}
			update(s, func(tx *store.Tx) error { return tx.PutDelivery(d) })
			var wg sync.WaitGroup
			for i := range 20 {
				st := []*store.Store{s, other}[i%2]
				wg.Go(func() {
					defer GinkgoRecover()
					update(st, func(tx *store.Tx) error {
						cur, ok, err := tx.Delivery("ann@example.com")
						if err != nil || !ok {
							return errors.Join(err, errors.New("delivery gone"))
						}
						cur.Attempts++
						return tx.PutDelivery(cur)
					})
				})
			}
			wg.Wait()
			got, _, err := s.Delivery(ctx, "ann@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(got.Attempts).To(Equal(20))
		})
	})

	Describe("the revocation queue", func() {
		It("queues, reads and removes revocations", func() {
			r := revocation("crm", "tok_1", t0)
			update(s, func(tx *store.Tx) error { return tx.PutRevocation(r) })
			got, ok, err := s.Revocation(ctx, "crm", "tok_1")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(got).To(Equal(r))
			var removed, again bool
			update(s, func(tx *store.Tx) error {
				removed, _ = tx.RemoveRevocation("crm", "tok_1")
				again, err = tx.RemoveRevocation("crm", "tok_1")
				return err
			})
			Expect([]bool{removed, again}).To(Equal([]bool{true, false}))
		})

		It("keeps a queued entry's attempts when the same token is queued again", func() {
			r := revocation("crm", "tok_1", t0)
			r.Attempts, r.LastError, r.NeedsAttention = 4, "503", true
			update(s, func(tx *store.Tx) error { return tx.PutRevocation(r) })
			var queued bool
			update(s, func(tx *store.Tx) error {
				var err error
				queued, err = tx.QueueRevocation(revocation("crm", "tok_1", t0))
				return err
			})
			Expect(queued).To(BeFalse())
			got, _, err := s.Revocation(ctx, "crm", "tok_1")
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(r))
		})

		It("refuses a revocation without a token id", func() {
			err := s.Update(ctx, func(tx *store.Tx) error {
				_, err := tx.QueueRevocation(revocation("crm", "", t0))
				return err
			})
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
		})
	})

	Describe("pending deliveries", func() {
		It("marks, reads and clears a person's pending delivery", func() {
			d := store.PendingDelivery{UserEmail: "Ann@example.com", Username: "ann", Since: t0, Retry: store.Retry{Attempts: 2, NextAttemptAt: t0.Add(time.Minute), LastError: "no home"}}
			update(s, func(tx *store.Tx) error { return tx.PutDelivery(d) })
			got, ok, err := s.Delivery(ctx, "ann@EXAMPLE.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			d.UserEmail = "ann@example.com"
			Expect(got).To(Equal(d))
			var cleared bool
			update(s, func(tx *store.Tx) error { cleared, err = tx.RemoveDelivery("ann@example.com"); return err })
			Expect(cleared).To(BeTrue())
			_, ok, err = s.Delivery(ctx, "ann@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("marks due at once the people a filter selects, keeping an earlier mark's history", func() {
			expired := connection("ann@example.com", "crm")
			expired.ExpiresAt = t0.Add(-time.Hour)
			later := connection("bob@example.com", "crm")
			later.ExpiresAt = t0.Add(time.Hour)
			put(s, expired, later, connection("cy@example.com", "invoicing"))
			earlier := store.PendingDelivery{UserEmail: "ann@example.com", Username: "ann", Since: t0.Add(-time.Hour), Retry: store.Retry{Attempts: 3, NextAttemptAt: t0.Add(time.Hour), LastError: "x"}}
			update(s, func(tx *store.Tx) error { return tx.PutDelivery(earlier) })

			var n int
			update(s, func(tx *store.Tx) (err error) {
				n, err = tx.MarkDeliveriesDue(store.ConnectionFilter{ExpiresAfter: t0.Add(-24 * time.Hour), ExpiresBy: t0}, t0)
				return err
			})
			Expect(n).To(Equal(1))
			got, _, err := s.Delivery(ctx, "ann@example.com")
			Expect(err).NotTo(HaveOccurred())
			earlier.NextAttemptAt = time.Time{}
			Expect(got).To(Equal(earlier))

			update(s, func(tx *store.Tx) (err error) {
				n, err = tx.MarkDeliveriesDue(store.ConnectionFilter{ServiceID: "invoicing"}, t0)
				return err
			})
			Expect(n).To(Equal(1))
			got, _, err = s.Delivery(ctx, "cy@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(store.PendingDelivery{UserEmail: "cy@example.com", Username: "cy", Since: t0}))
			_, ok, err := s.Delivery(ctx, "bob@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})
	})

	Describe("exchange intents", func() {
		It("records, lists a person's, and forgets intents", func() {
			in := store.Intent{RequestID: "req-1", UserEmail: "Ann@example.com", Username: "ann", ServiceID: "crm", TTLDays: 30, StartedAt: t0,
				TokenID: "tok_2", Replaces: "tok_1", Cancelled: true, Retry: store.Retry{Attempts: 1, NextAttemptAt: t0.Add(time.Second), LastError: "timeout"}}
			second := store.Intent{RequestID: "req-0", UserEmail: "ann@example.com", ServiceID: "invoicing", StartedAt: t0.Add(time.Second)}
			update(s, func(tx *store.Tx) error { return errors.Join(tx.PutIntent(in), tx.PutIntent(second)) })
			in.UserEmail = "ann@example.com"
			got, ok, err := s.Intent(ctx, "req-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(got).To(Equal(in))
			ins, err := s.IntentsOf(ctx, "ANN@example.com")
			Expect(err).NotTo(HaveOccurred())
			Expect(ins).To(Equal([]store.Intent{in, second}))
			var forgot bool
			update(s, func(tx *store.Tx) error { forgot, err = tx.RemoveIntent("req-1"); return err })
			Expect(forgot).To(BeTrue())
			_, ok, err = s.Intent(ctx, "req-1")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})
	})
}, backends)

func serviceIDs(cs []services.Connection) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ServiceID)
	}
	return out
}

func emails(cs []services.Connection) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.UserEmail)
	}
	return out
}
