package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/exchange"
)

// words is the text of a selection with its whitespace folded, as a person reads it.
func words(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

var _ = Describe("Service cards", func() {
	var p *portal
	expires := time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)
	issued := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const tokenID = "tok_0123456789abcdef0123456789abcdef"
	connected := connector.ServiceState{Service: poService, Configured: true, Status: connector.StatusConnected,
		ConnectedAt: issued, ExpiresAt: expires, TokenID: tokenID}
	notConnected := connector.ServiceState{Service: poService, Configured: true, Status: connector.StatusNotConnected}
	crm := poService
	crm.ID, crm.Name, crm.EnvVarName, crm.SkillFile = "crm", "CRM", "CRM_API_KEY", "sc_crm.md"
	crmConnected := connector.ServiceState{Service: crm, Configured: true, Status: connector.StatusConnected, ConnectedAt: issued, TokenID: "tok_crm"}
	confirmed := url.Values{"confirm": {"yes"}}

	BeforeEach(func() {
		p = newPortal()
		p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{notConnected} }
		p.connector.StateFunc = func(services.User, string) (connector.ServiceState, error) { return notConnected, nil }
		p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) { return connected, nil }
		p.connector.DisconnectFunc = func(services.User, string) (connector.ServiceState, error) { return notConnected, nil }
		p.signIn("alice@example.com")
	})

	Describe("Connect through htmx", func() {
		var doc *goquery.Document
		var r response
		JustBeforeEach(func() {
			r = p.postForm("/connectors/purchase_orders/connect", nil, true)
			doc = r.doc()
		})

		It("answers only the new card, with its message, the live region and the banner out of band", func() {
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(doc.Find("body > article").Length()).To(Equal(1))
			card := doc.Find("#card-purchase_orders")
			Expect(card.AttrOr("data-state", "")).To(Equal("connected"))
			Expect(card.Find(`[data-testid="card-detail"] time`).Text()).To(Equal("22 Nov 2027"))
			Expect(card.Find(`[data-testid="card-message"]`).Text()).To(ContainSubstring("Purchase Orders is connected"))
			announcer := doc.Find(`#announcer[hx-swap-oob="innerHTML"]`)
			Expect(announcer.AttrOr("aria-live", "")).To(Equal("polite"))
			Expect(announcer.Text()).To(ContainSubstring("Purchase Orders is connected"))
			Expect(doc.Find(`#delivery-banner[hx-swap-oob="innerHTML"]`).Length()).To(Equal(1))
			Expect(doc.Find(`[data-testid="delivery-pending"]`).Length()).To(BeZero())
			Expect(p.connector.calls).To(ContainElement("connect alice purchase_orders"))
		})

		It("puts the focus on the card's new button, and nowhere else", func() {
			focused := doc.Find("[autofocus]")
			Expect(focused.Length()).To(Equal(1))
			Expect(focused.AttrOr("data-testid", "")).To(Equal("disconnect"))
			Expect(focused.Closest("#card-purchase_orders").Length()).To(Equal(1))
		})

		It("names the key by its token id, shortened, and when it was issued, but never the key", func() {
			key := doc.Find(`#card-purchase_orders [data-testid="card-token-id"]`)
			Expect(key.Text()).To(Equal("tok_01234567…cdef"))
			Expect(key.AttrOr("data-token-id", "")).To(Equal(tokenID))
			Expect(doc.Find(`[data-testid="card-issued"]`).Text()).To(Equal("22 Nov 2026, 12:00 UTC"))
			Expect(doc.Find(`[data-testid="card-issued"]`).AttrOr("datetime", "")).To(Equal("2026-11-22T12:00:00Z"))
		})

		When("it is the person's first connection", func() {
			It("says once how the key reaches the laptop: the sync command to copy, the variable, how the agent loads it", func() {
				next := doc.Find(`#card-purchase_orders [data-testid="what-next"]`)
				Expect(next.Length()).To(Equal(1))
				Expect(next.Find(`[data-testid="sync-command"]`).Text()).To(Equal("sh sync_data.sh"))
				copyButton := next.Find(`[data-testid="copy-sync-command"]`)
				Expect(copyButton.AttrOr("type", "")).To(Equal("button"))
				Expect(copyButton.AttrOr("data-copy", "")).To(Equal(next.Find(`[data-testid="sync-command"]`).AttrOr("id", "-")))
				_, hidden := copyButton.Attr("hidden")
				Expect(hidden).To(BeTrue(), "the copy button needs JavaScript, which reveals it")
				Expect(next.Find(`[data-testid="what-next-env"]`).Text()).To(Equal("PO_API_KEY"))
				Expect(words(next)).To(ContainSubstring(`sc-run -- COMMAND`))
				Expect(words(next)).To(ContainSubstring(`os.environ["PO_API_KEY"] under sc-run -- python3`))
				Expect(words(next)).To(ContainSubstring("sc_purchase_orders.md into .claude/rules/"))

				p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{connected} }
				Expect(p.get("/").doc().Find(`[data-testid="what-next"]`).Length()).To(BeZero(), "shown once")
			})
		})

		When("the person already has a connection", func() {
			BeforeEach(func() {
				p.connector.OverviewFunc = func(services.User) []connector.ServiceState {
					return []connector.ServiceState{notConnected, crmConnected}
				}
			})

			It("does not explain the sync again", func() {
				Expect(doc.Find(`[data-testid="what-next"]`).Length()).To(BeZero())
				Expect(doc.Find(`[data-testid="card-message"]`).Text()).To(ContainSubstring("run your sync script"))
			})
		})

		DescribeTable("says the key is revoked only when the service confirmed it",
			func(revocation connector.Revocation, deliveryPending bool, message string) {
				p.connector.DisconnectFunc = func(services.User, string) (connector.ServiceState, error) {
					st := notConnected
					st.Revocation, st.DeliveryPending = revocation, deliveryPending
					return st, nil
				}
				card := p.postForm("/connectors/purchase_orders/disconnect", confirmed, true).doc().Find(`[data-testid="card-outcome-message"]`)
				Expect(strings.TrimSpace(card.Text())).To(Equal(message))
			},
			Entry("revoked and removed", connector.RevocationConfirmed, false,
				"Purchase Orders is disconnected. Its key is revoked and removed from your server account."),
			Entry("removed, revocation pending", connector.RevocationPending, false,
				"Purchase Orders is disconnected. Its key is removed from your server account; its revocation is pending, as Purchase Orders has not confirmed it yet, and the portal keeps trying."),
			Entry("revoked, removal pending", connector.RevocationConfirmed, true,
				"Purchase Orders is disconnected. Its key is revoked; removing it from your server account is pending, and the portal keeps trying."),
			Entry("both pending", connector.RevocationPending, true,
				"Purchase Orders is disconnected. Removing its key from your server account and revoking it are both pending; the portal keeps trying."),
			Entry("nothing was connected", connector.Revocation(""), false, "Purchase Orders is disconnected."),
		)
	})

	Describe("Disconnect", func() {
		BeforeEach(func() {
			p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{connected} }
			p.connector.StateFunc = func(services.User, string) (connector.ServiceState, error) { return connected, nil }
		})

		It("asks first: the card's form leads to a confirmation page without JavaScript, and to a dialog with it", func() {
			form := p.get("/").doc().Find(`#card-purchase_orders form:has([data-testid="disconnect"])`)
			Expect(form.AttrOr("method", "")).To(Equal("get"))
			Expect(form.AttrOr("action", "")).To(Equal("/connectors/purchase_orders/disconnect"))
			Expect(form.AttrOr("hx-post", "")).To(Equal("/connectors/purchase_orders/disconnect"))
			Expect(form.AttrOr("hx-vals", "")).To(Equal(`{"confirm":"yes"}`))
			Expect(form.AttrOr("hx-confirm", "")).To(Equal("Disconnect Purchase Orders?"))
			Expect(form.AttrOr("data-confirm-body", "")).To(ContainSubstring("removes the key PO_API_KEY from your server account and revokes it"))
			Expect(form.AttrOr("hx-target", "")).To(Equal("#card-purchase_orders"))
			dialog := p.get("/").doc().Find(`dialog#confirm-dialog`)
			Expect(dialog.Length()).To(Equal(1))
			Expect(dialog.Find(`form[method="dialog"] button[value="confirm"]`).Length()).To(Equal(1))
		})

		It("shows the confirmation step as a page, which changes nothing", func() {
			r := p.get("/connectors/purchase_orders/disconnect")
			Expect(r.status).To(Equal(http.StatusOK))
			doc := r.doc()
			Expect(doc.Find("h1").Text()).To(Equal("Disconnect Purchase Orders?"))
			Expect(doc.Find(`[data-testid="confirm-consequence"]`).Text()).To(ContainSubstring("your next sync removes it from your laptop"))
			form := doc.Find(`form:has([data-testid="confirm-disconnect-submit"])`)
			Expect(form.AttrOr("method", "")).To(Equal("post"))
			Expect(form.AttrOr("action", "")).To(Equal("/connectors/purchase_orders/disconnect"))
			Expect(form.Find(`input[type="hidden"][name="confirm"]`).AttrOr("value", "")).To(Equal("yes"))
			Expect(doc.Find(`[data-testid="confirm-disconnect-cancel"]`).AttrOr("href", "")).To(Equal("/#card-purchase_orders"))
			Expect(p.connector.calls).NotTo(ContainElement(HavePrefix("disconnect")))
		})

		It("sends an unconfirmed post to the confirmation step and changes nothing", func() {
			r := p.postForm("/connectors/purchase_orders/disconnect", nil, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/connectors/purchase_orders/disconnect"))
			r = p.postForm("/connectors/purchase_orders/disconnect", nil, true)
			Expect(r.header.Get("HX-Redirect")).To(Equal("/connectors/purchase_orders/disconnect"))
			Expect(p.connector.calls).NotTo(ContainElement(HavePrefix("disconnect")))
		})

		It("sends the confirmation page of a service not connected back to the dashboard", func() {
			p.connector.StateFunc = func(services.User, string) (connector.ServiceState, error) { return notConnected, nil }
			r := p.get("/connectors/purchase_orders/disconnect")
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/#card-purchase_orders"))
		})

		It("disconnects once confirmed through htmx: the card says the next sync removes the key, the focus is on Connect", func() {
			r := p.postForm("/connectors/purchase_orders/disconnect", confirmed, true)
			Expect(r.status).To(Equal(http.StatusOK))
			doc := r.doc()
			card := doc.Find("#card-purchase_orders")
			Expect(card.AttrOr("data-state", "")).To(Equal("not_connected"))
			Expect(card.Find(`[data-testid="card-message"]`).Text()).To(ContainSubstring("Purchase Orders is disconnected"))
			Expect(card.Find(`[data-testid="card-next-step"]`).Text()).To(Equal(
				"Run your sync on your laptop: it removes PO_API_KEY from your project's .env and the guide sc_purchase_orders.md from .claude/rules/."))
			Expect(doc.Find(`#announcer`).Text()).To(ContainSubstring("it removes PO_API_KEY"))
			Expect(doc.Find("[autofocus]").AttrOr("data-testid", "")).To(Equal("connect"))
			Expect(p.connector.calls).To(ContainElement("disconnect alice purchase_orders"))
		})

		It("works as a plain two-step form: the page's form posts, and the dashboard shows the result in the card once", func() {
			page := p.get("/connectors/purchase_orders/disconnect").doc()
			form := page.Find(`form:has([data-testid="confirm-disconnect-submit"])`)
			values := url.Values{}
			form.Find("input").Each(func(_ int, in *goquery.Selection) { values.Set(in.AttrOr("name", ""), in.AttrOr("value", "")) })
			r := p.postForm(form.AttrOr("action", ""), values, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/"))
			Expect(p.connector.calls).To(ContainElement("disconnect alice purchase_orders"))

			p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{notConnected} }
			dash := p.get("/").doc()
			message := dash.Find(`#card-purchase_orders [data-testid="card-message"]`)
			Expect(message.Text()).To(ContainSubstring("Purchase Orders is disconnected"))
			Expect(message.AttrOr("tabindex", "")).To(Equal("-1"))
			_, focused := message.Attr("autofocus")
			Expect(focused).To(BeTrue(), "a screen reader reads the message first")
			Expect(p.get("/").doc().Find(`[data-testid="card-message"]`).Length()).To(BeZero(), "shown once")
		})
	})

	// serviceFailed is an error as the exchange client makes it when the service fails.
	serviceFailed := func(cause error) error {
		return services.Wrap(services.EUnavailable, fmt.Errorf("exchange token for purchase_orders at po.internal: %w", cause),
			"Purchase Orders could not issue a key: the service answered with an error (HTTP 503).")
	}
	DescribeTable("a failure says what happened and what to do next, with a real status",
		func(err error, status int, message, next string, retry bool, health string) {
			p.connector.OverviewFunc = func(services.User) []connector.ServiceState {
				st := notConnected
				st.Health = connector.ServiceHealth{Health: connector.HealthHealthy, CheckedAt: issued}
				return []connector.ServiceState{st}
			}
			p.connector.StateFunc = func(services.User, string) (connector.ServiceState, error) {
				return p.connector.OverviewFunc(services.User{})[0], nil
			}
			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
				return connector.ServiceState{}, err
			}
			r := p.postForm("/connectors/purchase_orders/connect", nil, true)
			Expect(r.status).To(Equal(status))
			card := r.doc().Find("#card-purchase_orders")
			Expect(card.AttrOr("data-state", "")).To(Equal("not_connected"))
			Expect(card.Find(`[data-testid="card-outcome-message"]`).Text()).To(Equal(message))
			Expect(card.Find(`[data-testid="card-next-step"]`).Text()).To(Equal(next))
			Expect(card.Find(`[data-testid="health"]`).AttrOr("data-health", "")).To(Equal(health))
			Expect(r.body).NotTo(ContainSubstring("10.0.0.7"))
			Expect(r.body).NotTo(ContainSubstring("po.internal"))
			tryAgain := card.Find(`[data-testid="try-again"]`)
			if !retry {
				Expect(tryAgain.Length()).To(BeZero())
				return
			}
			Expect(tryAgain.Text()).To(Equal("Try again"))
			Expect(tryAgain.Is(`form[method="post"][action="/connectors/purchase_orders/connect"][hx-post] > button[type="submit"]`)).To(BeTrue(),
				"a real button that posts Connect again, with and without JavaScript")
			_, focused := tryAgain.Attr("autofocus")
			Expect(focused).To(BeTrue())
			Expect(r.doc().Find(`#announcer`).Text()).To(ContainSubstring(strings.TrimSpace(message + " " + next)))
		},
		Entry("the service failed: try again, or contact its owners; its health line says it failed",
			serviceFailed(exchange.ErrServiceFailed), http.StatusServiceUnavailable,
			"Purchase Orders could not issue a key: the service answered with an error (HTTP 503).",
			"Try again in a few minutes. If it keeps failing, contact the team that runs Purchase Orders and tell them what this card says.",
			true, "unhealthy"),
		Entry("the service refused the portal: its setup is wrong, tell the platform team",
			serviceFailed(fmt.Errorf("%w: %w", exchange.ErrServiceFailed, exchange.ErrRefused)), http.StatusServiceUnavailable,
			"Purchase Orders could not issue a key: the service answered with an error (HTTP 503).",
			"Purchase Orders refused the portal's request, which usually means the portal's setup for it is wrong: tell the platform team, who run this portal.",
			true, "healthy"),
		Entry("the delivery failed: try again, or tell the platform team",
			services.Wrap(services.EUnavailable, errBoom, `We could not deliver the change to your server account "alice".`), http.StatusServiceUnavailable,
			`We could not deliver the change to your server account "alice".`,
			"Try again in a minute. If it keeps failing, tell the platform team, who run this portal.",
			true, "healthy"),
		Entry("a conflict, which trying again would not change",
			services.Errorf(services.EConflict, "Purchase Orders is switched off for now."), http.StatusConflict,
			"Purchase Orders is switched off for now.", "", false, "healthy"),
		Entry("an internal error, in words that hide it",
			errBoom, http.StatusInternalServerError,
			"Something went wrong on our side. Please try again; if it keeps happening, tell the platform team.", "", true, "healthy"),
	)

	It("answers an unknown service with 404, swapping nothing but the flash", func() {
		p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
			return connector.ServiceState{}, services.Errorf(services.ENotFound, `There is no service with the id "payroll".`)
		}
		p.connector.StateFunc = p.connector.ConnectFunc
		r := p.postForm("/connectors/payroll/connect", nil, true)
		Expect(r.status).To(Equal(http.StatusNotFound))
		Expect(r.header.Get("HX-Reswap")).To(Equal("none"))
		Expect(r.doc().Find(`#flash[hx-swap-oob="true"]`).Text()).To(ContainSubstring(`There is no service with the id "payroll".`))
	})

	Describe("Connect as a plain form post, without JavaScript", func() {
		It("redirects to the dashboard, which shows the result and what next in the card once", func() {
			r := p.postForm("/connectors/purchase_orders/connect", nil, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/"))
			p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{connected} }
			card := p.get("/").doc().Find("#card-purchase_orders")
			Expect(card.Find(`[data-testid="card-message"]`).Text()).To(ContainSubstring("Purchase Orders is connected"))
			Expect(card.Find(`[data-testid="what-next"] [data-testid="sync-command"]`).Text()).To(Equal("sh sync_data.sh"))
			again := p.get("/").doc()
			Expect(again.Find(`[data-testid="card-message"]`).Length()).To(BeZero())
			Expect(again.Find(`[data-testid="what-next"]`).Length()).To(BeZero())
		})

		It("shows a failure in the card, with Try again", func() {
			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
				return connector.ServiceState{}, services.Errorf(services.EUnavailable, "Purchase Orders could not issue a key.")
			}
			p.postForm("/connectors/purchase_orders/connect", nil, false)
			card := p.get("/").doc().Find("#card-purchase_orders")
			Expect(card.Find(`[data-testid="card-outcome-message"]`).Text()).To(Equal("Purchase Orders could not issue a key."))
			Expect(card.Find(`[data-testid="try-again"]`).Length()).To(Equal(1))
			_, focused := card.Find(`[data-testid="card-error"]`).Attr("autofocus")
			Expect(focused).To(BeTrue())
		})
	})

	When("the session has ended", func() {
		BeforeEach(func() {
			p.postForm("/logout", nil, false)
		})

		It("tells htmx to load the sign-in page and changes nothing", func() {
			r := p.postForm("/connectors/purchase_orders/connect", nil, true)
			Expect(r.status).To(Equal(http.StatusUnauthorized))
			Expect(r.header.Get("HX-Redirect")).To(Equal("/login"))
			Expect(p.connector.calls).NotTo(ContainElement(ContainSubstring("connect")))
		})
	})

	Describe("the service's health and a pending delivery", func() {
		checked := time.Date(2026, 11, 23, 12, 3, 0, 0, time.UTC)
		withHealth := func(st connector.ServiceState, h connector.Health, reason string, at time.Time) connector.ServiceState {
			st.Health = connector.ServiceHealth{ServiceID: st.Service.ID, Name: st.Service.Name, Health: h, Reason: reason, CheckedAt: at}
			return st
		}
		withHealthURL := func(st connector.ServiceState) connector.ServiceState {
			st.Service.HealthURL = "https://po.internal/health"
			return st
		}

		DescribeTable("show the last health check on the dashboard's card",
			func(st connector.ServiceState, health, text string) {
				p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{st} }
				line := p.get("/").doc().Find(`#card-purchase_orders [data-testid="health"]`)
				Expect(line.Length()).To(Equal(1))
				Expect(line.AttrOr("data-health", "")).To(Equal(health))
				Expect(words(line)).To(Equal(text))
			},
			Entry("healthy", withHealth(notConnected, connector.HealthHealthy, "", checked),
				"healthy", "Service is up (checked 12:03 UTC)"),
			Entry("unhealthy, with the reason", withHealth(connected, connector.HealthUnhealthy, "the service answered with an error (HTTP 503)", checked),
				"unhealthy", "Service is not healthy: the service answered with an error (HTTP 503) (checked 12:03 UTC)"),
			Entry("not checked yet", withHealth(withHealthURL(notConnected), connector.HealthUnknown, "not checked yet", time.Time{}),
				"unknown", "Service health not checked yet"),
			Entry("without a health_url", withHealth(notConnected, connector.HealthUnknown, "no health check", time.Time{}),
				"unknown", "Service health unknown: it has no health check"),
		)

		It("gives the time of the check in machine-readable form", func() {
			st := withHealth(notConnected, connector.HealthHealthy, "", checked)
			p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{st} }
			t := p.get("/").doc().Find(`[data-testid="health"] time`)
			Expect(t.AttrOr("datetime", "")).To(Equal("2026-11-23T12:03:00Z"))
		})

		It("says so in one banner for the account, not in every card, while a delivery is pending", func() {
			pending := func(st connector.ServiceState) connector.ServiceState { st.DeliveryPending = true; return st }
			p.connector.OverviewFunc = func(services.User) []connector.ServiceState {
				return []connector.ServiceState{pending(connected), pending(crmConnected)}
			}
			doc := p.get("/").doc()
			banner := doc.Find(`[data-testid="delivery-pending"]`)
			Expect(banner.Length()).To(Equal(1))
			Expect(banner.Closest("article").Length()).To(BeZero(), "not in a card")
			Expect(words(banner)).To(ContainSubstring("Your server account is not up to date yet."))

			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) { return pending(connected), nil }
			answer := p.postForm("/connectors/purchase_orders/connect", nil, true).doc()
			Expect(answer.Find(`#delivery-banner[hx-swap-oob] [data-testid="delivery-pending"]`).Length()).To(Equal(1))
			Expect(answer.Find(`article [data-testid="delivery-pending"]`).Length()).To(BeZero())
			Expect(answer.Find(`#announcer`).Text()).To(ContainSubstring("Your server account is not up to date yet"))

			p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{connected, crmConnected} }
			Expect(p.get("/").doc().Find(`[data-testid="delivery-pending"]`).Length()).To(BeZero())
		})
	})
})
