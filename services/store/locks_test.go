package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("A person's lock", func(backend storetest.Backend) {
	var (
		ctx              context.Context
		cfg              store.Config
		clkA, clkB       *clock
		portalA, portalB *store.Store
	)

	BeforeEach(func() {
		ctx = context.Background()
		clkA, clkB = newClock(), newClock()
		cfg = databases.Config(backend)
		cfg.LockLease = time.Minute
		a, b := cfg, cfg
		a.Owner, a.Now = "portal-a", clkA.Now
		b.Owner, b.Now = "portal-b", clkB.Now
		portalA, portalB = storetest.Open(a), storetest.Open(b)
	})

	It("is held by one portal at a time, and passes on when released", func() {
		unlock, err := portalA.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		_, ok, err := portalB.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		_, ok, err = portalA.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "nor twice in one portal")
		other, ok, err := portalB.TryLock(ctx, "bob")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "another person's lock is free")
		other()

		got := make(chan func(), 1)
		go func() {
			defer GinkgoRecover()
			u, err := portalB.Lock(ctx, "ann")
			Expect(err).NotTo(HaveOccurred())
			got <- u
		}()
		Consistently(got, 200*time.Millisecond).ShouldNot(Receive())
		unlock()
		var unlockB func()
		Eventually(got, 5*time.Second).Should(Receive(&unlockB))
		unlockB()
	})

	It("gives up waiting when the caller's context ends, with a safe error", func() {
		unlock, err := portalA.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(unlock)
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err = portalB.Lock(short, "ann")
		Expect(services.ErrorCode(err)).To(Equal(services.EUnavailable))
		Expect(services.ErrorMessage(err)).To(ContainSubstring("still in progress"))
	})

	It("is taken over once the lease of a holder that died runs out", func() {
		_, err := portalA.Lock(ctx, "ann") // never released: portal A dies
		Expect(err).NotTo(HaveOccurred())
		portalA.Close()
		_, ok, err := portalB.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())

		got := make(chan func(), 1)
		go func() {
			defer GinkgoRecover()
			u, err := portalB.Lock(ctx, "ann")
			Expect(err).NotTo(HaveOccurred())
			got <- u
		}()
		Consistently(got, 100*time.Millisecond).ShouldNot(Receive())
		clkB.Advance(time.Minute)
		var unlock func()
		Eventually(got, 5*time.Second).Should(Receive(&unlock))
		unlock()
	})

	It("is not released by a holder that outlived its lease", func() {
		late, err := portalA.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		clkB.Advance(time.Minute)
		unlock, ok, err := portalB.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		late() // portal A comes back and releases what it no longer holds
		clkA.Advance(time.Minute)
		_, ok, err = portalA.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse(), "portal B's lease still runs")
		unlock()
	})

	It("lets a double click landing on two portals mint at most one key", func() {
		var minted atomic.Int32
		connect := func(p *store.Store) {
			defer GinkgoRecover()
			unlock, err := p.Lock(ctx, "ann")
			Expect(err).NotTo(HaveOccurred())
			defer unlock()
			_, connected, err := p.Get(ctx, "ann@example.com", "crm")
			Expect(err).NotTo(HaveOccurred())
			if connected {
				return
			}
			minted.Add(1)
			time.Sleep(5 * time.Millisecond) // the exchange, outside any transaction
			put(p, connection("ann@example.com", "crm"))
		}
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() { connect([]*store.Store{portalA, portalB}[i%2]) })
		}
		wg.Wait()
		Expect(minted.Load()).To(Equal(int32(1)))
	})

	It("leaves rows that ran out for PurgeExpired", func() {
		_, err := portalA.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		_, locks, err := portalB.PurgeExpired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(locks).To(Equal(0))
		clkB.Advance(time.Minute)
		_, locks, err = portalB.PurgeExpired(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(locks).To(Equal(1))
	})
}, backends)
