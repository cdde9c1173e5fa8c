package dbsession_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/app/dbsession"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

const cookieName = "sc_session"

// clock is a settable clock shared by a store and its session store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// portal is a small gin app over a session store, with the session moves the handlers make.
type portal struct{ router *gin.Engine }

func newPortal(records dbsession.Records, lifetime time.Duration, now func() time.Time) portal {
	sessionStore := dbsession.New(records, lifetime, "email", now)
	sessionStore.Options(sessions.Options{Path: "/", MaxAge: int(lifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode})
	r := gin.New()
	r.Use(sessions.Sessions(cookieName, sessionStore))
	r.POST("/signin", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Clear()
		s.Set("email", c.Query("email"))
		s.Set("username", strings.Split(c.Query("email"), "@")[0])
		if err := s.Save(); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
		}
	})
	r.GET("/me", func(c *gin.Context) {
		email, _ := sessions.Default(c).Get("email").(string)
		c.String(http.StatusOK, email)
	})
	r.POST("/flash", func(c *gin.Context) {
		s := sessions.Default(c)
		s.AddFlash(c.Query("msg"))
		if err := s.Save(); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
		}
	})
	r.GET("/flash", func(c *gin.Context) {
		s := sessions.Default(c)
		flashes := s.Flashes()
		_ = s.Save()
		if len(flashes) > 0 {
			c.String(http.StatusOK, flashes[0].(string))
		}
	})
	r.POST("/offboard-then-flash", func(c *gin.Context) {
		s := sessions.Default(c)
		email, _ := s.Get("email").(string)
		if _, err := records.(*store.Store).DeleteSessionsOf(c.Request.Context(), email); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		s.AddFlash("late")
		if err := s.Save(); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
		}
	})
	r.POST("/signout", func(c *gin.Context) {
		s := sessions.Default(c)
		s.Clear()
		s.Options(sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		_ = s.Save()
	})
	return portal{router: r}
}

// do makes a request with cookie (nil for none), and returns the body and the session cookie
// the answer set (nil when it set none).
func (p portal) do(method, path string, cookie *http.Cookie) (string, *http.Cookie) {
	GinkgoHelper()
	req := httptest.NewRequest(method, path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	p.router.ServeHTTP(rec, req)
	Expect(rec.Code).To(Equal(http.StatusOK), rec.Body.String())
	for _, c := range rec.Result().Cookies() {
		if c.Name == cookieName {
			return rec.Body.String(), c
		}
	}
	return rec.Body.String(), nil
}

// body makes a request as do does, and returns the body only.
func (p portal) body(method, path string, cookie *http.Cookie) string {
	GinkgoHelper()
	b, _ := p.do(method, path, cookie)
	return b
}

var _ = DescribeTableSubtree("Sessions in the database", func(backend storetest.Backend) {
	const lifetime = 12 * time.Hour
	var (
		clk     *clock
		records *store.Store
		app     portal
	)

	BeforeEach(func() {
		clk = &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
		cfg := databases.Config(backend)
		cfg.Now = clk.Now
		records = storetest.Open(cfg)
		app = newPortal(records, lifetime, clk.Now)
	})

	signIn := func(email string) *http.Cookie {
		GinkgoHelper()
		_, cookie := app.do(http.MethodPost, "/signin?email="+email, nil)
		Expect(cookie).NotTo(BeNil())
		return cookie
	}

	It("keeps the session on the server, the cookie holding only an opaque id", func() {
		cookie := signIn("ann@example.com")
		Expect(cookie.Value).NotTo(ContainSubstring("ann"))
		Expect(cookie.HttpOnly).To(BeTrue())
		Expect(cookie.MaxAge).To(Equal(int(lifetime.Seconds())))
		Expect(app.body(http.MethodGet, "/me", cookie)).To(Equal("ann@example.com"))
	})

	It("is shared by every portal on the database", func() {
		cookie := signIn("ann@example.com")
		other := newPortal(records, lifetime, clk.Now)
		Expect(other.body(http.MethodGet, "/me", cookie)).To(Equal("ann@example.com"))
	})

	It("refuses, after sign-out, a cookie copied before it", func() {
		cookie := signIn("ann@example.com")
		copied := *cookie
		_, cleared := app.do(http.MethodPost, "/signout", cookie)
		Expect(cleared).NotTo(BeNil())
		Expect(cleared.MaxAge).To(BeNumerically("<", 0))
		Expect(app.body(http.MethodGet, "/me", &copied)).To(BeEmpty())
	})

	It("refuses, after offboarding, every cookie of the person", func() {
		laptop, phone := signIn("ann@example.com"), signIn("ann@example.com")
		bobs := signIn("bob@example.com")
		n, err := records.DeleteSessionsOf(context.Background(), "ann@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(2))
		Expect(app.body(http.MethodGet, "/me", laptop)).To(BeEmpty())
		Expect(app.body(http.MethodGet, "/me", phone)).To(BeEmpty())
		Expect(app.body(http.MethodGet, "/me", bobs)).To(Equal("bob@example.com"))
	})

	It("ends at its absolute lifetime however active it is, and its cookie ends with it", func() {
		cookie := signIn("ann@example.com")
		clk.Advance(lifetime - time.Minute)
		_, renewed := app.do(http.MethodPost, "/flash?msg=hi", cookie)
		Expect(renewed).NotTo(BeNil())
		Expect(renewed.Value).To(Equal(cookie.Value))
		Expect(renewed.MaxAge).To(BeNumerically("<=", 60))
		Expect(renewed.MaxAge).To(BeNumerically(">", 0))
		clk.Advance(time.Minute)
		Expect(app.body(http.MethodGet, "/me", cookie)).To(BeEmpty())
	})

	It("gives a new id at sign-in, so an id known before it is worth nothing after", func() {
		_, anonymous := app.do(http.MethodPost, "/flash?msg=welcome", nil)
		Expect(anonymous).NotTo(BeNil())
		_, signedIn := app.do(http.MethodPost, "/signin?email=ann@example.com", anonymous)
		Expect(signedIn.Value).NotTo(Equal(anonymous.Value))
		Expect(app.body(http.MethodGet, "/me", anonymous)).To(BeEmpty())
		Expect(app.body(http.MethodGet, "/me", signedIn)).To(Equal("ann@example.com"))
	})

	It("does not bring back a session that ended while a request of it ran", func() {
		cookie := signIn("ann@example.com")
		_, cleared := app.do(http.MethodPost, "/offboard-then-flash", cookie)
		Expect(cleared).NotTo(BeNil())
		Expect(cleared.MaxAge).To(BeNumerically("<", 0))
		Expect(app.body(http.MethodGet, "/me", cookie)).To(BeEmpty())
	})

	It("keeps flashes from one request to the next", func() {
		cookie := signIn("ann@example.com")
		app.do(http.MethodPost, "/flash?msg=Disconnected", cookie)
		Expect(app.body(http.MethodGet, "/flash", cookie)).To(Equal("Disconnected"))
		Expect(app.body(http.MethodGet, "/flash", cookie)).To(BeEmpty())
		Expect(app.body(http.MethodGet, "/me", cookie)).To(Equal("ann@example.com"))
	})

	It("stores nothing, and sets no cookie, for a visitor with nothing to keep", func() {
		_, cookie := app.do(http.MethodGet, "/flash", nil)
		Expect(cookie).To(BeNil())
		clk.Advance(lifetime)
		n, _, err := records.PurgeExpired(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0))
	})
}, Entry("on SQLite", storetest.SQLite), Entry("on PostgreSQL", storetest.PostgreSQL))
