package refservice_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

// The shared secrets the specs' portal presents.
const (
	poSecret  = "po-shared-secret-for-specs"
	invSecret = "inv-shared-secret-for-specs"
	crmSecret = "crm-shared-secret-for-specs"
)

// fakeClock is a clock the specs move by hand; the services read it from handler goroutines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// world is the three reference services behind one real HTTP server.
type world struct {
	clock  *fakeClock
	po     *refservice.Service
	inv    *refservice.Service
	crm    *refservice.Service
	server *httptest.Server
	client *http.Client
}

// answer is what the server answered, with the body decoded as a JSON object when it is one.
type answer struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

func newWorld() *world {
	GinkgoHelper()
	w := &world{clock: &fakeClock{now: time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)}}
	w.po = newService(refservice.Config{ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders, Secret: poSecret, Now: w.clock.Now})
	w.inv = newService(refservice.Config{ID: "invoicing", Name: "Invoicing", API: refservice.Invoicing, Secret: invSecret, Now: w.clock.Now})
	w.crm = newService(refservice.Config{ID: "crm", Name: "CRM", API: refservice.CRM, Secret: crmSecret, Now: w.clock.Now})
	w.server = httptest.NewServer(refservice.Handler(w.po, w.inv, w.crm))
	DeferCleanup(w.server.Close)
	w.client = w.server.Client()
	return w
}

func newService(cfg refservice.Config) *refservice.Service {
	GinkgoHelper()
	s, err := refservice.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	return s
}

// do sends a request with an optional bearer credential and body.
func (w *world) do(method, path, bearer, body string) answer {
	GinkgoHelper()
	authorization := ""
	if bearer != "" {
		authorization = "Bearer " + bearer
	}
	return w.doAuth(method, path, authorization, body)
}

// doAuth sends a request with an optional raw Authorization header and body.
func (w *world) doAuth(method, path, authorization, body string) answer {
	GinkgoHelper()
	req, err := http.NewRequest(method, w.server.URL+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.json)
	return a
}

func (w *world) get(path, key string) answer {
	GinkgoHelper()
	return w.do(http.MethodGet, path, key, "")
}

// exchange asks the Purchase Orders service for a key with the portal's secret.
func (w *world) exchange(body string) answer {
	GinkgoHelper()
	return w.do(http.MethodPost, "/purchase_orders/api/internal/token-exchange", poSecret, body)
}

func (w *world) revoke(tokenID string) answer {
	GinkgoHelper()
	return w.do(http.MethodPost, "/purchase_orders/api/internal/token-revoke", poSecret, `{"token_id":`+quote(tokenID)+`}`)
}

// connect mints a key for email at service id, as the portal does on Connect.
func (w *world) connect(id, secret, email string) (key services.Secret, tokenID string) {
	GinkgoHelper()
	a := w.do(http.MethodPost, "/"+id+"/api/internal/token-exchange", secret, `{"user_email":`+quote(email)+`,"ttl_days":30}`)
	Expect(a.status).To(Equal(http.StatusOK), a.raw)
	return services.Secret(a.json["api_key"].(string)), a.json["token_id"].(string)
}

func quote(s string) string {
	b, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// items returns the "items" of a list answer.
func (a answer) items() []map[string]any {
	GinkgoHelper()
	raw, ok := a.json["items"].([]any)
	Expect(ok).To(BeTrue(), "no items array in %s", a.raw)
	items := make([]map[string]any, len(raw))
	for i, item := range raw {
		items[i] = item.(map[string]any)
	}
	return items
}

// ids returns the "id" of every item of a list answer.
func (a answer) ids() []string {
	GinkgoHelper()
	var ids []string
	for _, item := range a.items() {
		ids = append(ids, item["id"].(string))
	}
	return ids
}

// all walks every page of a list endpoint with a key, 100 a page unless path says otherwise,
// and returns all items.
func (w *world) all(path, key string) []map[string]any {
	GinkgoHelper()
	u, err := url.Parse(path)
	Expect(err).NotTo(HaveOccurred())
	q := u.Query()
	if !q.Has("per_page") {
		q.Set("per_page", "100")
	}
	var items []map[string]any
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		u.RawQuery = q.Encode()
		a := w.get(u.String(), key)
		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		items = append(items, a.items()...)
		if a.json["next_page"] == nil {
			return items
		}
		Expect(a.json["next_page"]).To(BeNumerically("==", page+1))
	}
}
