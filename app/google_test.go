package app_test

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("serve's Google sign-in", Label("google"), func() {
	var (
		google *fakeGoogle
		env    map[string]string
		portal *servePortal
		b      *jarClient
	)

	BeforeEach(func() {
		google = newFakeGoogle()
		env = serveEnv()
		delete(env, "SC_BASE_URL")
		b = newJarClient()
	})

	JustBeforeEach(func() {
		portal = startServe(env, google)
	})

	signedOut := func() {
		GinkgoHelper()
		status, final, _ := b.get(portal.url + "/")
		Expect(status).To(Equal(http.StatusOK))
		Expect(final.Path).To(Equal("/login"))
	}

	It("signs a verified person of an allowed domain in and lands on the page asked for", func() {
		status, final, body := b.get(portal.url + "/auth/google?next=" + url.QueryEscape("/admin"))
		Expect(status).To(Equal(http.StatusOK))
		Expect(final.String()).To(Equal(portal.url + "/admin"))
		Expect(body).To(ContainSubstring(`data-testid="admin-service-purchase_orders"`))
		Expect(body).NotTo(ContainSubstring("po-shared-secret"))

		status, final, body = b.get(portal.url + "/")
		Expect(status).To(Equal(http.StatusOK))
		Expect(final.Path).To(Equal("/"))
		Expect(body).To(ContainSubstring("alice@example.com"))
		Expect(body).NotTo(ContainSubstring(`data-testid="no-account"`))

		logs := string(portal.stderr.Contents())
		for _, secret := range []string{testSessionSecret, testClientSecret, testAccessToken, "po-shared-secret-123"} {
			Expect(logs).NotTo(ContainSubstring(secret))
			Expect(body).NotTo(ContainSubstring(secret))
		}
	})

	It("shows Sign in with Google and no dev sign-in on the login page", func() {
		_, _, body := b.get(portal.url + "/login")
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Find(`[data-testid="google-login"]`).Text()).To(Equal("Sign in with Google"))
		Expect(doc.Find(`[data-testid="dev-login-form"]`).Length()).To(BeZero())

		resp, err := b.client.PostForm(portal.url+"/auth/dev-login", url.Values{"email": {"alice@example.com"}})
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
	})

	It("refuses a forged state and gives no session", func() {
		b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := b.client.Get(portal.url + "/auth/google")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusFound))

		resp, err = b.client.Get(portal.url + "/auth/google/callback?code=code-forged&state=forged")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
		b.client.CheckRedirect = nil
		signedOut()
	})

	It("refuses a replayed callback after sign-out", func() {
		b.get(portal.url + "/auth/google")
		replay := b.callbackURL()
		resp, err := b.client.PostForm(portal.url+"/logout", nil)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		signedOut()

		status, _, body := b.get(replay)
		Expect(status).To(Equal(http.StatusForbidden))
		Expect(body).To(ContainSubstring("already used"))
		signedOut()
	})

	DescribeTable("who Google says signed in",
		func(claims map[string]any, status int, says string) {
			google.setClaims(claims)
			code, _, body := b.get(portal.url + "/auth/google")
			Expect(code).To(Equal(status))
			Expect(body).To(ContainSubstring(says))
			if status != http.StatusOK {
				signedOut()
			}
			kind := "sign_in"
			if status != http.StatusOK {
				kind = "sign_in_refused"
			}
			Expect(auditIn(env["SC_DATA_DIR"])).To(HaveExactElements(And(HaveField("Kind", kind), HaveField("Reason", ContainSubstring("google")),
				HaveField("Person", services.LowerASCII(claims["email"].(string))))),
				"the audit log holds the sign-in, or its refusal")
		},
		Entry("an unverified email is refused",
			map[string]any{"email": "alice@example.com", "verified_email": false, "hd": "example.com"},
			http.StatusForbidden, "is not verified"),
		Entry("a foreign domain is refused",
			map[string]any{"email": "mallory@evil.example", "verified_email": true, "hd": "evil.example"},
			http.StatusForbidden, "not in a domain allowed"),
		Entry("a personal account without hd is refused",
			map[string]any{"email": "alice@example.com", "verified_email": true},
			http.StatusForbidden, "personal Google account"),
		Entry("a wrong hd is refused",
			map[string]any{"email": "alice@example.com", "verified_email": true, "hd": "other.example"},
			http.StatusForbidden, "organisation that is not allowed"),
		// Lower-cased the Unicode way, the Kelvin sign would make this carol@example.com, an admin.
		Entry("an email that lower-cases to another person's only by Unicode rules is refused",
			map[string]any{"email": "\u212Aarol@example.com", "email_verified": true, "hd": "example.com"},
			http.StatusForbidden, "is not a valid email address"),
		Entry("a mixed-case email is accepted, lower-cased",
			map[string]any{"email": "Alice@Example.COM", "email_verified": true, "hd": "example.com"},
			http.StatusOK, "alice@example.com"),
	)

	DescribeTable("an open redirect attempt lands on the dashboard",
		func(next string) {
			status, final, _ := b.get(portal.url + "/auth/google?next=" + url.QueryEscape(next))
			Expect(status).To(Equal(http.StatusOK))
			Expect(final.String()).To(Equal(portal.url + "/"))
		},
		Entry("protocol-relative", "//evil.example"),
		Entry("absolute", "https://evil.example"),
		Entry("backslash", `/\evil`),
	)

	When("the person has no server account yet", func() {
		BeforeEach(func() {
			google.setClaims(map[string]any{"email": "zz_no_account@example.com", "verified_email": true, "hd": "example.com"})
		})

		It("says so on the dashboard and offers no Connect", func() {
			status, _, body := b.get(portal.url + "/auth/google")
			Expect(status).To(Equal(http.StatusOK))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
			Expect(err).NotTo(HaveOccurred())
			said := strings.Join(strings.Fields(doc.Find(`[data-testid="no-account"]`).Text()), " ")
			Expect(said).To(ContainSubstring("There is no server account zz_no_account on the analyst server yet"))
			Expect(said).To(ContainSubstring("Ask the platform team, who run this portal (alice@example.com), to create the account zz_no_account"))
			connect := doc.Find(`[data-testid="service-card-purchase_orders"] [data-testid="connect"]`)
			Expect(connect.Length()).To(Equal(1))
			Expect(connect.AttrOr("disabled", "absent")).NotTo(Equal("absent"))

			resp, err := b.client.Post(portal.url+"/api/service-connectors/connect", "application/json",
				strings.NewReader(`{"service_id":"purchase_orders"}`))
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusServiceUnavailable))
		})
	})

	Describe("/admin", func() {
		It("sends a signed-out person to sign in", func() {
			b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := b.client.Get(portal.url + "/admin")
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
			Expect(resp.Header.Get("Location")).To(Equal("/login?next=%2Fadmin"))
		})

		It("answers 403 to a person who is not an admin", func() {
			google.setClaims(map[string]any{"email": "bob@example.com", "verified_email": true, "hd": "example.com"})
			b.get(portal.url + "/auth/google")
			status, _, body := b.get(portal.url + "/admin")
			Expect(status).To(Equal(http.StatusForbidden))
			Expect(body).To(ContainSubstring("This page is for the portal"))
		})
	})

	Describe("the session cookie", func() {
		cookieOf := func() string {
			GinkgoHelper()
			b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := b.client.Get(portal.url + "/auth/google")
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			for _, c := range resp.Header.Values("Set-Cookie") {
				if strings.HasPrefix(c, "sc_session=") {
					return c
				}
			}
			Fail("no session cookie was set")
			return ""
		}

		It("is HttpOnly and SameSite=Lax, not Secure over http", func() {
			c := cookieOf()
			Expect(c).To(ContainSubstring("HttpOnly"))
			Expect(c).To(ContainSubstring("SameSite=Lax"))
			Expect(c).NotTo(ContainSubstring("Secure"))
		})

		When("the portal is reached over https", func() {
			BeforeEach(func() {
				env["SC_BASE_URL"] = "https://portal.example.com"
			})

			It("is Secure as well", func() {
				c := cookieOf()
				Expect(c).To(ContainSubstring("HttpOnly"))
				Expect(c).To(ContainSubstring("SameSite=Lax"))
				Expect(c).To(ContainSubstring("Secure"))
			})
		})
	})
})
