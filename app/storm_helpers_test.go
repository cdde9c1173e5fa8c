package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// stormServices are the demo's services with the env var each key is delivered as.
var stormServices = map[string]string{"purchase_orders": "PO_API_KEY", "invoicing": "INVOICING_API_KEY", "crm": "CRM_API_KEY"}

// stormFaults is the fault mix of the storm, plus lost exchange answers, which
// mint a key the portal never hears of unless it replays the request.
const stormFaults = "exchange=0.1,lost=0.05,revoke=0.2,health=0.1,deliver=0.05,latency=0-200ms"

// stormEnv makes the demo retry fast enough for a spec, and never give up on a revocation.
var stormEnv = map[string]string{
	"SC_DEMO_FAULTS": stormFaults, "SC_RETRY_BASE": "50ms", "SC_RETRY_MAX": "1s",
	"SC_REVOKE_ATTEMPTS": "1000", "SC_HEALTH_INTERVAL": "1s", "SC_LOG_LEVEL": "error", "SC_SESSION_SECRET": "storm-session-secret-0123456789abcdef",
}

// stormPerson is one person with their own cookie jar. Its calls never assert: under a storm
// an error answer is expected, and is counted instead.
type stormPerson struct {
	email, user string
	client      *http.Client
}

func stormPeople(n int) []*stormPerson {
	GinkgoHelper()
	people := make([]*stormPerson, n)
	for i := range people {
		jar, err := cookiejar.New(nil)
		Expect(err).NotTo(HaveOccurred())
		user := fmt.Sprintf("p%03d", i)
		people[i] = &stormPerson{email: user + "@example.com", user: user, client: &http.Client{
			Jar: jar, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	}
	return people
}

// signIn signs the person in at portal with dev sign-in.
func (p *stormPerson) signIn(portal string) error {
	resp, err := p.client.PostForm(portal+"/auth/dev-login", url.Values{"email": {p.email}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("dev sign-in of %s: HTTP %d", p.email, resp.StatusCode)
	}
	return nil
}

// call posts one JSON API action and returns the status, or 0 when no answer came.
func (p *stormPerson) call(portal, action, serviceID string) int {
	req, err := http.NewRequest(http.MethodPost, portal+"/api/service-connectors/"+action, strings.NewReader(`{"service_id":"`+serviceID+`"}`))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// stormTally counts the calls of a storm by kind and answer.
type stormTally struct {
	mu       sync.Mutex
	calls    atomic.Int64
	byStatus map[string]int
}

func newStormTally() *stormTally { return &stormTally{byStatus: map[string]int{}} }

func (t *stormTally) add(kind string, status int) {
	t.calls.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	label := fmt.Sprintf("%s %d", kind, status)
	if status == 0 {
		label = kind + " no answer"
	}
	t.byStatus[label]++
}

func (t *stormTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(t.byStatus)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, t.byStatus[k]))
	}
	return strings.Join(parts, ", ")
}

// stormOp is one operation: a connect, a disconnect, or a reconnect (a disconnect and a
// connect back to back, two calls).
type stormOp struct {
	person  *stormPerson
	service string
	kind    string
}

// stormOps draws operations adding up to calls calls, over people and the three services.
func stormOps(rng *rand.Rand, people []*stormPerson, calls int) []stormOp {
	ids := slices.Sorted(maps.Keys(stormServices))
	var ops []stormOp
	for n := 0; n < calls; {
		op := stormOp{person: people[rng.IntN(len(people))], service: ids[rng.IntN(len(ids))]}
		switch r := rng.Float64(); {
		case r < 0.5:
			op.kind, n = "connect", n+1
		case r < 0.8 || calls-n < 2:
			op.kind, n = "disconnect", n+1
		default:
			op.kind, n = "reconnect", n+2
		}
		ops = append(ops, op)
	}
	return ops
}

// run makes the operation's calls against portal.
func (op stormOp) run(portal string, tally *stormTally) {
	switch op.kind {
	case "reconnect":
		tally.add("reconnect/disconnect", op.person.call(portal, "disconnect", op.service))
		tally.add("reconnect/connect", op.person.call(portal, "connect", op.service))
	default:
		tally.add(op.kind, op.person.call(portal, op.kind, op.service))
	}
}

// waitDrained waits until the demo's store holds no unfinished work, and returns its state.
func waitDrained(d *demo, within time.Duration) store.State {
	GinkgoHelper()
	s := d.openStore()
	var st store.State
	Eventually(func(g Gomega) {
		st = storetest.State(s)
		g.Expect(st.Intents).To(BeEmpty(), "unfinished exchanges")
		g.Expect(st.Deliveries).To(BeEmpty(), "pending deliveries")
		g.Expect(st.Revocations).To(BeEmpty(), "queued revocations")
	}).WithTimeout(within).WithPolling(100 * time.Millisecond).Should(Succeed())
	return st
}

// tokenCounts reads a reference service's state file in stateDir: how many keys it ever
// minted (none is pruned within a spec) and how many of them are revoked.
func tokenCounts(stateDir, serviceID string) (minted, revoked int) {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(stateDir, serviceID+".json"))
	Expect(err).NotTo(HaveOccurred())
	var f struct {
		Tokens []struct {
			Revoked bool `json:"revoked"`
		} `json:"tokens"`
	}
	Expect(json.Unmarshal(data, &f)).To(Succeed())
	for _, t := range f.Tokens {
		if t.Revoked {
			revoked++
		}
	}
	return len(f.Tokens), revoked
}

// invariantReport is what checkInvariant found.
type invariantReport struct {
	recorded, live, orphaned, missing, minted, revoked int
	audited                                            int64 // audit records whose chain verified
}

func (r invariantReport) String() string {
	return fmt.Sprintf("tokens minted %d, revoked %d, live %d; connections recorded %d; orphaned %d; recorded but not live %d; audit records %d, their chain verified",
		r.minted, r.revoked, r.live, r.recorded, r.orphaned, r.missing, r.audited)
}

// checkInvariant checks DESIGN's invariant on a drained demo: the live tokens at the
// services are exactly the recorded connections, and each person's delivered files hold
// exactly their recorded, unexpired keys and the skills of those services.
func checkInvariant(d *demo, st store.State, people []*stormPerson) invariantReport {
	GinkgoHelper()
	var rep invariantReport
	recorded := map[string]map[string]bool{}  // service → token ids
	wantEnv := map[string]map[string]string{} // user → env var → key
	for _, c := range st.Connections {
		if recorded[c.ServiceID] == nil {
			recorded[c.ServiceID] = map[string]bool{}
		}
		recorded[c.ServiceID][c.TokenID] = true
		if wantEnv[c.Username] == nil {
			wantEnv[c.Username] = map[string]string{}
		}
		if !c.Expired(time.Now()) {
			wantEnv[c.Username][stormServices[c.ServiceID]] = c.APIKey.Reveal()
		}
		rep.recorded++
	}
	for id := range stormServices {
		live := map[string]bool{}
		for _, t := range d.liveTokens(id) {
			live[t] = true
			rep.live++
			if !recorded[id][t] {
				rep.orphaned++
			}
		}
		for t := range recorded[id] {
			if !live[t] {
				rep.missing++
			}
		}
		minted, revoked := tokenCounts(d.servicesStateDir(), id)
		rep.minted += minted
		rep.revoked += revoked
	}
	Expect(rep.orphaned).To(BeZero(), "live keys nobody recorded")
	Expect(rep.missing).To(BeZero(), "recorded keys the service does not hold live")
	check, err := d.openStore().VerifyAudit(context.Background())
	Expect(err).NotTo(HaveOccurred())
	Expect(check.Bad).To(BeNil(), "the audit log's chain holds, whatever was appended at once or cut short")
	Expect(check.Records).To(BeNumerically(">", 0))
	rep.audited = check.Records
	for _, p := range people {
		got := map[string]string{}
		content, _, _ := d.home(p.user, ".service_env")
		for _, line := range strings.Split(content, "\n") {
			if name, value, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
				got[name] = value
			}
		}
		want := wantEnv[p.user]
		if want == nil {
			want = map[string]string{}
		}
		Expect(got).To(Equal(want), "the delivered .service_env of %s", p.user)
		var skills, wantSkills []string
		entries, _ := os.ReadDir(filepath.Join(d.dataDir, "homes", p.user, ".claude_rules"))
		for _, e := range entries {
			skills = append(skills, e.Name())
		}
		for id := range recordedServicesOf(st, p.email) {
			wantSkills = append(wantSkills, "sc_"+id+".md")
		}
		Expect(skills).To(ConsistOf(wantSkills), "the delivered skills of %s", p.user)
	}
	return rep
}

func recordedServicesOf(st store.State, email string) map[string]bool {
	out := map[string]bool{}
	for _, c := range st.Connections {
		if c.UserEmail == email {
			out[c.ServiceID] = true
		}
	}
	return out
}

// faultCounts reads the demo's /debug/faults.
func faultCounts(servicesURL string) map[string]int64 {
	GinkgoHelper()
	resp, err := http.Get(servicesURL + "/debug/faults")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var answer struct {
		Faults map[string]int64 `json:"faults"`
	}
	Expect(json.NewDecoder(resp.Body).Decode(&answer)).To(Succeed())
	return answer.Faults
}
