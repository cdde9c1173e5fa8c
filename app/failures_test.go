package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/app"
)

// run runs the program to completion with args and env, returning its exit code and output.
func run(env map[string]string, args ...string) (int, string, string) {
	stdout, stderr := gbytes.NewBuffer(), gbytes.NewBuffer()
	code := app.Run(context.Background(), append([]string{"service-connector"}, args...),
		func(k string) string { return env[k] }, stdout, stderr)
	return code, string(stdout.Contents()), string(stderr.Contents())
}

var _ = Describe("service-connector demo with a service that is down", func() {
	var d *demo

	BeforeEach(func() {
		data, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		// Point Purchase Orders at a port where nothing listens.
		broken := strings.Replace(string(data), "http://127.0.0.1:8081/purchase_orders/", "http://127.0.0.1:9/purchase_orders/", -1)
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "registry.json"), []byte(broken), 0o600)).To(Succeed())
		d = startDemo(map[string]string{"SC_REGISTRY_FILE": filepath.Join(dir, "registry.json"), "SC_SKILLS_DIR": "../deploy/skills"})
	})

	It("says the service could not issue a key, and records and delivers nothing", func() {
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		a := alice.api("connect", "purchase_orders")
		Expect(a.status).To(Equal(http.StatusServiceUnavailable))
		Expect(a.body).To(ContainSubstring("Purchase Orders could not issue a key"))
		Expect(a.body).NotTo(ContainSubstring("127.0.0.1"))
		_, _, ok := d.home("alice", ".service_env")
		Expect(ok).To(BeFalse())
		Expect(d.recorded("alice@example.com")).To(BeEmpty(), "no connection is recorded for alice")
		page := alice.do(http.MethodPost, "/connectors/purchase_orders/connect", "application/x-www-form-urlencoded", "", "HX-Request", "true")
		Expect(page.status).To(Equal(http.StatusServiceUnavailable))
		Expect(page.body).To(MatchRegexp(`data-testid="card-outcome-message"[^>]*>Purchase Orders could not issue a key`))
	})
})

var _ = Describe("the command line", func() {
	It("refuses bad configuration with one line per problem", func() {
		code, _, stderr := run(map[string]string{"SC_EXCHANGE_TIMEOUT": "soon", "SC_LOG_LEVEL": "loud", "SC_HEALTH_INTERVAL": "100ms"}, "demo")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring(`SC_EXCHANGE_TIMEOUT: "soon" is not a positive duration`))
		Expect(stderr).To(ContainSubstring(`SC_HEALTH_INTERVAL: 100ms is too short; use at least 1s`))
		Expect(stderr).To(ContainSubstring(`SC_LOG_LEVEL: "loud" is not one of debug, info, warn, error`))
	})

	It("refuses an unknown command", func() {
		code, _, stderr := run(nil, "frobnicate")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring(`unknown command "frobnicate"`))
	})

	Describe("registry check", func() {
		It("accepts the example registry", func() {
			code, stdout, _ := run(nil, "registry", "check", "../deploy/service_connectors.json")
			Expect(code).To(Equal(0))
			Expect(stdout).To(ContainSubstring("ok, 3 services"))
		})

		It("reports each problem as FILE:LINE:COL: message", func() {
			file := filepath.Join(GinkgoT().TempDir(), "registry.json")
			Expect(os.WriteFile(file, []byte("{\"services\": [\n  {\"id\": \"Bad\"}\n]}\n"), 0o600)).To(Succeed())
			code, stdout, _ := run(nil, "registry", "check", file, "--skills", "../deploy/skills")
			Expect(code).To(Equal(1))
			Expect(stdout).To(ContainSubstring(file + ":2:10: services[0].id:"))
		})
	})
})

var _ = Describe("service-connector demo sessions", func() {
	It("refuses a session cookie older than SC_SESSION_MAX_AGE, even when it is sent again by hand", func() {
		d := startDemo(map[string]string{"SC_SESSION_MAX_AGE": "1s"})
		alice := d.newBrowser()
		a := alice.do(http.MethodPost, "/auth/dev-login", "application/x-www-form-urlencoded", "email=alice%40example.com")
		Expect(a.status).To(Equal(http.StatusSeeOther))
		cookie := a.header.Get("Set-Cookie")
		Expect(cookie).To(ContainSubstring("HttpOnly"))
		Expect(cookie).To(ContainSubstring("SameSite=Lax"))
		Expect(cookie).To(ContainSubstring("Max-Age=1"))
		pair, _, _ := strings.Cut(cookie, ";")

		replay := func() int {
			req, err := http.NewRequest(http.MethodGet, d.portal+"/api/service-connectors", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Cookie", pair)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			return resp.StatusCode
		}
		Expect(replay()).To(Equal(http.StatusOK))
		Eventually(replay, 5*time.Second, 250*time.Millisecond).Should(Equal(http.StatusUnauthorized))
	})
})
