package connector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/registry"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// world is a connector over the real store, exchange client, reference services and
// directory installer, with a clock and an installer the specs can steer.
type world struct {
	conn  *connector.Connector
	store *store.Store
	// storeConfig opens the world's database again, as another process would.
	storeConfig store.Config
	refs        map[string]*refservice.Service
	server      *httptest.Server
	homes       string
	clock       *clock
	installer   *fakeInstaller
	secrets     map[string]services.Secret
	alice       services.User
	// registryFile is the registry the connector reads through registry, a live registry.
	registryFile string
	registry     *registry.Live
	// loseExchangeAnswers makes every exchange mint its key and answer 502 instead.
	loseExchangeAnswers atomic.Bool
	// corruptKeys makes every exchange mint its key and answer it with an invalid api_key.
	corruptKeys atomic.Bool
	hookMu      sync.Mutex
	onExchange  func() // runs in the service before it handles an exchange
}

// OnExchange sets what runs in the service before it handles each exchange; nil for nothing.
func (w *world) OnExchange(f func()) {
	w.hookMu.Lock()
	defer w.hookMu.Unlock()
	w.onExchange = f
}

func (w *world) exchangeHook() func() {
	w.hookMu.Lock()
	defer w.hookMu.Unlock()
	return w.onExchange
}

// otherProcess is a second connector on the same database, as the offboard command is.
func (w *world) otherProcess() *connector.Connector {
	GinkgoHelper()
	cfg := w.storeConfig
	cfg.Owner = ""
	st := storetest.Open(cfg)
	return connector.New(w.registry, st, exchange.New(&http.Client{}, 2*time.Second), w.installer,
		func(id string) (services.Secret, bool) { s, ok := w.secrets[id]; return s, ok },
		connector.Options{Now: w.clock.Now, Log: slog.New(slog.NewTextHandler(GinkgoWriter, nil))})
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeInstaller delivers through a real DirInstaller unless InstallFunc says otherwise.
type fakeInstaller struct {
	mu          sync.Mutex
	real        *delivery.DirInstaller
	InstallFunc func(username string, b delivery.Bundle) error
	after       func() error
	calls       int
}

func (f *fakeInstaller) Install(ctx context.Context, username string, b delivery.Bundle) error {
	f.mu.Lock()
	f.calls++
	fn, after := f.InstallFunc, f.after
	f.mu.Unlock()
	if fn != nil {
		if err := fn(username, b); err != nil {
			return err
		}
	}
	if err := f.real.Install(ctx, username, b); err != nil {
		return err
	}
	if after != nil {
		f.mu.Lock()
		defer f.mu.Unlock()
		return after()
	}
	return nil
}

// FailOnceAfterWriting delivers for real, then reports err, once: a helper that wrote the
// files and then died.
func (f *fakeInstaller) FailOnceAfterWriting(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	failed := false
	f.InstallFunc = nil
	f.after = func() error {
		if failed {
			return nil
		}
		failed = true
		return err
	}
}

// Heal makes the installer deliver for real again.
func (f *fakeInstaller) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.InstallFunc, f.after = nil, nil
}

func (f *fakeInstaller) Fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.InstallFunc = func(string, delivery.Bundle) error { return err }
}

const registryJSON = `{"services": [
  {"id": "purchase_orders", "name": "Purchase Orders", "description": "POs.",
   "token_exchange_url": "%[1]s/purchase_orders/api/internal/token-exchange",
   "token_revoke_url": "%[1]s/purchase_orders/api/internal/token-revoke",
   "health_url": "%[1]s/purchase_orders/health",
   "env_var_name": "PO_API_KEY", "skill_file": "sc_purchase_orders.md", "ttl_days": 365},
  {"id": "crm", "name": "CRM", "description": "Customers.",
   "token_exchange_url": "%[1]s/crm/api/internal/token-exchange",
   "token_revoke_url": "%[1]s/crm/api/internal/token-revoke",
   "env_var_name": "CRM_API_KEY", "skill_file": "sc_crm.md"},
  {"id": "invoicing", "name": "Invoicing", "description": "Invoices.",
   "token_exchange_url": "%[1]s/invoicing/api/internal/token-exchange",
   "token_revoke_url": "%[1]s/invoicing/api/internal/token-revoke",
   "health_url": "%[1]s/invoicing/broken-health",
   "env_var_name": "INVOICING_API_KEY", "skill_file": "sc_invoicing.md", "enabled": false}
]}`

// worldOption changes the world before the connector is built.
type worldOption func(registry *string, opts *connector.Options)

func newWorld(options ...worldOption) *world {
	GinkgoHelper()
	w := &world{
		clock:   &clock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
		refs:    map[string]*refservice.Service{},
		secrets: map[string]services.Secret{},
		alice:   services.User{Email: "Alice@Example.com", Username: "alice"},
	}
	apis := map[string]refservice.API{"purchase_orders": refservice.PurchaseOrders, "crm": refservice.CRM, "invoicing": refservice.Invoicing}
	var refs []*refservice.Service
	for id, api := range apis {
		w.secrets[id] = services.Secret("secret-of-" + id + "-0123456789")
		ref, err := refservice.New(refservice.Config{ID: id, Name: id, API: api, Secret: w.secrets[id], Now: w.clock.Now})
		Expect(err).NotTo(HaveOccurred())
		w.refs[id] = ref
		refs = append(refs, ref)
	}
	refHandler := refservice.Handler(refs...)
	w.server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if hook := w.exchangeHook(); hook != nil && strings.HasSuffix(r.URL.Path, "/token-exchange") {
			hook()
		}
		if w.corruptKeys.Load() && strings.HasSuffix(r.URL.Path, "/token-exchange") {
			// The service mints the key and says which, but sends a key no client can use.
			rec := httptest.NewRecorder()
			refHandler.ServeHTTP(rec, r)
			var answer map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &answer)
			answer["api_key"] = "not a key"
			rw.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(rw).Encode(answer)
			return
		}
		if w.loseExchangeAnswers.Load() && strings.HasSuffix(r.URL.Path, "/token-exchange") {
			// The service mints the key, and the answer is lost on the way back.
			refHandler.ServeHTTP(httptest.NewRecorder(), r)
			rw.WriteHeader(http.StatusBadGateway)
			return
		}
		refHandler.ServeHTTP(rw, r)
	}))
	DeferCleanup(w.server.Close)

	skills := fstest.MapFS{}
	for _, name := range []string{"sc_purchase_orders.md", "sc_crm.md", "sc_invoicing.md"} {
		skills[name] = &fstest.MapFile{Data: []byte("# " + name + "\nUse the API.\n")}
	}
	regJSON := fmt.Sprintf(registryJSON, w.server.URL)
	opts := connector.Options{Now: w.clock.Now, Log: slog.New(slog.NewTextHandler(GinkgoWriter, nil))}
	for _, o := range options {
		o(&regJSON, &opts)
	}
	// The registry is a live one over real files, as in serve, so specs can edit it.
	dir := GinkgoT().TempDir()
	w.registryFile = filepath.Join(dir, "service_connectors.json")
	Expect(os.WriteFile(w.registryFile, []byte(regJSON), 0o600)).To(Succeed())
	Expect(os.Mkdir(filepath.Join(dir, "skills"), 0o700)).To(Succeed())
	for name, f := range skills {
		Expect(os.WriteFile(filepath.Join(dir, "skills", name), f.Data, 0o600)).To(Succeed())
	}
	reg, err := registry.OpenLive(w.registryFile, filepath.Join(dir, "skills"), slog.New(slog.NewTextHandler(GinkgoWriter, nil)), w.clock.Now)
	Expect(err).NotTo(HaveOccurred())
	w.registry = reg

	w.storeConfig = databases.Config(storetest.SQLite)
	w.storeConfig.Now = w.clock.Now
	w.store = storetest.Open(w.storeConfig)
	w.homes = filepath.Join(dir, "homes")
	w.installer = &fakeInstaller{real: delivery.NewDirInstaller(w.homes)}
	w.conn = connector.New(reg, w.store, exchange.New(&http.Client{}, 2*time.Second), w.installer,
		func(id string) (services.Secret, bool) { s, ok := w.secrets[id]; return s, ok }, opts)
	return w
}

// home reads a file of alice's delivered home, or "" when it does not exist.
func (w *world) home(name string) string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(w.homes, "alice", name))
	if os.IsNotExist(err) {
		return ""
	}
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// whoami calls the reference service with a key and returns the HTTP status.
func (w *world) whoami(serviceID string, key services.Secret) int {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodGet, w.server.URL+"/"+serviceID+"/api/whoami", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// recorded returns alice's recorded connection to a service.
func (w *world) recorded(serviceID string) (services.Connection, bool) {
	GinkgoHelper()
	c, ok, err := w.store.Get(context.Background(), "alice@example.com", serviceID)
	Expect(err).NotTo(HaveOccurred())
	return c, ok
}

// outliveLockLease moves the clock past the lease of every person's lock held now, as if
// its holder had stalled that long: another process may take the lock over.
func (w *world) outliveLockLease() {
	w.clock.Advance(3 * time.Minute)
}

// state is everything the world's store holds.
func (w *world) state() store.State {
	GinkgoHelper()
	return storetest.State(w.store)
}

// forUser returns the connections the store holds for email.
func (w *world) forUser(email string) []services.Connection {
	GinkgoHelper()
	conns, err := w.store.ForUser(context.Background(), email)
	Expect(err).NotTo(HaveOccurred())
	return conns
}

// overview is alice's overview.
func (w *world) overview() []connector.ServiceState {
	GinkgoHelper()
	states, err := w.conn.Overview(context.Background(), w.alice)
	Expect(err).NotTo(HaveOccurred())
	return states
}

// drained reports whether the worker has nothing left to do.
func (w *world) drained() bool {
	GinkgoHelper()
	ok, err := w.conn.Drained(context.Background())
	Expect(err).NotTo(HaveOccurred())
	return ok
}
