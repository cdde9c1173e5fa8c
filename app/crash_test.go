package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTable("The demo killed with SIGKILL in the middle of a storm", Label("crash"),
	func(backend storetest.Backend, kills int) {
		bin := buildBinary()
		dataDir := GinkgoT().TempDir()
		env := backendEnv(backend)
		people := stormPeople(40)
		seed := uint64(GinkgoRandomSeed())
		rng := rand.New(rand.NewPCG(seed, 7))
		tally := newStormTally()
		faults := map[string]int64{}
		var leftIntents, leftDeliveries, leftRevocations int // unfinished work the kills left

		for kill := range kills {
			d, session := startDemoProcess(bin, dataDir, env)
			for _, p := range people {
				Expect(p.signIn(d.portal)).To(Succeed())
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 24 {
				wrng := rand.New(rand.NewPCG(seed, uint64(kill*100+w)))
				wg.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						stormOps(wrng, people, 2)[0].run(d.portal, tally)
					}
				})
			}
			time.Sleep(time.Duration(150+rng.IntN(1200)) * time.Millisecond)
			for k, n := range faultCounts(d.services) {
				faults[k] += n // counted up to a moment before the kill
			}
			close(stop) // calls in flight are cut by the kill; no new ones start
			session.Kill()
			Eventually(session, 10*time.Second).Should(gexec.Exit())
			wg.Wait()

			s, err := store.Open(context.Background(), store.Config{DataDir: dataDir, DatabaseURL: services.Secret(d.databaseURL), Keys: d.storeKeys(), Log: discardLog()})
			Expect(err).NotTo(HaveOccurred(), "the database opens after kill %d", kill+1)
			left := storetest.State(s)
			check, err := s.VerifyAudit(context.Background())
			Expect(err).NotTo(HaveOccurred())
			Expect(check.Bad).To(BeNil(), "the audit log's chain holds after kill %d", kill+1)
			s.Close()
			leftIntents += len(left.Intents)
			leftDeliveries += len(left.Deliveries)
			leftRevocations += len(left.Revocations)
		}

		d, session := startDemoProcess(bin, dataDir, env)
		began := time.Now()
		st := waitDrained(d, 2*time.Minute)
		rep := checkInvariant(d, st, people)
		session.Terminate()
		Eventually(session, 20*time.Second).Should(gexec.Exit(0))
		AddReportEntry("crash", ReportEntryVisibilityAlways, fmt.Sprintf(
			"crash on %s: %d SIGKILLs during a storm of %d people (seed %d); %d calls made\n  answers: %s\n  faults injected (at least): exchange %d, lost answers %d, revoke %d, health %d, delivery %d\n  found in the database after each kill (summed): %d unfinished exchanges, %d pending deliveries, %d queued revocations\n  after the last restart, reconciled in %s: %s",
			backend, kills, len(people), seed, tally.calls.Load(), tally,
			faults["exchange"], faults["lost"], faults["revoke"], faults["health"], faults["deliver"],
			leftIntents, leftDeliveries, leftRevocations, time.Since(began).Round(time.Millisecond), rep))
		Expect(rep.minted).To(BeNumerically(">", 0))
	},
	Entry("always leaves a database that opens, and after reconciliation only recorded keys are live and delivered, on SQLite", storetest.SQLite, 22),
	Entry("always leaves a database that opens, and after reconciliation only recorded keys are live and delivered, on PostgreSQL", storetest.PostgreSQL, 22),
)

// buildBinary builds the program once per spec, removed when the spec ends.
func buildBinary() string {
	GinkgoHelper()
	bin, err := gexec.Build("github.com/service-connector/service-connector")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
	return bin
}

// discardLog is a logger whose lines go nowhere.
func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startDemoProcess runs the built binary's demo as its own process on free ports, with the
// storm's faults and env on top, so that it can be killed for real, and waits until it
// serves.
func startDemoProcess(bin, dataDir string, env map[string]string) (*demo, *gexec.Session) {
	GinkgoHelper()
	session := launchDemoProcess(bin, dataDir, env)
	Eventually(session.Out, 20*time.Second).Should(gbytes.Say(`delivering into`))
	out := string(session.Out.Contents())
	return &demo{
		portal:      "http://" + portalLine.FindStringSubmatch(out)[1],
		services:    "http://" + servicesLine.FindStringSubmatch(out)[1],
		dataDir:     dataDir,
		databaseURL: env["SC_DATABASE_URL"],
	}, session
}

// launchDemoProcess starts the built binary's demo with the storm's settings and env on top,
// without waiting for it; it is killed when the spec ends.
func launchDemoProcess(bin, dataDir string, env map[string]string) *gexec.Session {
	GinkgoHelper()
	cmd := exec.Command(bin, "demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "SC_ADDR=127.0.0.1:0", "SC_DEMO_SERVICES_ADDR=127.0.0.1:0", "SC_DATA_DIR=" + dataDir}
	for k, v := range stormEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() { session.Kill() })
	return session
}
