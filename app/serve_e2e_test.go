package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/app"
	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

// e2eSecrets are the reference services' shared secrets; nothing the portal answers or logs
// may contain them.
var e2eSecrets = map[string]string{
	"purchase_orders": "e2e-po-shared-secret-4f1c9a",
	"invoicing":       "e2e-inv-shared-secret-77b2d0",
	"crm":             "e2e-crm-shared-secret-0e93aa",
}

var _ = Describe("serve delivering through sudo into a real home", Label("root", "google"), func() {
	var (
		refs    *httptest.Server
		who     string // the throwaway account
		home    string
		portal  *e2ePortal
		browser *recordingClient
	)

	BeforeEach(func() {
		Expect(os.Geteuid()).To(Equal(0),
			"the serve end-to-end specs create an account with useradd and deliver through sudo and the real helper; run them as root (CI does)")
		helper := buildRootHelper()
		who, home = newThrowawayAccount()

		var svcs []*refservice.Service
		for _, s := range []struct {
			id, name string
			api      refservice.API
		}{
			{"purchase_orders", "Purchase Orders", refservice.PurchaseOrders},
			{"invoicing", "Invoicing", refservice.Invoicing},
			{"crm", "CRM", refservice.CRM},
		} {
			ref, err := refservice.New(refservice.Config{ID: s.id, Name: s.name, API: s.api, Secret: services.Secret(e2eSecrets[s.id])})
			Expect(err).NotTo(HaveOccurred())
			svcs = append(svcs, ref)
		}
		refs = httptest.NewServer(refservice.Handler(svcs...))
		DeferCleanup(refs.Close)

		dir := GinkgoT().TempDir()
		dataDir := filepath.Join(dir, "data")
		Expect(os.Mkdir(dataDir, 0o700)).To(Succeed())
		reg, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		regFile := filepath.Join(dir, "service_connectors.json")
		Expect(os.WriteFile(regFile, bytes.ReplaceAll(reg, []byte("http://127.0.0.1:8081/"), []byte(refs.URL+"/")), 0o600)).To(Succeed())
		skills, err := filepath.Abs("../deploy/skills")
		Expect(err).NotTo(HaveOccurred())
		userMap := filepath.Join(dir, "users.json")
		Expect(os.WriteFile(userMap, []byte(`{"alice@example.com": "`+who+`"}`), 0o600)).To(Succeed())

		google := newFakeGoogle()
		portal = startE2EServe(map[string]string{
			"SC_STORE_KEY_FILE":         storeKeyFile(),
			"SC_DATA_DIR":               dataDir,
			"SC_REGISTRY_FILE":          regFile,
			"SC_SKILLS_DIR":             skills,
			"SC_SESSION_SECRET":         testSessionSecret,
			"SC_GOOGLE_CLIENT_ID":       "client-id.apps.googleusercontent.com",
			"SC_GOOGLE_CLIENT_SECRET":   testClientSecret,
			"SC_ALLOWED_DOMAINS":        "example.com",
			"SC_USER_MAP_FILE":          userMap,
			"SC_HELPER":                 helper,
			"SC_SUDO":                   "/usr/bin/sudo",
			"SC_LOG_LEVEL":              "debug",
			"SC_SECRET_PURCHASE_ORDERS": e2eSecrets["purchase_orders"],
			"SC_SECRET_INVOICING":       e2eSecrets["invoicing"],
			"SC_SECRET_CRM":             e2eSecrets["crm"],
		}, google)
		browser = newRecordingClient()
	})

	// file returns the content and mode of a file in the account's home, checking that the
	// account owns it; ok is false when it does not exist.
	file := func(name string) (string, fs.FileMode, bool) {
		GinkgoHelper()
		path := filepath.Join(home, name)
		info, err := os.Lstat(path)
		if os.IsNotExist(err) {
			return "", 0, false
		}
		Expect(err).NotTo(HaveOccurred())
		u, err := user.Lookup(who)
		Expect(err).NotTo(HaveOccurred())
		Expect(strconv.Itoa(int(info.Sys().(*syscall.Stat_t).Uid))).To(Equal(u.Uid), "%s must belong to %s", name, who)
		if info.IsDir() {
			return "", info.Mode(), true
		}
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		return string(data), info.Mode(), true
	}

	envKey := func(name string) string {
		GinkgoHelper()
		content, _, _ := file(".service_env")
		for _, line := range strings.Split(content, "\n") {
			if v, ok := strings.CutPrefix(line, name+"="); ok {
				return v
			}
		}
		return ""
	}

	whoami := func(serviceID, key string) int {
		GinkgoHelper()
		req, err := http.NewRequest(http.MethodGet, refs.URL+"/"+serviceID+"/api/whoami", nil)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+key)
		return browser.do(req).status
	}

	api := func(action, serviceID string) int {
		GinkgoHelper()
		req, err := http.NewRequest(http.MethodPost, portal.url+"/api/service-connectors/"+action,
			strings.NewReader(`{"service_id":"`+serviceID+`"}`))
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", "application/json")
		return browser.do(req).status
	}

	It("writes the keys and skills into the account's home as the account, and takes them back, leaking nothing", func() {
		req, err := http.NewRequest(http.MethodGet, portal.url+"/auth/google", nil)
		Expect(err).NotTo(HaveOccurred())
		signedIn := browser.do(req)
		Expect(signedIn.status).To(Equal(http.StatusOK))
		Expect(signedIn.body).To(ContainSubstring("alice@example.com"))
		Expect(signedIn.body).NotTo(ContainSubstring(`data-testid="no-account"`))

		By("connecting purchase_orders")
		Expect(api("connect", "purchase_orders")).To(Equal(http.StatusOK))
		_, mode, ok := file(".service_env")
		Expect(ok).To(BeTrue(), "no ~/.service_env in %s", home)
		Expect(mode.Perm()).To(Equal(fs.FileMode(0o600)))
		poKey := envKey("PO_API_KEY")
		Expect(poKey).NotTo(BeEmpty())
		keys := []string{poKey}
		Expect(whoami("purchase_orders", poKey)).To(Equal(http.StatusOK))
		_, mode, ok = file(".claude_rules")
		Expect(ok).To(BeTrue())
		Expect(mode.IsDir()).To(BeTrue())
		Expect(mode.Perm()).To(Equal(fs.FileMode(0o700)))
		skill, mode, ok := file(".claude_rules/sc_purchase_orders.md")
		Expect(ok).To(BeTrue())
		Expect(mode.Perm()).To(Equal(fs.FileMode(0o600)))
		written, err := os.ReadFile("../deploy/skills/sc_purchase_orders.md")
		Expect(err).NotTo(HaveOccurred())
		// Delivered with the address the registry gives, where the skill file has the placeholder.
		Expect(skill).To(Equal(strings.ReplaceAll(string(written), "@@API_BASE_URL@@", refs.URL+"/purchase_orders")))
		Expect(skill).NotTo(ContainSubstring("@@"))

		By("connecting purchase_orders again")
		Expect(api("connect", "purchase_orders")).To(Equal(http.StatusOK))
		poKey = envKey("PO_API_KEY")
		keys = append(keys, poKey)
		Expect(whoami("purchase_orders", poKey)).To(Equal(http.StatusOK))
		content, _, _ := file(".service_env")
		Expect(strings.Count(content, "PO_API_KEY=")).To(Equal(1))

		By("connecting crm")
		Expect(api("connect", "crm")).To(Equal(http.StatusOK))
		crmKey := envKey("CRM_API_KEY")
		Expect(crmKey).NotTo(BeEmpty())
		keys = append(keys, crmKey)
		Expect(envKey("PO_API_KEY")).To(Equal(poKey))
		Expect(whoami("crm", crmKey)).To(Equal(http.StatusOK))

		By("disconnecting purchase_orders")
		Expect(api("disconnect", "purchase_orders")).To(Equal(http.StatusOK))
		content, mode, ok = file(".service_env")
		Expect(ok).To(BeTrue())
		Expect(mode.Perm()).To(Equal(fs.FileMode(0o600)))
		Expect(content).NotTo(ContainSubstring("PO_API_KEY"))
		Expect(envKey("CRM_API_KEY")).To(Equal(crmKey))
		_, _, ok = file(".claude_rules/sc_purchase_orders.md")
		Expect(ok).To(BeFalse(), "the purchase_orders skill is still in the home")
		_, _, ok = file(".claude_rules/sc_crm.md")
		Expect(ok).To(BeTrue())
		Expect(whoami("purchase_orders", poKey)).To(Equal(http.StatusUnauthorized))
		Expect(whoami("crm", crmKey)).To(Equal(http.StatusOK))

		By("finding no secret in anything the portal answered or logged")
		portal.stop()
		secrets := append([]string{testSessionSecret, testClientSecret, testAccessToken}, keys...)
		for _, s := range e2eSecrets {
			secrets = append(secrets, s)
		}
		seen := browser.seen()
		logs := string(portal.stdout.Contents()) + string(portal.stderr.Contents())
		Expect(logs).To(ContainSubstring("serve started"))
		Expect(seen).To(ContainSubstring("POST " + portal.url + "/api/service-connectors/disconnect -> 200"))
		for _, s := range secrets {
			Expect(seen).NotTo(ContainSubstring(s), "a secret reached a response the specs received")
			Expect(logs).NotTo(ContainSubstring(s), "a secret reached serve's log")
		}
	})
})

// buildRootHelper builds install-service-env and puts it, root-owned and 0755, where sudo
// can run it by absolute path.
func buildRootHelper() string {
	GinkgoHelper()
	built, err := gexec.Build("github.com/service-connector/service-connector/sudo")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, filepath.Dir(built))
	data, err := os.ReadFile(built)
	Expect(err).NotTo(HaveOccurred())
	dir, err := os.MkdirTemp("", "sc-e2e-helper-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(os.RemoveAll, dir)
	Expect(os.Chmod(dir, 0o755)).To(Succeed())
	helper := filepath.Join(dir, "install-service-env")
	Expect(os.WriteFile(helper, data, 0o755)).To(Succeed())
	Expect(os.Chown(helper, 0, 0)).To(Succeed())
	Expect(os.Chmod(helper, 0o755)).To(Succeed())
	return helper
}

// newThrowawayAccount makes a login with a home for one spec and removes both afterwards.
func newThrowawayAccount() (string, string) {
	GinkgoHelper()
	name := "sce2e" + strings.ToLower(rand.Text()[:8])
	runAsRoot("useradd", "-m", "-U", "-s", "/usr/sbin/nologin", "-K", "UID_MIN=20000", "-K", "UID_MAX=59999", name)
	DeferCleanup(runAsRoot, "userdel", "-r", name)
	u, err := user.Lookup(name)
	Expect(err).NotTo(HaveOccurred())
	uid, err := strconv.Atoi(u.Uid)
	Expect(err).NotTo(HaveOccurred())
	Expect(uid).To(BeNumerically(">=", 1000))
	return name, u.HomeDir
}

// runAsRoot runs a command and fails the spec, with its output, if it fails.
func runAsRoot(name string, args ...string) {
	GinkgoHelper()
	var out []byte
	var err error
	// useradd and userdel lock /etc/passwd; a parallel spec may hold it for a moment.
	for range 50 {
		out, err = exec.Command(name, args...).CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("lock")) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	Expect(err).NotTo(HaveOccurred(), "%s %v: %s", name, args, out)
}

// e2ePortal is `serve` running in-process, with its whole stdout and stderr kept.
type e2ePortal struct {
	url    string
	stdout *gbytes.Buffer
	stderr *gbytes.Buffer
	stop   func() // stops serve and checks it exited cleanly; safe to call twice
}

func startE2EServe(env map[string]string, g *fakeGoogle) *e2ePortal {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	p := &e2ePortal{url: "http://" + addr, stdout: gbytes.NewBuffer(), stderr: gbytes.NewBuffer()}
	env["SC_ADDR"], env["SC_BASE_URL"] = addr, p.url
	exit := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		exit <- app.Serve(ctx, nil, func(k string) string { return env[k] },
			io.MultiWriter(p.stdout, GinkgoWriter), io.MultiWriter(p.stderr, GinkgoWriter), g.endpoints())
	}()
	p.stop = sync.OnceFunc(func() {
		cancel()
		Eventually(exit, 15*time.Second).Should(Receive(Equal(0)), "stderr: %s", p.stderr.Contents())
	})
	DeferCleanup(func() { p.stop() })
	Eventually(p.stdout, 10*time.Second).Should(gbytes.Say(`portal: http://`))
	return p
}

// recordingClient is a browser with a cookie jar that keeps every response it was given,
// redirects included, headers and bodies.
type recordingClient struct {
	client *http.Client
	mu     sync.Mutex
	log    strings.Builder
}

func newRecordingClient() *recordingClient {
	GinkgoHelper()
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	c := &recordingClient{}
	c.client = &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: recorder{c: c, next: http.DefaultTransport}}
	return c
}

type e2eAnswer struct {
	status int
	body   string
}

func (c *recordingClient) do(req *http.Request) e2eAnswer {
	GinkgoHelper()
	resp, err := c.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return e2eAnswer{status: resp.StatusCode, body: string(body)}
}

// seen is every header and body received so far.
func (c *recordingClient) seen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.log.String()
}

type recorder struct {
	c    *recordingClient
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	r.c.log.WriteString(req.Method + " " + req.URL.String() + " -> " + resp.Status + "\n")
	for name, values := range resp.Header {
		r.c.log.WriteString(name + ": " + strings.Join(values, ", ") + "\n")
	}
	r.c.log.Write(body)
	r.c.log.WriteString("\n\n")
	return resp, nil
}
