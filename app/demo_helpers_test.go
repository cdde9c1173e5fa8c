package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/service-connector/service-connector/app"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/keyring"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// demo is `service-connector demo` running in-process on free loopback ports.
type demo struct {
	portal   string // http://127.0.0.1:PORT
	services string // http://127.0.0.1:PORT
	dataDir  string
	// databaseURL is the demo's SC_DATABASE_URL: empty for SQLite in dataDir.
	databaseURL string
	// servicesState is where the reference services keep their state files; empty for the
	// demo's own, in dataDir/demo-services.
	servicesState string
	stdout        *gbytes.Buffer
	stderr        *gbytes.Buffer
	exit          chan int
	stop          func() // stops the demo and checks it exited cleanly; safe to call twice
}

var (
	portalLine   = regexp.MustCompile(`portal: +http://(\S+)/`)
	servicesLine = regexp.MustCompile(`reference services: +http://(\S+)/`)
)

// startDemo runs the demo with env added to a clean environment and stops it after the spec.
func startDemo(env map[string]string) *demo {
	GinkgoHelper()
	d := &demo{dataDir: GinkgoT().TempDir(), stdout: gbytes.NewBuffer(), stderr: gbytes.NewBuffer(), exit: make(chan int, 1)}
	if dir, ok := env["SC_DATA_DIR"]; ok {
		d.dataDir = dir
	}
	d.databaseURL = env["SC_DATABASE_URL"]
	vars := map[string]string{"SC_ADDR": "127.0.0.1:0", "SC_DEMO_SERVICES_ADDR": "127.0.0.1:0", "SC_DATA_DIR": d.dataDir}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		d.exit <- app.Run(ctx, []string{"service-connector", "demo"}, func(k string) string { return vars[k] },
			io.MultiWriter(d.stdout, GinkgoWriter), io.MultiWriter(d.stderr, GinkgoWriter))
	}()
	d.stop = sync.OnceFunc(func() {
		cancel()
		Eventually(d.exit, 15*time.Second).Should(Receive(Equal(0)))
	})
	DeferCleanup(func() { d.stop() })
	Eventually(d.stdout, 20*time.Second).Should(gbytes.Say(`delivering into`))
	out := string(d.stdout.Contents())
	d.portal = "http://" + portalLine.FindStringSubmatch(out)[1]
	d.services = "http://" + servicesLine.FindStringSubmatch(out)[1]
	return d
}

// servicesStateDir is where the reference services of the demo keep their state files.
func (d *demo) servicesStateDir() string {
	if d.servicesState != "" {
		return d.servicesState
	}
	return filepath.Join(d.dataDir, "demo-services")
}

// home reads a file of a person's delivered home; ok is false when it does not exist.
func (d *demo) home(user, name string) (string, os.FileMode, bool) {
	GinkgoHelper()
	path := filepath.Join(d.dataDir, "homes", user, name)
	info, err := os.Stat(path)
	if os.IsNotExist(err) {
		return "", 0, false
	}
	Expect(err).NotTo(HaveOccurred())
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(data), info.Mode(), true
}

// envKey returns the value of NAME=... in a person's delivered .service_env.
func (d *demo) envKey(user, name string) string {
	GinkgoHelper()
	content, _, _ := d.home(user, ".service_env")
	for _, line := range strings.Split(content, "\n") {
		if v, ok := strings.CutPrefix(line, name+"="); ok {
			return v
		}
	}
	return ""
}

// whoami calls a reference service's /api/whoami with key and returns the status.
func (d *demo) whoami(serviceID, key string) int {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodGet, d.services+"/"+serviceID+"/api/whoami", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	return resp.StatusCode
}

// liveTokens returns the ids of the keys a reference service holds live, from its debug route.
func (d *demo) liveTokens(serviceID string) []string {
	GinkgoHelper()
	resp, err := http.Get(d.services + "/" + serviceID + "/debug/tokens")
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	var answer struct {
		Tokens []struct {
			TokenID string `json:"token_id"`
		} `json:"tokens"`
	}
	Expect(json.NewDecoder(resp.Body).Decode(&answer)).To(Succeed())
	ids := []string{}
	for _, t := range answer.Tokens {
		ids = append(ids, t.TokenID)
	}
	return ids
}

// openStore opens the demo's database as another process would, closed when the spec
// ends.
func (d *demo) openStore() *store.Store {
	GinkgoHelper()
	return storetest.Open(store.Config{DataDir: d.dataDir, DatabaseURL: services.Secret(d.databaseURL), Keys: d.storeKeys(), Log: discardLog()})
}

// storeKeys are the keys the demo made in its data dir on first start, which seal the API
// keys in its database.
func (d *demo) storeKeys() *keyring.Keyring {
	GinkgoHelper()
	keys, err := keyring.LoadFile(filepath.Join(d.dataDir, "store.key"))
	Expect(err).NotTo(HaveOccurred())
	return keys
}

// requests counts the requests the portal answered for method and route (the route as gin
// names it, such as /connectors/:id/disconnect), from its request log.
func (d *demo) requests(method, route string) int {
	return strings.Count(string(d.stderr.Contents()), "msg=http method="+method+" route="+route+" ")
}

// recorded returns the connections the demo's store holds for email.
func (d *demo) recorded(email string) []services.Connection {
	GinkgoHelper()
	conns, err := d.openStore().ForUser(context.Background(), email)
	Expect(err).NotTo(HaveOccurred())
	return conns
}

// browser is an HTTP client with a cookie jar, as a person's browser would hold the session.
type browser struct {
	d      *demo
	client *http.Client
}

func (d *demo) newBrowser() *browser {
	GinkgoHelper()
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	return &browser{d: d, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path, contentType, body string, headers ...string) answer {
	GinkgoHelper()
	return b.doReader(method, path, contentType, strings.NewReader(body), headers...)
}

// doReader is do with the body read from r; a reader of unknown length is sent chunked.
func (b *browser) doReader(method, path, contentType string, body io.Reader, headers ...string) answer {
	GinkgoHelper()
	req, err := http.NewRequest(method, b.d.portal+path, body)
	Expect(err).NotTo(HaveOccurred())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return answer{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (b *browser) signIn(email string) {
	GinkgoHelper()
	a := b.do(http.MethodPost, "/auth/dev-login", "application/x-www-form-urlencoded", url.Values{"email": {email}}.Encode())
	Expect(a.status).To(Equal(http.StatusSeeOther))
}

func (b *browser) api(action, serviceID string) answer {
	GinkgoHelper()
	body, err := json.Marshal(map[string]string{"service_id": serviceID})
	Expect(err).NotTo(HaveOccurred())
	return b.do(http.MethodPost, "/api/service-connectors/"+action, "application/json", string(body))
}
