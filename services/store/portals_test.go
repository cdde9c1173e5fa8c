package store_test

import (
	"context"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("A portal whose process ended on this machine", func(backend storetest.Backend) {
	var (
		ctx           context.Context
		clk           *clock
		dead, portalB *store.Store
		kill          func()
	)

	BeforeEach(func() {
		ctx = context.Background()
		clk = newClock()
		cfg := databases.Config(backend)
		cfg.Now, cfg.LockLease, cfg.WorkLease = clk.Now, time.Hour, time.Hour
		// The dead portal is a process of its own, as far as the database can tell.
		proc := exec.Command("sleep", "60")
		Expect(proc.Start()).To(Succeed())
		kill = func() {
			_ = proc.Process.Kill()
			_ = proc.Wait()
		}
		DeferCleanup(kill)
		a := cfg
		a.Owner = "portal-a"
		Expect(store.PretendProcess(&a, proc.Process.Pid)).To(Succeed())
		dead = storetest.Open(a)
		b := cfg
		b.Owner = "portal-b"
		portalB = storetest.Open(b)
		update(dead, func(tx *store.Tx) error {
			return tx.PutRevocation(revocation("crm", "tok_1", time.Time{}))
		})
	})

	It("keeps its lock and claims while its process lives, however long", func() {
		_, err := dead.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		claimed, err := dead.ClaimDueRevocations(ctx, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(claimed).To(HaveLen(1))
		time.Sleep(1100 * time.Millisecond) // past the reaper's pause
		_, ok, err := portalB.TryLock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeFalse())
		again, err := portalB.ClaimDueRevocations(ctx, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(again).To(BeEmpty())
	})

	It("has its locks and claims freed at once, long before their leases run out", func() {
		_, err := dead.Lock(ctx, "ann")
		Expect(err).NotTo(HaveOccurred())
		claimed, err := dead.ClaimDueRevocations(ctx, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(claimed).To(HaveLen(1))
		kill()

		Eventually(func(g Gomega) {
			unlock, ok, err := portalB.TryLock(ctx, "ann")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(ok).To(BeTrue())
			unlock()
		}).WithTimeout(5 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
		again, err := portalB.ClaimDueRevocations(ctx, 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(tokens(again)).To(Equal([]string{"tok_1"}))
		portals, err := store.QueryStrings(portalB, "SELECT owner FROM portals ORDER BY owner")
		Expect(err).NotTo(HaveOccurred())
		Expect(portals).To(Equal([]string{"portal-b"}), "the dead portal is forgotten")
	})
}, backends)
