package app_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTable("A storm of changes under injected faults", Label("storm"),
	func(backend storetest.Backend, calls int) {
		env := backendEnv(backend)
		maps.Copy(env, stormEnv)
		d := startDemo(env)
		people := stormPeople(100)
		for _, p := range people {
			Expect(p.signIn(d.portal)).To(Succeed())
		}
		seed := GinkgoRandomSeed()
		ops := stormOps(rand.New(rand.NewPCG(uint64(seed), 2000)), people, calls)
		tally := newStormTally()

		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, op := range ops {
			wg.Go(func() { <-start; op.run(d.portal, tally) })
		}
		began := time.Now()
		close(start)
		wg.Wait()
		stormTook := time.Since(began)
		st := waitDrained(d, 2*time.Minute)
		drainTook := time.Since(began) - stormTook

		rep := checkInvariant(d, st, people)
		faults := faultCounts(d.services)

		Expect(tally.calls.Load()).To(BeNumerically("==", calls))
		Expect(faults["exchange"]+faults["lost"]).To(BeNumerically(">", 0), "the storm injected exchange faults")
		Expect(faults["revoke"]).To(BeNumerically(">", 0), "the storm injected revoke faults")
		Expect(faults["deliver"]).To(BeNumerically(">", 0), "the storm injected delivery faults")
		Expect(rep.minted).To(BeNumerically(">", rep.recorded), "keys were replaced and revoked")
		AddReportEntry("storm", ReportEntryVisibilityAlways, fmt.Sprintf(
			"storm on %s: %d people × 3 services, %d operations, %d calls in %s (seed %d), drained in %s\n  answers: %s\n  faults injected: exchange %d, lost answers %d, revoke %d, health %d, delivery %d\n  %s",
			backend, len(people), len(ops), tally.calls.Load(), stormTook.Round(time.Millisecond), seed, drainTook.Round(time.Millisecond), tally,
			faults["exchange"], faults["lost"], faults["revoke"], faults["health"], faults["deliver"], rep))
	},
	Entry("ends, once the queue drains, with exactly the recorded keys live and delivered, and nothing orphaned, on SQLite", storetest.SQLite, 2000),
	Entry("ends, once the queue drains, with exactly the recorded keys live and delivered, and nothing orphaned, on PostgreSQL", storetest.PostgreSQL, 2000),
)
