package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/PuerkitoBio/goquery"
	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// fakeConnector answers with whatever its function fields say.
type fakeConnector struct {
	mu             sync.Mutex
	OverviewFunc   func(user services.User) []connector.ServiceState
	OverviewErr    error                     // when set, Overview fails with it (the store could not be read)
	OverviewWait   func(ctx context.Context) // when set, Overview calls it first
	ConnectFunc    func(user services.User, id string) (connector.ServiceState, error)
	DisconnectFunc func(user services.User, id string) (connector.ServiceState, error)
	StateFunc      func(user services.User, id string) (connector.ServiceState, error)
	HealthFunc     func() []connector.ServiceHealth
	AccountFunc    func(user services.User) error // nil: every account is the person's own
	// NoAccount lists the server accounts that do not exist; every other one does.
	NoAccount []string
	calls     []string
	adminFake // the admin page's use cases, in admin_fake_test.go
	auditFake // the audit log, in audit_fake_test.go
}

func (f *fakeConnector) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeConnector) Overview(ctx context.Context, u services.User) ([]connector.ServiceState, error) {
	f.record("overview " + u.Email)
	if f.OverviewWait != nil {
		f.OverviewWait(ctx)
	}
	if f.OverviewErr != nil {
		return nil, f.OverviewErr
	}
	return f.OverviewFunc(u), nil
}

func (f *fakeConnector) State(_ context.Context, u services.User, id string) (connector.ServiceState, error) {
	f.record("state " + id)
	return f.StateFunc(u, id)
}

func (f *fakeConnector) Connect(_ context.Context, u services.User, id string) (connector.ServiceState, error) {
	f.record("connect " + u.Username + " " + id)
	return f.ConnectFunc(u, id)
}

func (f *fakeConnector) Disconnect(_ context.Context, u services.User, id string) (connector.ServiceState, error) {
	f.record("disconnect " + u.Username + " " + id)
	return f.DisconnectFunc(u, id)
}

func (f *fakeConnector) Health(context.Context) []connector.ServiceHealth {
	f.record("health")
	return f.HealthFunc()
}

func (f *fakeConnector) HasAccount(u services.User) bool {
	return !slices.Contains(f.NoAccount, u.Username)
}

func (f *fakeConnector) CheckAccount(_ context.Context, u services.User) error {
	if f.AccountFunc == nil {
		return nil
	}
	return f.AccountFunc(u)
}

// fakeIdentity maps emails at example.com to their local part.
type fakeIdentity struct{}

func (fakeIdentity) Username(email string) (string, error) {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || domain != "example.com" || local == "" {
		return "", services.Errorf(services.EInvalid, "%s is not allowed to sign in here.", email)
	}
	return local, nil
}

var poService = services.Service{
	ID: "purchase_orders", Name: "Purchase Orders", Description: "Order things.",
	TokenExchangeURL: "https://po.internal/api/internal/token-exchange", TokenRevokeURL: "https://po.internal/api/internal/token-revoke",
	EnvVarName: "PO_API_KEY", SkillFile: "sc_purchase_orders.md", Enabled: true,
}

// portal is the handlers behind a small router like app's, served by httptest.
type portal struct {
	server    *httptest.Server
	client    *http.Client
	connector *fakeConnector
	log       *lockedBuffer
	ready     error
}

func newPortal() *portal {
	GinkgoHelper()
	p := &portal{connector: &fakeConnector{}, log: &lockedBuffer{}}
	h := handlers.New(handlers.Config{
		Connector: p.connector, Admin: p.connector, Audit: p.connector, Identity: fakeIdentity{}, Demo: true,
		DemoPeople: []string{"alice@example.com"}, Admins: []string{"Boss@Example.com"},
		Log:      slog.New(slog.NewTextHandler(p.log, nil)),
		Registry: testRegistryStatus,
		Ready:    []handlers.Check{{Name: "data_dir", Run: func(context.Context) error { return p.ready }}},
	})
	r := gin.New()
	r.Use(handlers.SecurityHeaders, h.LimitBody)
	store := cookie.NewStore(bytes.Repeat([]byte("k"), 32), bytes.Repeat([]byte("b"), 32))
	web := r.Group("/", sessions.Sessions("sc_session", store))
	web.GET("/login", h.LoginPage)
	web.POST("/auth/dev-login", h.DevLogin)
	web.POST("/logout", h.Logout)
	web.GET("/auth/google/callback", h.GoogleCallback)
	web.GET("/", h.RequirePage, h.Dashboard)
	web.GET("/admin", h.RequirePage, h.Admin)
	web.GET("/admin/connections/disconnect", h.RequirePage, h.AdminConfirmDisconnect)
	web.POST("/admin/connections/disconnect", h.RequirePage, h.AdminDisconnect)
	web.GET("/admin/offboard", h.RequirePage, h.AdminOffboardReview)
	web.POST("/admin/offboard", h.RequirePage, h.AdminOffboard)
	web.POST("/admin/revocations/retry", h.RequirePage, h.AdminRetryRevocation)
	web.POST("/admin/revocations/retry-all", h.RequirePage, h.AdminRetryAll)
	web.GET("/admin/audit", h.RequirePage, h.AdminAudit)
	web.POST("/connectors/:id/connect", h.RequireFragment, h.ConnectCard)
	web.GET("/connectors/:id/disconnect", h.RequirePage, h.ConfirmDisconnect)
	web.POST("/connectors/:id/disconnect", h.RequireFragment, h.DisconnectCard)
	api := web.Group("/api/service-connectors", h.RequireAPI)
	api.GET("", h.ListAPI)
	api.POST("/connect", h.ConnectAPI)
	api.POST("/disconnect", h.DisconnectAPI)
	api.GET("/health", h.HealthAPI)
	r.GET("/readyz", h.Readyz)
	r.NoRoute(h.NotFound)
	p.server = httptest.NewServer(r)
	DeferCleanup(p.server.Close)
	jar, err := cookiejar.New(nil)
	Expect(err).NotTo(HaveOccurred())
	p.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return p
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) doc() *goquery.Document {
	GinkgoHelper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(r.body))
	Expect(err).NotTo(HaveOccurred())
	return doc
}

func (p *portal) do(method, path string, body io.Reader, headers map[string]string) response {
	GinkgoHelper()
	req, err := http.NewRequest(method, p.server.URL+path, body)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return response{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (p *portal) get(path string) response { return p.do(http.MethodGet, path, nil, nil) }

func (p *portal) postForm(path string, form url.Values, htmx bool) response {
	headers := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if htmx {
		headers["HX-Request"] = "true"
	}
	return p.do(http.MethodPost, path, strings.NewReader(form.Encode()), headers)
}

func (p *portal) postJSON(path, body string) response {
	return p.do(http.MethodPost, path, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
}

func (p *portal) signIn(email string) {
	GinkgoHelper()
	r := p.postForm("/auth/dev-login", url.Values{"email": {email}}, false)
	Expect(r.status).To(Equal(http.StatusSeeOther))
}

var errBoom = errors.New("database on fire at 10.0.0.7")

// lockedBuffer is a buffer that the portal's log writes to while a spec reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
