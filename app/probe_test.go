package app_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

var _ = Describe("service-connector probe", func() {
	const secret = "app-probe-spec-secret"
	var (
		server *httptest.Server
		env    map[string]string
	)

	BeforeEach(func() {
		svc, err := refservice.New(refservice.Config{
			ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders,
			Secret: services.Secret(secret),
		})
		Expect(err).NotTo(HaveOccurred())
		server = httptest.NewServer(refservice.Handler(svc))
		DeferCleanup(server.Close)

		dir := GinkgoT().TempDir()
		Expect(os.Mkdir(filepath.Join(dir, "skills"), 0o700)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "skills", "sc_purchase_orders.md"), []byte("# Purchase Orders\n"), 0o600)).To(Succeed())
		base := server.URL + "/purchase_orders"
		registry := fmt.Sprintf(`{"services": [{
  "id": "purchase_orders", "name": "Purchase Orders", "description": "Purchase orders.",
  "token_exchange_url": %q, "token_revoke_url": %q, "health_url": %q,
  "env_var_name": "PO_API_KEY", "skill_file": "sc_purchase_orders.md"
}]}`, base+"/api/internal/token-exchange", base+"/api/internal/token-revoke", base+"/health")
		file := filepath.Join(dir, "service_connectors.json")
		Expect(os.WriteFile(file, []byte(registry), 0o600)).To(Succeed())
		env = map[string]string{
			"SC_REGISTRY_FILE":          file,
			"SC_SECRET_PURCHASE_ORDERS": secret,
			"SC_EXCHANGE_TIMEOUT":       "5s",
		}
	})

	It("passes every check against the reference service and exits 0", func() {
		code, stdout, stderr := run(env, "probe", "purchase_orders", "--check-url", server.URL+"/purchase_orders/api/whoami")
		Expect(stderr).To(BeEmpty())
		Expect(code).To(Equal(0), stdout)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		Expect(lines).To(HaveLen(7))
		for _, l := range lines {
			Expect(l).To(HavePrefix("PASS "))
		}
		Expect(stdout).NotTo(Or(ContainSubstring(secret), ContainSubstring("po_live_")))
	})

	It("reads a registry written as a bare JSON list", func() {
		data, err := os.ReadFile(env["SC_REGISTRY_FILE"])
		Expect(err).NotTo(HaveOccurred())
		bare := strings.TrimSuffix(strings.TrimPrefix(string(data), `{"services": `), "}")
		Expect(bare).To(And(HavePrefix("[{"), HaveSuffix("}]")))
		Expect(os.WriteFile(env["SC_REGISTRY_FILE"], []byte(bare), 0o600)).To(Succeed())

		code, stdout, stderr := run(env, "probe", "purchase_orders", "--check-url", server.URL+"/purchase_orders/api/whoami")

		Expect(stderr).To(BeEmpty())
		Expect(code).To(Equal(0), stdout)
		Expect(strings.Count(stdout, "PASS ")).To(Equal(7))
	})

	It("exits 1 with a FAIL line when a check fails", func() {
		code, stdout, _ := run(env, "probe", "purchase_orders", "--check-url", server.URL+"/purchase_orders/api/nowhere")
		Expect(code).To(Equal(1))
		Expect(stdout).To(ContainSubstring("FAIL key works: the check URL answered HTTP 404 to a live key, want 2xx"))
	})

	DescribeTable("exits 2 on a usage or configuration error",
		func(edit func(map[string]string), reason string, args ...string) {
			edit(env)
			code, stdout, stderr := run(env, append([]string{"probe"}, args...)...)
			Expect(code).To(Equal(2))
			Expect(stdout).To(BeEmpty())
			Expect(stderr).To(And(ContainSubstring(reason), ContainSubstring("usage: service-connector probe")))
		},
		Entry("an unknown service id", func(map[string]string) {}, `no service "crm" in`,
			"crm", "--check-url", "http://127.0.0.1:1/x"),
		Entry("no --check-url", func(map[string]string) {}, "--check-url is required",
			"purchase_orders"),
		Entry("no service id", func(map[string]string) {}, "give exactly one SERVICE_ID",
			"--check-url", "http://127.0.0.1:1/x"),
		Entry("no registry", func(e map[string]string) { delete(e, "SC_REGISTRY_FILE") }, "SC_REGISTRY_FILE is not set",
			"purchase_orders", "--check-url", "http://127.0.0.1:1/x"),
		Entry("no secret", func(e map[string]string) { delete(e, "SC_SECRET_PURCHASE_ORDERS") }, "SC_SECRET_PURCHASE_ORDERS",
			"purchase_orders", "--check-url", "http://127.0.0.1:1/x"),
	)
})
