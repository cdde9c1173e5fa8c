package app_test

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/deploy"
	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// twoPortals is two demo processes of the built binary sharing one PostgreSQL database, one
// registry, one set of reference services (run by the spec) and one data dir (the homes, as
// hosts sharing /home do).
type twoPortals struct {
	bin, dataDir string
	env          map[string]string
	refs         map[string]*refservice.Service
	shared       *demo // the shared state: database, homes, the reference services
	a            *demo
	b            atomic.Pointer[demo] // portal B moves to new ports each time it restarts
	bSession     *gexec.Session
}

// startTwoPortals starts the reference services with faults and both portals, whose
// deliveries fail as demoFaults says (SC_DEMO_FAULTS).
func startTwoPortals(faults, demoFaults string) *twoPortals {
	GinkgoHelper()
	t := &twoPortals{bin: buildBinary(), dataDir: GinkgoT().TempDir(), refs: map[string]*refservice.Service{}}
	stateDir := GinkgoT().TempDir()
	parsed, err := refservice.ParseFaults(faults)
	Expect(err).NotTo(HaveOccurred())
	parsed.Counts = &refservice.FaultCounts{}
	apis := map[string]refservice.API{"purchase_orders": refservice.PurchaseOrders, "invoicing": refservice.Invoicing, "crm": refservice.CRM}
	var refs []*refservice.Service
	t.env = backendEnv(storetest.PostgreSQL)
	for id, api := range apis {
		secret := services.Secret("two-portals-secret-of-" + id)
		ref, err := refservice.New(refservice.Config{ID: id, Name: id, API: api, Secret: secret, DebugTokens: true, Faults: parsed,
			StateFile: filepath.Join(stateDir, id+".json")})
		Expect(err).NotTo(HaveOccurred())
		t.refs[id] = ref
		refs = append(refs, ref)
		t.env["SC_SECRET_"+map[string]string{"purchase_orders": "PURCHASE_ORDERS", "invoicing": "INVOICING", "crm": "CRM"}[id]] = secret.Reveal()
	}
	server := httptest.NewServer(refservice.Handler(refs...))
	DeferCleanup(server.Close)

	example, err := deploy.Files.ReadFile("service_connectors.json")
	Expect(err).NotTo(HaveOccurred())
	registryFile := filepath.Join(GinkgoT().TempDir(), "service_connectors.json")
	Expect(os.WriteFile(registryFile, bytes.ReplaceAll(example, []byte("http://127.0.0.1:8081/"), []byte(server.URL+"/")), 0o600)).To(Succeed())
	skills, err := filepath.Abs("../deploy/skills")
	Expect(err).NotTo(HaveOccurred())
	maps.Copy(t.env, map[string]string{
		"SC_REGISTRY_FILE": registryFile, "SC_SKILLS_DIR": skills,
		// Only the portals' delivery faults: the services' are the spec's.
		"SC_DEMO_FAULTS": demoFaults,
	})
	t.shared = &demo{services: server.URL, dataDir: t.dataDir, databaseURL: t.env["SC_DATABASE_URL"], servicesState: stateDir}
	t.a, _ = startDemoProcess(t.bin, t.dataDir, t.env)
	t.startB()
	return t
}

// startB starts portal B, on new ports.
func (t *twoPortals) startB() {
	GinkgoHelper()
	b, session := startDemoProcess(t.bin, t.dataDir, t.env)
	t.b.Store(b)
	t.bSession = session
}

// killB kills portal B with SIGKILL.
func (t *twoPortals) killB() {
	GinkgoHelper()
	t.bSession.Kill()
	Eventually(t.bSession, 10*time.Second).Should(gexec.Exit())
}

// portal picks portal A or B at random.
func (t *twoPortals) portal(rng *rand.Rand) string {
	if rng.IntN(2) == 0 {
		return t.a.portal
	}
	return t.b.Load().portal
}

// liveKeysPerPersonAndService counts the live keys at the services for each person and
// service.
func (t *twoPortals) liveKeysPerPersonAndService() map[string]int {
	out := map[string]int{}
	for id, ref := range t.refs {
		for _, tok := range ref.LiveTokens() {
			out[tok.UserEmail+" "+id]++
		}
	}
	return out
}

var _ = Describe("Two portals sharing one PostgreSQL database", Label("two-portals"), func() {
	It("stay consistent under a storm on both while one is SIGKILLed again and again: the live keys are exactly the recorded connections", func() {
		t := startTwoPortals(stormFaults, "deliver=0.05")
		people := stormPeople(40)
		for _, p := range people {
			Expect(p.signIn(t.a.portal)).To(Succeed(), "a session started on A works on B too: it is in the database")
		}
		seed := uint64(GinkgoRandomSeed())
		tallyA, tallyB := newStormTally(), newStormTally()
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 24 {
			wrng := rand.New(rand.NewPCG(seed, uint64(w)))
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					portal, tally := t.a.portal, tallyA
					if wrng.IntN(2) == 1 {
						portal, tally = t.b.Load().portal, tallyB
					}
					stormOps(wrng, people, 2)[0].run(portal, tally)
				}
			})
		}
		rng := rand.New(rand.NewPCG(seed, 9))
		const kills = 12
		for range kills {
			time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
			t.killB()
			t.startB()
		}
		close(stop)
		wg.Wait()

		began := time.Now()
		st := waitDrained(t.shared, 2*time.Minute)
		rep := checkInvariant(t.shared, st, people)
		perPerson := t.liveKeysPerPersonAndService()
		for k, n := range perPerson {
			Expect(n).To(Equal(1), "live keys of %s", k)
		}
		Expect(len(perPerson)).To(Equal(rep.recorded))
		Expect(tallyA.byStatus).NotTo(HaveKey(ContainSubstring("no answer")), "portal A went on throughout")
		Expect(rep.minted).To(BeNumerically(">", rep.recorded))
		AddReportEntry("two portals", ReportEntryVisibilityAlways, fmt.Sprintf(
			"two portals on PostgreSQL, %d SIGKILLs of portal B during a storm of %d people (seed %d)\n  portal A answered: %s\n  portal B answered: %s\n  after the storm, reconciled in %s: %s",
			kills, len(people), seed, tallyA, tallyB, time.Since(began).Round(time.Millisecond), rep))
	})

	It("mint at most one live key for a double click that lands on both portals", func() {
		t := startTwoPortals("latency=20-80ms", "")
		alice := stormPeople(1)[0]
		Expect(alice.signIn(t.a.portal)).To(Succeed())
		for round := range 10 {
			Expect(alice.call(t.a.portal, "disconnect", "crm")).To(Equal(http.StatusOK))
			mintedBefore, _ := tokenCounts(t.shared.servicesStateDir(), "crm")
			statuses := make(chan int, 2)
			start := make(chan struct{})
			for _, portal := range []string{t.a.portal, t.b.Load().portal} {
				go func() { <-start; statuses <- alice.call(portal, "connect", "crm") }()
			}
			close(start)
			Expect([]int{<-statuses, <-statuses}).To(Equal([]int{http.StatusOK, http.StatusOK}), "round %d", round)
			minted, _ := tokenCounts(t.shared.servicesStateDir(), "crm")
			Expect(minted-mintedBefore).To(Equal(1), "round %d: keys minted for one double click", round)
			live := t.liveKeysPerPersonAndService()
			Expect(live).To(HaveKeyWithValue(alice.email+" crm", 1))
			recorded := t.shared.recorded(alice.email)
			Expect(slices.ContainsFunc(recorded, func(c services.Connection) bool { return c.ServiceID == "crm" })).To(BeTrue())
		}
	})
})
