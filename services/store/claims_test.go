package store_test

import (
	"context"
	"errors"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("Claiming due work", func(backend storetest.Backend) {
	var (
		ctx              context.Context
		clk              *clock
		portalA, portalB *store.Store
	)

	BeforeEach(func() {
		ctx = context.Background()
		clk = newClock()
		cfg := databases.Config(backend)
		cfg.Now, cfg.WorkLease = clk.Now, time.Minute
		cfg.Owner = "portal-a"
		portalA = storetest.Open(cfg)
		cfg.Owner = "portal-b"
		portalB = storetest.Open(cfg)
	})

	Describe("revocations", func() {
		BeforeEach(func() {
			waiting := revocation("crm", "tok_admin", t0.Add(-time.Hour))
			waiting.NeedsAttention = true
			update(portalA, func(tx *store.Tx) error {
				for _, r := range []store.Revocation{
					revocation("crm", "tok_due2", t0.Add(-time.Second)),
					revocation("crm", "tok_due1", t0.Add(-time.Minute)),
					revocation("crm", "tok_now", time.Time{}),
					revocation("crm", "tok_later", t0.Add(time.Second)),
					waiting,
				} {
					if err := tx.PutRevocation(r); err != nil {
						return err
					}
				}
				return nil
			})
		})

		It("claims the due ones not waiting for an admin, soonest first, and no portal claims them twice", func() {
			got, err := portalA.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(got)).To(Equal([]string{"tok_now", "tok_due1", "tok_due2"}))
			again, err := portalB.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(BeEmpty())
			again, err = portalA.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(again).To(BeEmpty())
		})

		It("claims no more than the limit", func() {
			got, err := portalA.ClaimDueRevocations(ctx, 2)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(got)).To(Equal([]string{"tok_now", "tok_due1"}))
			rest, err := portalB.ClaimDueRevocations(ctx, 2)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(rest)).To(Equal([]string{"tok_due2"}))
		})

		It("lets another portal take over a lease that ran out (its portal died)", func() {
			_, err := portalA.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			clk.Advance(time.Minute)
			got, err := portalB.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(got)).To(ConsistOf("tok_now", "tok_due1", "tok_due2", "tok_later"))
		})

		It("ends the lease when the outcome is written, or released", func() {
			got, err := portalA.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			failed := got[0]
			failed.Attempts++
			update(portalA, func(tx *store.Tx) error { return tx.PutRevocation(failed) })
			Expect(portalA.ReleaseRevocation(ctx, "crm", "tok_due1")).To(Succeed())
			Expect(portalB.ReleaseRevocation(ctx, "crm", "tok_due2")).To(Succeed()) // not B's: stays A's
			again, err := portalB.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(again)).To(Equal([]string{"tok_now", "tok_due1"}))
		})

		It("claims one named entry, due or not, unless another holds it", func() {
			r, ok, err := portalA.ClaimRevocation(ctx, "crm", "tok_later")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue())
			Expect(r.TokenID).To(Equal("tok_later"))
			_, ok, err = portalB.ClaimRevocation(ctx, "crm", "tok_later")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
			_, ok, err = portalA.ClaimRevocation(ctx, "crm", "tok_later")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse(), "a second try in the same portal waits too")
			_, ok, err = portalA.ClaimRevocation(ctx, "crm", "tok_unknown")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
		})

		It("gives each due entry to exactly one of two portals claiming at once", func() {
			update(portalA, func(tx *store.Tx) error {
				for i := range 60 {
					if err := tx.PutRevocation(revocation("invoicing", "tok_"+string(rune('A'+i%26))+string(rune('a'+i/26)), t0.Add(-time.Minute))); err != nil {
						return err
					}
				}
				return nil
			})
			var mu sync.Mutex
			seen := map[string]int{}
			var wg sync.WaitGroup
			for _, p := range []*store.Store{portalA, portalB, portalA, portalB} {
				wg.Go(func() {
					defer GinkgoRecover()
					for {
						got, err := p.ClaimDueRevocations(ctx, 4)
						Expect(err).NotTo(HaveOccurred())
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, r := range got {
							seen[r.ServiceID+"/"+r.TokenID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			Expect(seen).To(HaveLen(63))
			for k, n := range seen {
				Expect(n).To(Equal(1), k)
			}
		})

		It("leases a freshly queued entry to the portal that queued it, which alone makes its first attempt", func() {
			var fresh, again bool
			update(portalA, func(tx *store.Tx) error {
				var err error
				fresh, err = tx.QueueRevocation(revocation("crm", "tok_fresh", t0))
				return err
			})
			update(portalB, func(tx *store.Tx) error {
				var err error
				again, err = tx.QueueRevocation(revocation("crm", "tok_fresh", t0))
				return err
			})
			Expect([]bool{fresh, again}).To(Equal([]bool{true, false}))
			clk.Advance(time.Second)
			_, ok, err := portalB.ClaimRevocation(ctx, "crm", "tok_fresh")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeFalse())
			for _, p := range []*store.Store{portalA, portalB} {
				due, err := p.ClaimDueRevocations(ctx, 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(tokens(due)).NotTo(ContainElement("tok_fresh"))
			}
			clk.Advance(time.Minute)
			due, err := portalB.ClaimDueRevocations(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(tokens(due)).To(ContainElement("tok_fresh"))
		})
	})

	Describe("deliveries and intents", func() {
		BeforeEach(func() {
			update(portalA, func(tx *store.Tx) error {
				return errors.Join(
					tx.PutDelivery(store.PendingDelivery{UserEmail: "ann@example.com", Username: "ann", Since: t0}),
					tx.PutDelivery(store.PendingDelivery{UserEmail: "bob@example.com", Username: "bob", Since: t0, Retry: store.Retry{NextAttemptAt: t0.Add(time.Hour)}}),
					tx.PutIntent(store.Intent{RequestID: "req-due", UserEmail: "ann@example.com", ServiceID: "crm", StartedAt: t0}),
					tx.PutIntent(store.Intent{RequestID: "req-later", UserEmail: "ann@example.com", ServiceID: "crm", StartedAt: t0, Retry: store.Retry{NextAttemptAt: t0.Add(time.Hour)}}),
				)
			})
		})

		It("claims due deliveries for one portal at a time, until released or run out", func() {
			got, err := portalA.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].UserEmail).To(Equal("ann@example.com"))
			none, err := portalB.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(none).To(BeEmpty())
			Expect(portalA.ReleaseDelivery(ctx, "ANN@example.com")).To(Succeed())
			got, err = portalB.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			clk.Advance(time.Hour)
			got, err = portalA.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(2), "B's lease ran out, and bob's delivery came due")
		})

		It("passes over the people whose lock is held, and claims them once it is released", func() {
			update(portalA, func(tx *store.Tx) error {
				return tx.PutIntent(store.Intent{RequestID: "req-ann", UserEmail: "ann@example.com", Username: "ann", ServiceID: "crm", StartedAt: t0})
			})
			unlock, err := portalB.Lock(ctx, "ann")
			Expect(err).NotTo(HaveOccurred())
			ds, err := portalA.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(ds).To(BeEmpty(), "ann's own use case delivers")
			ins, err := portalA.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(ins).To(ConsistOf(HaveField("RequestID", "req-due")), "an intent without an account name is nobody's lock")
			unlock()
			ds, err = portalA.ClaimDueDeliveries(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(ds).To(ConsistOf(HaveField("UserEmail", "ann@example.com")))
			ins, err = portalA.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(ins).To(ConsistOf(HaveField("RequestID", "req-ann")))
		})

		It("claims due intents for one portal at a time, until written or run out", func() {
			got, err := portalA.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].RequestID).To(Equal("req-due"))
			none, err := portalB.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(none).To(BeEmpty())
			in := got[0]
			in.Attempts++
			update(portalA, func(tx *store.Tx) error { return tx.PutIntent(in) })
			got, err = portalB.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
			Expect(got[0].Attempts).To(Equal(1))
			Expect(portalB.ReleaseIntent(ctx, "req-due")).To(Succeed())
			got, err = portalA.ClaimDueIntents(ctx, 10)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(HaveLen(1))
		})
	})
}, backends)

func tokens(rs []store.Revocation) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.TokenID)
	}
	return out
}
