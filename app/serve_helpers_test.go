package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/app"
	"github.com/service-connector/service-connector/deploy"
)

const (
	testSessionSecret = "session-secret-0123456789abcdefghijklmnop"
	testClientSecret  = "google-client-secret-xyz"
	testAccessToken   = "google-access-token-abc"
)

// serveEnv is a complete, valid environment for `serve`: a registry, a private data dir, a
// fake helper and a fake sudo that just runs it, so no root is needed.
func serveEnv() map[string]string {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	dataDir := filepath.Join(dir, "data")
	Expect(os.Mkdir(dataDir, 0o700)).To(Succeed())
	helper := filepath.Join(dir, "install-service-env")
	Expect(os.WriteFile(helper, []byte("#!/bin/sh\ncat >/dev/null\nexit 0\n"), 0o755)).To(Succeed())
	sudo := filepath.Join(dir, "sudo")
	Expect(os.WriteFile(sudo, []byte("#!/bin/sh\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n"), 0o755)).To(Succeed())
	regFile := filepath.Join(dir, "service_connectors.json")
	data, err := deploy.Files.ReadFile("service_connectors.json")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(regFile, data, 0o600)).To(Succeed())
	Expect(os.Mkdir(filepath.Join(dir, "skills"), 0o700)).To(Succeed())
	skills, err := deploy.Files.ReadDir("skills")
	Expect(err).NotTo(HaveOccurred())
	for _, s := range skills {
		body, err := deploy.Files.ReadFile("skills/" + s.Name())
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "skills", s.Name()), body, 0o600)).To(Succeed())
	}
	me, err := user.Current()
	Expect(err).NotTo(HaveOccurred())
	userMap := filepath.Join(dir, "users.json")
	Expect(os.WriteFile(userMap, []byte(`{"alice@example.com": "`+me.Username+`"}`), 0o600)).To(Succeed())
	return map[string]string{
		"SC_STORE_KEY_FILE":         storeKeyFile(),
		"SC_ADDR":                   "127.0.0.1:0",
		"SC_DATA_DIR":               dataDir,
		"SC_REGISTRY_FILE":          regFile,
		"SC_SESSION_SECRET":         testSessionSecret,
		"SC_BASE_URL":               "https://portal.example.com",
		"SC_GOOGLE_CLIENT_ID":       "client-id.apps.googleusercontent.com",
		"SC_GOOGLE_CLIENT_SECRET":   testClientSecret,
		"SC_ALLOWED_DOMAINS":        "example.com",
		"SC_USER_MAP_FILE":          userMap,
		"SC_ADMIN_EMAILS":           "alice@example.com",
		"SC_HELPER":                 helper,
		"SC_SUDO":                   sudo,
		"SC_SECRET_PURCHASE_ORDERS": "po-shared-secret-123",
	}
}

// runServe runs `serve` to completion with env and returns its exit code and stderr.
func runServe(env map[string]string) (int, string) {
	GinkgoHelper()
	stderr := gbytes.NewBuffer()
	code := app.Run(context.Background(), []string{"service-connector", "serve"}, func(k string) string { return env[k] },
		io.Discard, io.MultiWriter(stderr, GinkgoWriter))
	return code, string(stderr.Contents())
}

// fakeGoogle is Google's authorize, token and userinfo endpoints, answering with claims.
type fakeGoogle struct {
	server *httptest.Server
	mu     sync.Mutex
	claims map[string]any
	codes  map[string]bool
}

func newFakeGoogle() *fakeGoogle {
	GinkgoHelper()
	g := &fakeGoogle{codes: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /o/oauth2/auth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") == "" || q.Get("scope") != "openid email profile" || q.Get("response_type") != "code" {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		code := "code-" + q.Get("state")
		g.mu.Lock()
		g.codes[code] = true
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		ok := g.codes[r.PostFormValue("code")] && r.PostFormValue("client_secret") == testClientSecret
		delete(g.codes, r.PostFormValue("code"))
		g.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"`+testAccessToken+`","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		// Google takes the token as a Bearer header or, as goth sends it, an access_token parameter.
		if r.Header.Get("Authorization") != "Bearer "+testAccessToken && r.URL.Query().Get("access_token") != testAccessToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(g.claims)
	})
	g.server = httptest.NewServer(mux)
	DeferCleanup(g.server.Close)
	g.setClaims(map[string]any{"id": "1", "email": "alice@example.com", "verified_email": true, "hd": "example.com"})
	return g
}

func (g *fakeGoogle) setClaims(c map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.claims = c
}

func (g *fakeGoogle) endpoints() app.GoogleEndpoints {
	return app.GoogleEndpoints{AuthURL: g.server.URL + "/o/oauth2/auth", TokenURL: g.server.URL + "/token", UserInfoURL: g.server.URL + "/userinfo"}
}

// servePortal is `serve` running in-process against a fake Google.
type servePortal struct {
	url    string
	stderr *gbytes.Buffer
}

// startServe runs `serve` on a free loopback port with env, its SC_BASE_URL pointing at that
// port unless env sets one, and stops it after the spec.
func startServe(env map[string]string, g *fakeGoogle) *servePortal {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := ln.Addr().String()
	Expect(ln.Close()).To(Succeed())
	env["SC_ADDR"] = addr
	p := &servePortal{url: "http://" + addr, stderr: gbytes.NewBuffer()}
	if _, ok := env["SC_BASE_URL"]; !ok {
		env["SC_BASE_URL"] = p.url
	}
	stdout := gbytes.NewBuffer()
	exit := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		exit <- app.Serve(ctx, nil, func(k string) string { return env[k] },
			io.MultiWriter(stdout, GinkgoWriter), io.MultiWriter(p.stderr, GinkgoWriter), g.endpoints())
	}()
	DeferCleanup(func() {
		cancel()
		Eventually(exit, 15*time.Second).Should(Receive(Equal(0)))
	})
	Eventually(stdout, 10*time.Second).Should(gbytes.Say(`portal: http://`))
	return p
}

// jarClient is an HTTP client with a cookie jar that remembers every URL it was sent to.
type jarClient struct {
	client  *http.Client
	visited []string
}

func newJarClient() *jarClient {
	GinkgoHelper()
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	b := &jarClient{}
	b.client = &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		b.visited = append(b.visited, req.URL.String())
		return nil
	}}
	return b
}

// get follows redirects and returns the final response's status, URL and body.
func (b *jarClient) get(target string) (int, *url.URL, string) {
	GinkgoHelper()
	resp, err := b.client.Get(target)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, resp.Request.URL, string(body)
}

// callbackURL is the last callback URL the jarClient was sent to.
func (b *jarClient) callbackURL() string {
	GinkgoHelper()
	for i := len(b.visited) - 1; i >= 0; i-- {
		if strings.Contains(b.visited[i], "/auth/google/callback") {
			return b.visited[i]
		}
	}
	Fail("the jarClient never reached the callback")
	return ""
}
