package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("Pages", func() {
	var p *portal
	expires := time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)

	BeforeEach(func() {
		p = newPortal()
		p.connector.OverviewFunc = func(services.User) []connector.ServiceState {
			crm := poService
			crm.ID, crm.Name, crm.EnvVarName = "crm", "CRM", "CRM_API_KEY"
			inv := poService
			inv.ID, inv.Name = "invoicing", "Invoicing"
			old := poService
			old.ID, old.Name = "old", "Old"
			return []connector.ServiceState{
				{Service: poService, Configured: true, Status: connector.StatusConnected, ConnectedAt: expires.AddDate(-1, 0, 0), ExpiresAt: expires},
				{Service: crm, Configured: true, Status: connector.StatusNotConnected},
				{Service: inv, Configured: false, Status: connector.StatusNotConnected},
				{Service: old, Configured: true, Status: connector.StatusExpired, ExpiresAt: expires.AddDate(-2, 0, 0)},
			}
		}
	})

	Describe("the dashboard", func() {
		When("nobody is signed in", func() {
			It("sends the person to the sign-in page, remembering where they were going", func() {
				r := p.get("/?tab=1")
				Expect(r.status).To(Equal(http.StatusSeeOther))
				Expect(r.header.Get("Location")).To(Equal("/login?next=%2F%3Ftab%3D1"))
			})

			It("does not remember a form post, which could not be repeated after sign-in", func() {
				r := p.postForm("/connectors/crm/connect", nil, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				Expect(r.header.Get("Location")).To(Equal("/login"))
			})
		})

		When("the person has no server account", func() {
			It("says so and offers no Connect", func() {
				p.connector.NoAccount = []string{"alice"}
				p.signIn("alice@example.com")
				doc := p.get("/").doc()
				Expect(doc.Find(`[data-testid="no-account"]`).Text()).To(ContainSubstring("no server account alice on the analyst server yet"))
				connect := doc.Find(`[data-testid="service-card-crm"] [data-testid="connect"]`)
				Expect(connect.Length()).To(Equal(1))
				Expect(connect.AttrOr("disabled", "absent")).NotTo(Equal("absent"))
			})
		})

		When("the person gives up waiting, and the reads of their records are cut short", func() {
			It("logs the request as one its client gave up on, not as an error", func() {
				p.signIn("alice@example.com")
				entered := make(chan struct{})
				p.connector.OverviewWait = func(ctx context.Context) { close(entered); <-ctx.Done() }
				p.connector.OverviewErr = errors.New("store: read a person's connections: context canceled")
				ctx, cancel := context.WithCancel(context.Background())
				go func() { <-entered; cancel() }()
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.server.URL+"/", nil)
				Expect(err).NotTo(HaveOccurred())
				_, err = p.client.Do(req)
				Expect(err).To(MatchError(context.Canceled))
				Eventually(p.log.String).Should(ContainSubstring(`level=INFO msg="request failed"`))
				Expect(p.log.String()).NotTo(ContainSubstring("level=ERROR"))
			})
		})

		When("the person's records cannot be read", func() {
			It("answers 500 with a safe message, never the cause, and no empty cards", func() {
				p.connector.OverviewErr = errors.New("store: read a person's connections: database is locked")
				p.signIn("alice@example.com")
				r := p.get("/")
				Expect(r.status).To(Equal(http.StatusInternalServerError))
				Expect(r.body).NotTo(ContainSubstring("database is locked"))
				Expect(r.doc().Find(`[data-testid^="service-card-"]`).Length()).To(BeZero())
			})
		})

		When("a person is signed in", func() {
			var r response
			BeforeEach(func() {
				p.signIn("alice@example.com")
				r = p.get("/")
			})

			It("shows one card per service in the Service Connectors card", func() {
				Expect(r.status).To(Equal(http.StatusOK))
				doc := r.doc()
				Expect(doc.Find(`[data-testid="service-connectors"] h1`).Text()).To(Equal("Service Connectors"))
				Expect(doc.Find(`[data-testid^="service-card-"]`).Length()).To(Equal(4))
				Expect(doc.Find(`[data-testid="user-email"]`).Text()).To(Equal("alice@example.com"))
				Expect(doc.Find(`[data-testid="user-account"]`).Text()).To(Equal("account alice"))
			})

			It("shows a connected service with a green badge, its expiry date and Disconnect", func() {
				card := r.doc().Find(`[data-testid="service-card-purchase_orders"]`)
				Expect(card.AttrOr("id", "")).To(Equal("card-purchase_orders"))
				Expect(card.Find(`[data-testid="status-badge"]`).Text()).To(Equal("Connected"))
				Expect(card.Find(`[data-testid="status-badge"]`).HasClass("badge-ok")).To(BeTrue())
				Expect(card.Find(`[data-testid="card-detail"] time`).Text()).To(Equal("22 Nov 2027"))
				Expect(card.Find(`[data-testid="card-detail"] time`).AttrOr("datetime", "")).To(Equal("2027-11-22T12:00:00Z"))
				Expect(card.Find(`[data-testid="disconnect"]`).Text()).To(Equal("Disconnect"))
				Expect(card.Find(`[data-testid="connect"]`).Length()).To(BeZero())
			})

			It("gives every button an HTMX post that swaps only its card, and a plain form fallback", func() {
				form := r.doc().Find(`[data-testid="service-card-crm"] form`)
				Expect(form.AttrOr("method", "")).To(Equal("post"))
				Expect(form.AttrOr("action", "")).To(Equal("/connectors/crm/connect"))
				Expect(form.AttrOr("hx-post", "")).To(Equal("/connectors/crm/connect"))
				Expect(form.AttrOr("hx-target", "")).To(Equal("#card-crm"))
				Expect(form.AttrOr("hx-swap", "")).To(Equal("outerHTML"))
				Expect(form.AttrOr("hx-indicator", "")).To(Equal("#spinner-crm"))
				Expect(form.AttrOr("hx-disabled-elt", "")).To(Equal("find button"))
				Expect(r.doc().Find("#spinner-crm").HasClass("htmx-indicator")).To(BeTrue())
			})

			It("shows a service without a shared secret as not configured, with Connect disabled", func() {
				card := r.doc().Find(`[data-testid="service-card-invoicing"]`)
				Expect(card.Find(`[data-testid="status-badge"]`).Text()).To(Equal("Not configured"))
				_, disabled := card.Find(`button[data-testid="connect"]`).Attr("disabled")
				Expect(disabled).To(BeTrue())
				Expect(card.Find(`form`).Length()).To(BeZero())
				Expect(card.Find(`[data-testid="card-detail"]`).Text()).To(ContainSubstring("the platform team has to add its shared secret"))
			})

			It("offers Reconnect for an expired key", func() {
				card := r.doc().Find(`[data-testid="service-card-old"]`)
				Expect(card.Find(`[data-testid="status-badge"]`).Text()).To(Equal("Expired"))
				Expect(card.Find(`[data-testid="connect"]`).Text()).To(Equal("Reconnect"))
			})

			It("shows no banner about the account or a pending delivery when all is well", func() {
				doc := r.doc()
				Expect(doc.Find(`[data-testid="account-taken"], [data-testid="no-account"], [data-testid="delivery-pending"]`).Length()).To(BeZero())
				Expect(doc.Find(`[data-testid="service-card-crm"] button[data-testid="connect"]:not([disabled])`).Length()).To(Equal(1))
			})

			It("never shows an internal URL", func() {
				Expect(r.body).NotTo(ContainSubstring("po.internal"))
			})

			It("sets the security headers", func() {
				Expect(r.header.Get("Content-Security-Policy")).To(ContainSubstring("script-src 'self'"))
				Expect(r.header.Get("X-Frame-Options")).To(Equal("DENY"))
				Expect(r.header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
			})
		})
	})

	When("the person's server account already receives another person's keys", func() {
		BeforeEach(func() {
			p.connector.AccountFunc = func(u services.User) error {
				return services.Errorf(services.EConflict, "The server account %q already receives keys for another person.", u.Username)
			}
			p.signIn("alice@example.com")
		})

		It("says so on the dashboard at once, in plain words: who to ask and what to tell them", func() {
			doc := p.get("/").doc()
			banner := doc.Find(`[data-testid="account-taken"]`)
			Expect(banner.Length()).To(Equal(1))
			text := strings.Join(strings.Fields(banner.Text()), " ")
			Expect(text).To(ContainSubstring("Your email leads to the server account alice, which already receives the keys of another person"))
			Expect(text).To(ContainSubstring("Ask the platform team, who run this portal (boss@example.com)"))
			Expect(text).To(ContainSubstring("Tell them your email, alice@example.com, and that it leads to the account alice"))
			Expect(text).NotTo(ContainSubstring("map"))
			Expect(doc.Find(`button[data-testid="connect"]:not([disabled])`).Length()).To(BeZero(), "Connect is unavailable on every card")
			Expect(p.connector.calls).NotTo(ContainElement(HavePrefix("connect")))
		})
	})

	Describe("sign-in", func() {
		It("offers the demo people and any email", func() {
			doc := p.get("/login").doc()
			Expect(doc.Find(`[data-testid="dev-login-alice@example.com"]`).Length()).To(Equal(1))
			Expect(doc.Find(`[data-testid="dev-login-form"] input[name="email"]`).Length()).To(Equal(1))
		})

		It("refuses an email the identity mapping refuses, in plain words", func() {
			r := p.postForm("/auth/dev-login", url.Values{"email": {"mallory@evil.example"}}, false)
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(r.doc().Find(`[data-testid="login-error"]`).Text()).To(Equal("mallory@evil.example is not allowed to sign in here."))
			Expect(p.get("/").status).To(Equal(http.StatusSeeOther))
		})

		DescribeTable("lands on a local page only",
			func(next, want string) {
				r := p.postForm("/auth/dev-login", url.Values{"email": {"alice@example.com"}, "next": {next}}, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				Expect(r.header.Get("Location")).To(Equal(want))
			},
			Entry("a local path", "/?x=1", "/?x=1"),
			Entry("nothing", "", "/"),
			Entry("a protocol-relative URL", "//evil.example/", "/"),
			Entry("an absolute URL", "https://evil.example/", "/"),
			Entry("a backslash trick", `/\evil.example`, "/"),
			Entry("a relative path", "evil", "/"),
		)

		It("ends the session at sign-out", func() {
			p.signIn("alice@example.com")
			Expect(p.get("/").status).To(Equal(http.StatusOK))
			r := p.postForm("/logout", nil, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/login"))
			Expect(p.get("/").status).To(Equal(http.StatusSeeOther))
		})
	})

	Describe("readiness", func() {
		It("answers 503 naming the failing check", func() {
			p.ready = errBoom
			r := p.get("/readyz")
			Expect(r.status).To(Equal(http.StatusServiceUnavailable))
			Expect(r.body).To(ContainSubstring(`"data_dir"`))
			Expect(r.body).NotTo(ContainSubstring("10.0.0.7"))
			p.ready = nil
			Expect(p.get("/readyz").status).To(Equal(http.StatusOK))
		})
	})

	It("answers an unknown page with 404", func() {
		r := p.get("/nope")
		Expect(r.status).To(Equal(http.StatusNotFound))
		Expect(r.doc().Find(`[data-testid="error-page"]`).Length()).To(Equal(1))
	})
})
