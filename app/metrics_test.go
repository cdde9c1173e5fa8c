package app_test

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/app/metrics/metricstest"
)

// metricsLine is the demo's start-up line naming the metrics' address.
var metricsLine = regexp.MustCompile(`metrics: +(http://\S+/metrics)`)

// metricsURL is where the demo serves its metrics, from its start-up lines.
func (d *demo) metricsURL() string {
	GinkgoHelper()
	m := metricsLine.FindStringSubmatch(string(d.stdout.Contents()))
	Expect(m).NotTo(BeNil(), "the demo names the metrics' address")
	return m[1]
}

// scrapeDemo scrapes the demo's metrics, checks that they name no person, token or key of
// private, and returns them parsed.
func scrapeDemo(d *demo, private *[]string) metricstest.Scrape {
	GinkgoHelper()
	s, err := metricstest.Get(d.metricsURL())
	Expect(err).NotTo(HaveOccurred())
	for _, p := range *private {
		Expect(s.Text).NotTo(ContainSubstring(p), "the metrics hold something private")
	}
	return s
}

// The names of the demo's services and the metrics the specs read.
const (
	po, crm, invoicing = "purchase_orders", "crm", "invoicing"

	mExchanges   = "service_connector_exchanges_total"
	mRevocations = "service_connector_revocations_total"
	mDeliveries  = "service_connector_deliveries_total"
	mHTTP        = "service_connector_http_request_duration_seconds"
	mCommits     = "service_connector_store_commit_duration_seconds"
	mQueued      = "service_connector_revocations_queued"
	mAttention   = "service_connector_revocations_needing_attention"
	mPending     = "service_connector_deliveries_pending"
	mUnfinished  = "service_connector_exchanges_unfinished"
	mLive        = "service_connector_live_keys"
	mExpiring    = "service_connector_live_keys_expiring"
	mHealth      = "service_connector_service_health"
)

var _ = Describe("The demo's metrics on SC_METRICS_ADDR", func() {
	var (
		dataDir string
		private *[]string // what no scrape may hold: emails, names, token ids, keys
		env     func(extra map[string]string) map[string]string
	)

	BeforeEach(func() {
		dataDir = GinkgoT().TempDir()
		private = &[]string{"@", "example.com", "alice", "bob", "carol"}
		env = func(extra map[string]string) map[string]string {
			// Retries wait an hour, so the worker changes nothing while the spec looks.
			vars := map[string]string{"SC_METRICS_ADDR": "127.0.0.1:0", "SC_DATA_DIR": dataDir,
				"SC_RETRY_BASE": "1h", "SC_RETRY_MAX": "2h"}
			for k, v := range extra {
				vars[k] = v
			}
			return vars
		}
	})

	It("move with a connect, a failed exchange, a queued revocation and a disconnect, and hold no person, token or key", func() {
		By("a demo whose services answer")
		d := startDemo(env(nil))
		s := scrapeDemo(d, private)
		for _, family := range []string{mExchanges, mRevocations, mDeliveries, mQueued, mAttention, mPending, mUnfinished, mLive, mExpiring, mHealth} {
			Expect(s.Families).To(HaveKey(family))
		}
		Expect(s.Sum(mExchanges)).To(BeZero())
		Expect(s.Series(mExchanges)).To(ContainElement(map[string]string{"service": po, "outcome": "ok"}))
		Expect(s.Sum(mLive)).To(BeZero())
		Expect(s.Families).To(HaveKey("go_goroutines"))
		Expect(s.Families).To(HaveKey("process_resident_memory_bytes"))

		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", po).status).To(Equal(http.StatusOK))
		htmx := alice.do(http.MethodPost, "/connectors/"+crm+"/connect", "application/x-www-form-urlencoded", "", "HX-Request", "true")
		Expect(htmx.status).To(Equal(http.StatusOK))
		recorded := d.recorded("alice@example.com")
		Expect(recorded).To(HaveLen(2))
		for _, c := range recorded {
			*private = append(*private, c.TokenID, c.APIKey.Reveal())
		}

		s = scrapeDemo(d, private)
		Expect(s.Sum(mExchanges, "service", po, "outcome", "ok")).To(Equal(1.0))
		Expect(s.Sum(mExchanges, "service", crm, "outcome", "ok")).To(Equal(1.0))
		Expect(s.Sum(mExchanges, "outcome", "failed")).To(BeZero())
		Expect(s.Sum(mDeliveries, "outcome", "ok")).To(Equal(2.0))
		Expect(s.Sum(mLive, "service", po)).To(Equal(1.0))
		Expect(s.Sum(mLive, "service", invoicing)).To(BeZero())
		// The example registry asks for 365-day keys.
		Expect(s.Sum(mExpiring, "service", po, "within", "365d")).To(Equal(1.0))
		Expect(s.Sum(mExpiring, "service", po, "within", "180d")).To(BeZero())
		Expect(s.Sum(mHTTP, "method", "post", "route", "/api/service-connectors/connect", "code", "200")).To(Equal(1.0))
		Expect(s.Sum(mHTTP, "method", "post", "route", "/connectors/:id/connect", "code", "200")).To(Equal(1.0))
		Expect(s.Sum(mHTTP, "method", "post", "route", "/auth/dev-login", "code", "303")).To(Equal(1.0))
		Expect(s.Sum(mCommits)).To(BeNumerically(">=", 4), "each connect commits its intent, its key and its settling")
		for _, series := range s.Series(mHTTP) {
			Expect(series["route"]).NotTo(ContainSubstring(crm), "a route is its template, never the path")
		}

		By("a disconnect the service confirms")
		Expect(alice.api("disconnect", crm).status).To(Equal(http.StatusOK))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mRevocations, "service", crm, "outcome", "ok")).To(Equal(1.0))
		Expect(s.Sum(mLive, "service", crm)).To(BeZero())
		Expect(s.Sum(mQueued)).To(BeZero())

		By("the portal's own address, which does not serve them")
		Expect(alice.do(http.MethodGet, "/metrics", "", "").status).To(Equal(http.StatusNotFound))
		Expect(alice.do(http.MethodGet, "/metrics", "", "").body).NotTo(ContainSubstring("service_connector_"))
		d.stop()

		By("the same data in a demo whose services fail every exchange and revocation, and whose deliveries fail")
		d = startDemo(env(map[string]string{"SC_DEMO_FAULTS": "exchange=1,revoke=1,deliver=1", "SC_REVOKE_ATTEMPTS": "1"}))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mExchanges)).To(BeZero(), "counters start anew with the process")
		Expect(s.Sum(mLive, "service", po)).To(Equal(1.0), "gauges are read from the store")

		bob := d.newBrowser()
		bob.signIn("bob@example.com")
		Expect(bob.api("connect", invoicing).status).To(Equal(http.StatusServiceUnavailable))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mExchanges, "service", invoicing, "outcome", "failed")).To(Equal(1.0))
		Expect(s.Sum(mExchanges, "outcome", "ok")).To(BeZero())
		Expect(s.Sum(mUnfinished)).To(Equal(1.0), "the exchange that may have minted a key waits for the worker's replay")
		Expect(s.Sum(mHTTP, "route", "/api/service-connectors/connect", "code", "503")).To(Equal(1.0))

		alice = d.newBrowser()
		alice.signIn("alice@example.com")
		a := alice.api("disconnect", po)
		Expect(a.status).To(Equal(http.StatusOK))
		Expect(a.body).To(ContainSubstring("pending"))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mRevocations, "service", po, "outcome", "failed")).To(Equal(1.0))
		Expect(s.Sum(mRevocations, "outcome", "ok")).To(BeZero())
		Expect(s.Sum(mQueued)).To(Equal(1.0))
		Expect(s.Sum(mAttention)).To(Equal(1.0), "one attempt is all SC_REVOKE_ATTEMPTS allows")
		Expect(s.Sum(mDeliveries, "outcome", "failed")).To(Equal(1.0))
		Expect(s.Sum(mPending)).To(Equal(1.0))
		Expect(s.Sum(mLive)).To(BeZero())
		d.stop()

		By("an admin's Retry now, once the service answers again")
		d = startDemo(env(nil))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mQueued)).To(Equal(1.0))
		carol := d.newBrowser()
		carol.signIn("carol@example.com")
		var poToken string
		for _, c := range recorded {
			if c.ServiceID == po {
				poToken = c.TokenID
			}
		}
		retry := carol.do(http.MethodPost, "/admin/revocations/retry", "application/x-www-form-urlencoded",
			url.Values{"service_id": {po}, "token_id": {poToken}}.Encode())
		Expect(retry.status).To(BeNumerically("<", http.StatusBadRequest))
		s = scrapeDemo(d, private)
		Expect(s.Sum(mRevocations, "service", po, "outcome", "ok")).To(Equal(1.0))
		Expect(s.Sum(mQueued)).To(BeZero())
		Expect(s.Sum(mAttention)).To(BeZero())
		Expect(s.Sum(mHTTP, "method", "post", "route", "/admin/revocations/retry")).To(Equal(1.0))
	})

	It("are off by default: the demo listens on the portal's and the services' addresses only", func() {
		bin, err := gexec.Build("github.com/service-connector/service-connector")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)
		listening := func(env ...string) (ports []string, out string) {
			cmd := exec.Command(bin, "demo")
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "SC_ADDR=127.0.0.1:0", "SC_DEMO_SERVICES_ADDR=127.0.0.1:0",
				"SC_DATA_DIR=" + GinkgoT().TempDir()}, env...)
			session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			defer func() { session.Terminate(); Eventually(session, 20*time.Second).Should(gexec.Exit(0)) }()
			Eventually(session.Out, 20*time.Second).Should(gbytes.Say(`delivering into`))
			return listeningPorts(cmd.Process.Pid), string(session.Out.Contents())
		}
		portOf := func(re *regexp.Regexp, out string) string {
			GinkgoHelper()
			m := re.FindStringSubmatch(out)
			Expect(m).NotTo(BeNil())
			_, port, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(m[1], "http://"), "/metrics"))
			Expect(err).NotTo(HaveOccurred())
			return port
		}

		ports, out := listening()
		Expect(out).NotTo(ContainSubstring("metrics"))
		Expect(ports).To(ConsistOf(portOf(portalLine, out), portOf(servicesLine, out)))

		ports, out = listening("SC_METRICS_ADDR=127.0.0.1:0")
		Expect(ports).To(ConsistOf(portOf(portalLine, out), portOf(servicesLine, out), portOf(metricsLine, out)))
	})

	It("are not served on the portal's address when they are off", func() {
		d := startDemo(map[string]string{"SC_DATA_DIR": dataDir})
		b := d.newBrowser()
		Expect(b.do(http.MethodGet, "/metrics", "", "").status).To(Equal(http.StatusNotFound))
	})

	DescribeTable("refuse an address that is not one of their own",
		func(addr, portal, problem string) {
			code, _, stderr := run(map[string]string{"SC_METRICS_ADDR": addr, "SC_ADDR": portal, "SC_DATA_DIR": dataDir}, "demo")
			Expect(code).To(Equal(2))
			Expect(stderr).To(ContainSubstring(problem))
		},
		Entry("the portal's", "127.0.0.1:18080", "127.0.0.1:18080", "SC_METRICS_ADDR: 127.0.0.1:18080 is the portal's own address (SC_ADDR)"),
		Entry("no port", "127.0.0.1", "127.0.0.1:18080", `SC_METRICS_ADDR: "127.0.0.1" is not a host:port`),
	)

	It("say so when their address cannot be listened on, and the demo does not start", func() {
		d := startDemo(env(nil))
		taken := strings.TrimSuffix(strings.TrimPrefix(d.metricsURL(), "http://"), "/metrics")
		code, _, stderr := run(map[string]string{"SC_METRICS_ADDR": taken, "SC_ADDR": "127.0.0.1:0",
			"SC_DEMO_SERVICES_ADDR": "127.0.0.1:0", "SC_DATA_DIR": GinkgoT().TempDir()}, "demo")
		Expect(code).To(Equal(1))
		Expect(stderr).To(ContainSubstring("SC_METRICS_ADDR: listen tcp " + taken))
		_, err := metricstest.Get(d.metricsURL())
		Expect(err).NotTo(HaveOccurred(), "the demo that holds the address goes on serving")
	})
})

// listeningPorts returns the TCP ports the process pid listens on, from the kernel's socket
// tables and the process's open files.
func listeningPorts(pid int) []string {
	GinkgoHelper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	Expect(err).NotTo(HaveOccurred())
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if inode, ok := strings.CutPrefix(target, "socket:["); ok && err == nil {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var ports []string
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		Expect(err).NotTo(HaveOccurred())
		for _, line := range strings.Split(string(data), "\n")[1:] {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			f := strings.Fields(line)
			const listen = "0A"
			if len(f) < 10 || f[3] != listen || !inodes[f[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			port, err := strconv.ParseUint(hexPort, 16, 16)
			Expect(err).NotTo(HaveOccurred())
			ports = append(ports, strconv.FormatUint(port, 10))
		}
	}
	return ports
}
