package handlers_test

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("Service cards", func() {
	var p *portal
	expires := time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)
	connected := connector.ServiceState{Service: poService, Configured: true, Status: connector.StatusConnected, ExpiresAt: expires}
	notConnected := connector.ServiceState{Service: poService, Configured: true, Status: connector.StatusNotConnected}

	BeforeEach(func() {
		p = newPortal()
		p.connector.OverviewFunc = func(services.User) []connector.ServiceState { return []connector.ServiceState{notConnected} }
		p.connector.StateFunc = func(services.User, string) (connector.ServiceState, error) { return notConnected, nil }
		p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) { return connected, nil }
		p.connector.DisconnectFunc = func(services.User, string) (connector.ServiceState, error) { return notConnected, nil }
		p.signIn("alice@example.com")
	})

	Describe("Connect through htmx", func() {
		It("answers only the new card and a success flash out of band", func() {
			r := p.postForm("/connectors/purchase_orders/connect", nil, true)
			Expect(r.status).To(Equal(http.StatusOK))
			doc := r.doc()
			Expect(doc.Find("body > article").Length()).To(Equal(1))
			card := doc.Find("#card-purchase_orders")
			Expect(card.AttrOr("data-state", "")).To(Equal("connected"))
			Expect(card.Find(`[data-testid="card-detail"] time`).Text()).To(Equal("22 Nov 2027"))
			flash := doc.Find(`#flash[hx-swap-oob="true"]`)
			Expect(flash.Text()).To(ContainSubstring("Purchase Orders is connected"))
			Expect(p.connector.calls).To(ContainElement("connect alice purchase_orders"))
		})
	})

	Describe("Disconnect through htmx", func() {
		It("answers the card as not connected", func() {
			r := p.postForm("/connectors/purchase_orders/disconnect", nil, true)
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(r.doc().Find("#card-purchase_orders").AttrOr("data-state", "")).To(Equal("not_connected"))
			Expect(r.doc().Find("#flash").Text()).To(ContainSubstring("Purchase Orders is disconnected"))
		})

		DescribeTable("says the key is revoked only when the service confirmed it",
			func(revocation connector.Revocation, deliveryPending bool, message string) {
				p.connector.DisconnectFunc = func(services.User, string) (connector.ServiceState, error) {
					st := notConnected
					st.Revocation, st.DeliveryPending = revocation, deliveryPending
					return st, nil
				}
				flash := strings.TrimSpace(p.postForm("/connectors/purchase_orders/disconnect", nil, true).doc().Find("#flash").Text())
				Expect(flash).To(Equal(message))
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

	DescribeTable("a failure shows in the card in plain words, with a real status",
		func(err error, status int, message string) {
			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
				return connector.ServiceState{}, err
			}
			r := p.postForm("/connectors/purchase_orders/connect", nil, true)
			Expect(r.status).To(Equal(status))
			card := r.doc().Find("#card-purchase_orders")
			Expect(card.AttrOr("data-state", "")).To(Equal("not_connected"))
			Expect(card.Find(`[data-testid="card-error"]`).Text()).To(Equal(message))
			Expect(r.body).NotTo(ContainSubstring("10.0.0.7"))
		},
		Entry("the service could not issue a key", services.Wrap(services.EUnavailable, errBoom, "Purchase Orders could not issue a key: the service did not answer in time."),
			http.StatusServiceUnavailable, "Purchase Orders could not issue a key: the service did not answer in time."),
		Entry("a conflict", services.Errorf(services.EConflict, "Purchase Orders is switched off for now."), http.StatusConflict, "Purchase Orders is switched off for now."),
		Entry("an internal error", errBoom, http.StatusInternalServerError,
			"Something went wrong on our side. Please try again; if it keeps happening, tell the platform team."),
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
		It("redirects to the dashboard, which shows the flash once", func() {
			r := p.postForm("/connectors/purchase_orders/connect", nil, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/"))
			Expect(p.get("/").doc().Find(`[data-testid="flash"]`).Text()).To(ContainSubstring("Purchase Orders is connected"))
			Expect(p.get("/").doc().Find(`[data-testid="flash"]`).Text()).To(BeEmpty())
		})

		It("shows a failure in the flash", func() {
			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
				return connector.ServiceState{}, services.Errorf(services.EUnavailable, "Purchase Orders could not issue a key.")
			}
			p.postForm("/connectors/purchase_orders/connect", nil, false)
			Expect(p.get("/").doc().Find(`.flash-error`).Text()).To(Equal("Purchase Orders could not issue a key."))
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
				Expect(strings.Join(strings.Fields(line.Text()), " ")).To(Equal(text))
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

		It("says so in the card while a delivery is pending, and not otherwise", func() {
			pending := connected
			pending.DeliveryPending = true
			p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) { return pending, nil }
			card := p.postForm("/connectors/purchase_orders/connect", nil, true).doc().Find("#card-purchase_orders")
			Expect(card.Find(`[data-testid="delivery-pending"]`).Text()).To(Equal(
				"Delivery pending: your server account is not up to date yet; we keep retrying."))
			Expect(p.get("/").doc().Find(`[data-testid="delivery-pending"]`).Length()).To(BeZero())
		})
	})
})
