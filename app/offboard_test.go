package app_test

import (
	"net/http"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("service-connector offboard", func() {
	Describe("with --demo, while the demo runs", func() {
		var (
			d   *demo
			env map[string]string
		)

		BeforeEach(func() {
			env = map[string]string{"SC_RETRY_BASE": "100ms", "SC_RETRY_MAX": "1s"}
			d = startDemo(env)
			env["SC_DATA_DIR"] = d.dataDir
		})

		// connectionsOf reads the demo's store as another process would.
		connectionsOf := func(email string) map[string]string {
			GinkgoHelper()
			tokens := map[string]string{}
			for _, c := range d.recorded(email) {
				tokens[c.ServiceID] = c.TokenID
			}
			return tokens
		}

		It("forgets the person's connections and clears their files; the demo revokes the keys", func() {
			alice, bob := d.newBrowser(), d.newBrowser()
			alice.signIn("alice@example.com")
			bob.signIn("bob@example.com")
			Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			Expect(bob.api("connect", "crm").status).To(Equal(http.StatusOK))
			poKey, crmKey := d.envKey("alice", "PO_API_KEY"), d.envKey("alice", "CRM_API_KEY")
			Expect(poKey).NotTo(BeEmpty())
			Expect(crmKey).NotTo(BeEmpty())
			tokens := connectionsOf("alice@example.com")
			Expect(tokens).To(HaveLen(2))
			bobKey := d.envKey("bob", "CRM_API_KEY")

			code, stdout, stderr := run(env, "offboard", "--demo", "alice@example.com")
			Expect(code).To(Equal(0), stderr)
			Expect(stdout).To(Equal("Offboarded alice@example.com: 2 connections removed, 2 keys queued for revocation, files cleared.\n"))
			for _, key := range []string{poKey, crmKey} {
				Expect(stdout + stderr).NotTo(ContainSubstring(key))
			}

			By("clearing alice's files and forgetting her connections")
			content, _, ok := d.home("alice", ".service_env")
			Expect(ok).To(BeTrue())
			Expect(content).NotTo(ContainSubstring("PO_API_KEY"))
			Expect(content).NotTo(ContainSubstring("CRM_API_KEY"))
			skills, err := filepath.Glob(filepath.Join(d.dataDir, "homes", "alice", ".claude_rules", "sc_*.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(skills).To(BeEmpty())
			Expect(connectionsOf("alice@example.com")).To(BeEmpty())

			By("the running demo revoking the queued keys")
			Eventually(func() []string { return d.liveTokens("purchase_orders") }, 20*time.Second, 100*time.Millisecond).ShouldNot(ContainElement(tokens["purchase_orders"]))
			Eventually(func() []string { return d.liveTokens("crm") }, 20*time.Second, 100*time.Millisecond).ShouldNot(ContainElement(tokens["crm"]))
			Expect(d.whoami("purchase_orders", poKey)).To(Equal(http.StatusUnauthorized))
			Expect(d.whoami("crm", crmKey)).To(Equal(http.StatusUnauthorized))

			By("leaving everyone else alone")
			Expect(connectionsOf("bob@example.com")).To(HaveKey("crm"))
			Expect(d.envKey("bob", "CRM_API_KEY")).To(Equal(bobKey))
			Expect(d.whoami("crm", bobKey)).To(Equal(http.StatusOK))
		})

		It("clears the files of a person without connections, at the account their email maps to", func() {
			code, stdout, stderr := run(env, "offboard", "--demo", "zoe@example.com")
			Expect(code).To(Equal(0), stderr)
			Expect(stdout).To(Equal("Offboarded zoe@example.com: 0 connections removed, 0 keys revoked, files cleared.\n"))
			content, _, ok := d.home("zoe", ".service_env")
			Expect(ok).To(BeTrue())
			Expect(content).NotTo(ContainSubstring("="))
		})
	})

	It("fails with a clear message when the data dir does not exist", func() {
		missing := filepath.Join(GinkgoT().TempDir(), "nope")
		code, stdout, stderr := run(map[string]string{"SC_DATA_DIR": missing}, "offboard", "--demo", "alice@example.com")
		Expect(code).To(Equal(1))
		Expect(stdout).To(BeEmpty())
		Expect(stderr).To(Equal("service-connector offboard: SC_DATA_DIR: " + missing + " is not the demo's data dir (it does not exist)\n"))
	})

	DescribeTable("a usage error exits 2 and says why",
		func(args []string, message string) {
			code, stdout, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir()}, append([]string{"offboard"}, args...)...)
			Expect(code).To(Equal(2))
			Expect(stdout).To(BeEmpty())
			Expect(stderr).To(ContainSubstring(message))
		},
		Entry("no email", []string{"--demo"}, "give exactly one email (got 0 arguments)"),
		Entry("a bad email", []string{"--demo", "alice"}, `"alice" is not a valid email address`),
		Entry("two emails", []string{"--demo", "alice@example.com", "bob@example.com"}, "give exactly one email (got 2 arguments)"),
		Entry("an unknown flag", []string{"--force", "alice@example.com"}, `unknown flag "--force"`),
		Entry("serve's settings missing", []string{"alice@example.com"}, "SC_REGISTRY_FILE is required"),
	)

	It("does not ask for serve's web settings", func() {
		code, _, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "SC_REGISTRY_FILE": "../deploy/service_connectors.json", "SC_HELPER": "/nonexistent"}, "offboard", "alice@example.com")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring("SC_HELPER"))
		for _, web := range []string{"SC_SESSION_SECRET", "SC_BASE_URL", "SC_GOOGLE_CLIENT_ID", "SC_ALLOWED_DOMAINS", "SC_ADDR"} {
			Expect(stderr).NotTo(ContainSubstring(web))
		}
	})
})
