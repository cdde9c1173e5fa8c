package app_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
)

var _ = Describe("service-connector demo", func() {
	var (
		d     *demo
		alice *browser
	)

	BeforeEach(func() {
		d = startDemo(nil)
		alice = d.newBrowser()
	})

	Describe("connecting and disconnecting through the JSON API", func() {
		It("delivers a working key and a skill, then removes both and the key stops working", func() {
			alice.signIn("alice@example.com")

			a := alice.api("connect", "purchase_orders")
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.body).To(ContainSubstring(`"success":true`))

			env, mode, ok := d.home("alice", ".service_env")
			Expect(ok).To(BeTrue())
			Expect(mode.Perm()).To(Equal(os.FileMode(0o600)))
			Expect(env).To(HavePrefix("# Service Connector: keys for the services you connected."))
			Expect(env).To(MatchRegexp(`(?m)^# purchase_orders expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nPO_API_KEY=\S+$`))
			key := d.envKey("alice", "PO_API_KEY")
			Expect(key).NotTo(BeEmpty())
			skill, skillMode, ok := d.home("alice", ".claude_rules/sc_purchase_orders.md")
			Expect(ok).To(BeTrue())
			Expect(skillMode.Perm()).To(Equal(os.FileMode(0o600)))
			Expect(skill).To(ContainSubstring("PO_API_KEY"))
			info, err := os.Stat(filepath.Join(d.dataDir, "homes", "alice", ".claude_rules"))
			Expect(err).NotTo(HaveOccurred())
			Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o700)))

			Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusOK))
			Expect(d.liveTokens("purchase_orders")).To(HaveLen(1))
			list := alice.do(http.MethodGet, "/api/service-connectors", "", "")
			Expect(list.status).To(Equal(http.StatusOK))
			Expect(list.body).To(ContainSubstring(`"purchase_orders":{"connected":true`))
			Expect(list.body).NotTo(ContainSubstring(key))
			Expect(list.body).NotTo(ContainSubstring("http"))
			Expect(alice.do(http.MethodGet, "/", "", "").body).NotTo(ContainSubstring(key))

			a = alice.api("disconnect", "purchase_orders")
			Expect(a.status).To(Equal(http.StatusOK))
			env, _, _ = d.home("alice", ".service_env")
			Expect(env).NotTo(ContainSubstring("PO_API_KEY"))
			_, _, ok = d.home("alice", ".claude_rules/sc_purchase_orders.md")
			Expect(ok).To(BeFalse())
			Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusUnauthorized))
			Expect(d.liveTokens("purchase_orders")).To(BeEmpty())

			Expect(string(d.stderr.Contents())).NotTo(ContainSubstring(key))
			Expect(string(d.stdout.Contents())).NotTo(ContainSubstring(key))
		})

		It("keeps each person's keys in their own home", func() {
			bob := d.newBrowser()
			alice.signIn("alice@example.com")
			bob.signIn("bob@example.com")
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			Expect(bob.api("connect", "invoicing").status).To(Equal(http.StatusOK))
			Expect(d.envKey("alice", "CRM_API_KEY")).NotTo(BeEmpty())
			Expect(d.envKey("alice", "INVOICING_API_KEY")).To(BeEmpty())
			Expect(d.envKey("bob", "INVOICING_API_KEY")).NotTo(BeEmpty())
			Expect(d.envKey("bob", "CRM_API_KEY")).To(BeEmpty())
		})

		It("mints one key for a double click", func() {
			alice.signIn("alice@example.com")
			var wg sync.WaitGroup
			for range 5 {
				wg.Go(func() {
					defer GinkgoRecover()
					Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
				})
			}
			wg.Wait()
			Expect(d.liveTokens("purchase_orders")).To(HaveLen(1))
			Expect(d.whoami("purchase_orders", d.envKey("alice", "PO_API_KEY"))).To(Equal(http.StatusOK))
		})

		It("answers an unknown service with 404 and a clear message", func() {
			alice.signIn("alice@example.com")
			a := alice.api("connect", "payroll")
			Expect(a.status).To(Equal(http.StatusNotFound))
			Expect(a.body).To(MatchJSON(`{"success": false, "message": "There is no service with the id \"payroll\"."}`))
		})
	})

	Describe("a restart", func() {
		It("keeps connections, and the keys issued before it keep working", func() {
			alice.signIn("alice@example.com")
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			key := d.envKey("alice", "CRM_API_KEY")
			d.stop()

			again := startDemo(map[string]string{"SC_DATA_DIR": d.dataDir})
			Expect(again.whoami("crm", key)).To(Equal(http.StatusOK))
			alice = again.newBrowser()
			alice.signIn("alice@example.com")
			Expect(alice.do(http.MethodGet, "/", "", "").body).To(MatchRegexp(`data-testid="service-card-crm" data-state="connected"`))
			Expect(alice.api("disconnect", "crm").status).To(Equal(http.StatusOK))
			Expect(again.whoami("crm", key)).To(Equal(http.StatusUnauthorized))
		})
	})

	Describe("who may do what", func() {
		It("answers the API with 401 and sends pages to sign-in when nobody is signed in", func() {
			Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusUnauthorized))
			a := alice.do(http.MethodGet, "/", "", "")
			Expect(a.status).To(Equal(http.StatusSeeOther))
			Expect(a.header.Get("Location")).To(HavePrefix("/login"))
		})

		It("lets carol, the demo's admin, see the admin page, and nobody else", func() {
			Expect(string(d.stdout.Contents())).To(MatchRegexp(`admin page: +http://\S+/admin  \(as carol@example.com\)`))
			alice.signIn("alice@example.com")
			Expect(alice.do(http.MethodGet, "/admin", "", "").status).To(Equal(http.StatusForbidden))
			carol := d.newBrowser()
			carol.signIn("carol@example.com")
			a := carol.do(http.MethodGet, "/admin", "", "")
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.body).To(ContainSubstring(`data-testid="admin-registry"`))
		})

		It("refuses a cross-origin post with 403 and changes nothing", func() {
			alice.signIn("alice@example.com")
			a := alice.do(http.MethodPost, "/api/service-connectors/connect", "application/json", `{"service_id":"purchase_orders"}`,
				"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
			Expect(a.status).To(Equal(http.StatusForbidden))
			a = alice.do(http.MethodPost, "/connectors/purchase_orders/connect", "application/x-www-form-urlencoded", "",
				"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site")
			Expect(a.status).To(Equal(http.StatusForbidden))
			Expect(a.body).To(ContainSubstring("came from another site"))
			_, _, ok := d.home("alice", ".service_env")
			Expect(ok).To(BeFalse())
		})
	})

	Describe("the plain-HTML dashboard", func() {
		It("connects with a form post and shows the card as connected", func() {
			alice.signIn("alice@example.com")
			a := alice.do(http.MethodPost, "/connectors/crm/connect", "application/x-www-form-urlencoded", "")
			Expect(a.status).To(Equal(http.StatusSeeOther))
			page := alice.do(http.MethodGet, "/", "", "")
			Expect(page.body).To(MatchRegexp(`data-testid="service-card-crm" data-state="connected"`))
			Expect(page.body).To(ContainSubstring("CRM is connected"))
		})
	})

	Describe("operations", func() {
		It("answers liveness and readiness", func() {
			Expect(alice.do(http.MethodGet, "/healthz", "", "").status).To(Equal(http.StatusOK))
			Expect(alice.do(http.MethodGet, "/readyz", "", "").status).To(Equal(http.StatusOK))
		})

		It("serves the pinned htmx", func() {
			a := alice.do(http.MethodGet, "/static/htmx.min.js", "", "")
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.header.Get("Content-Type")).To(ContainSubstring("javascript"))
			Expect(a.body).To(ContainSubstring(`version:"2.0.11"`))
		})

		It("reports the services' health from the background poll", func() {
			alice.signIn("alice@example.com")
			type health struct {
				ID        string `json:"id"`
				Health    string `json:"health"`
				CheckedAt string `json:"checked_at"`
			}
			polled := func(id string) types.GomegaMatcher {
				return And(HaveField("ID", id), HaveField("Health", "healthy"), HaveField("CheckedAt", Not(BeEmpty())))
			}
			Eventually(func(g Gomega) []health {
				a := alice.do(http.MethodGet, "/api/service-connectors/health", "", "")
				g.Expect(a.status).To(Equal(http.StatusOK))
				var out struct{ Services []health }
				g.Expect(json.Unmarshal([]byte(a.body), &out)).To(Succeed())
				return out.Services
			}).Should(HaveExactElements(polled("purchase_orders"), polled("invoicing"), polled("crm")))
		})
	})
})
