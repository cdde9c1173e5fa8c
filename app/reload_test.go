package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

var _ = Describe("The registry edited while the demo runs", Label("reload"), func() {
	var (
		d            *demo
		registryFile string
		example      string
		admin, alice *browser
	)

	// edit replaces the registry file the way an editor does: a new file renamed over it.
	edit := func(contents string) {
		GinkgoHelper()
		tmp := registryFile + ".new"
		Expect(os.WriteFile(tmp, []byte(contents), 0o600)).To(Succeed())
		Expect(os.Rename(tmp, registryFile)).To(Succeed())
	}

	BeforeEach(func() {
		dir := GinkgoT().TempDir()
		Expect(os.CopyFS(filepath.Join(dir, "skills"), os.DirFS("../deploy/skills"))).To(Succeed())
		data, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		example = string(data)
		registryFile = filepath.Join(dir, "service_connectors.json")
		Expect(os.WriteFile(registryFile, data, 0o600)).To(Succeed())
		d = startDemo(map[string]string{"SC_REGISTRY_FILE": registryFile, "SC_REGISTRY_RELOAD": "100ms", "SC_ADMIN_EMAILS": "carol@example.com"})
		admin, alice = d.newBrowser(), d.newBrowser()
		admin.signIn("carol@example.com")
		alice.signIn("alice@example.com")
	})

	It("picks up a valid edit without a restart", func() {
		edit(strings.Replace(example, `"name": "Purchase Orders"`, `"name": "Purchase Orders (EU)"`, 1))

		Eventually(func() string { return alice.do(http.MethodGet, "/api/service-connectors", "", "").body }).
			WithTimeout(5 * time.Second).Should(ContainSubstring(`"name":"Purchase Orders (EU)"`))
		Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
	})

	It("keeps serving the last good registry after an invalid edit, and shows admins the problem until it is fixed", func() {
		edit(strings.Replace(example, `"env_var_name": "CRM_API_KEY"`, `"env_var_name": "PO_API_KEY"`, 1))

		Eventually(func() string { return admin.do(http.MethodGet, "/admin", "", "").body }).
			WithTimeout(5 * time.Second).Should(And(ContainSubstring(`data-testid="registry-problems"`), ContainSubstring("service_connectors.json:"), ContainSubstring("PO_API_KEY")))
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK), "the last good registry is still in service")
		Expect(d.envKey("alice", "CRM_API_KEY")).NotTo(BeEmpty())
		Expect(d.stderr).To(gbytes.Say("registry edit refused"))

		edit(example)
		Eventually(func() string { return admin.do(http.MethodGet, "/admin", "", "").body }).
			WithTimeout(5 * time.Second).Should(ContainSubstring(`data-testid="registry-ok"`))
		By("the audit log holding the edit refused, once however often it was looked at, then the fix")
		Eventually(func() []string { return d.auditOf("registry_reload") }).WithTimeout(5 * time.Second).
			Should(Equal([]string{"registry refused", "registry ok"}))
	})

	It("revokes and undelivers the connections of a service removed from it", func() {
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
		Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
		crmKey := d.envKey("alice", "CRM_API_KEY")
		Expect(d.whoami("crm", crmKey)).To(Equal(http.StatusOK))
		start := strings.Index(example, `    {
      "id": "crm"`)
		Expect(start).To(BeNumerically(">", 0))
		end := strings.LastIndex(example, "]")
		edit(strings.TrimRight(example[:start], ",\n ") + "\n  " + example[end:])

		Eventually(func() []string { return d.liveTokens("crm") }).WithTimeout(5 * time.Second).Should(BeEmpty())
		Expect(d.whoami("crm", crmKey)).To(Equal(http.StatusUnauthorized))
		Eventually(func() string { return d.envKey("alice", "CRM_API_KEY") }).WithTimeout(5 * time.Second).Should(BeEmpty())
		Eventually(func() bool { _, _, ok := d.home("alice", ".claude_rules/sc_crm.md"); return ok }).
			WithTimeout(5*time.Second).Should(BeFalse(), "the skill goes in the same delivery, just after the env file")
		Expect(d.envKey("alice", "PO_API_KEY")).NotTo(BeEmpty())
		Expect(alice.do(http.MethodGet, "/api/service-connectors", "", "").body).NotTo(ContainSubstring(`"crm"`))
	})
})
