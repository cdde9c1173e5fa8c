package handlers_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("JSON API", func() {
	var p *portal
	expires := time.Date(2027, 11, 22, 12, 0, 0, 0, time.UTC)
	connectedAt := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

	BeforeEach(func() {
		p = newPortal()
		p.connector.OverviewFunc = func(services.User) []connector.ServiceState {
			return []connector.ServiceState{{Service: poService, Configured: true, Status: connector.StatusConnected, ConnectedAt: connectedAt, ExpiresAt: expires}}
		}
		p.connector.ConnectFunc = func(_ services.User, id string) (connector.ServiceState, error) {
			return connector.ServiceState{Service: poService, Status: connector.StatusConnected}, nil
		}
		p.connector.DisconnectFunc = func(_ services.User, id string) (connector.ServiceState, error) {
			return connector.ServiceState{Service: poService, Status: connector.StatusNotConnected}, nil
		}
		p.connector.HealthFunc = func() []connector.ServiceHealth {
			return []connector.ServiceHealth{{ServiceID: "purchase_orders", Name: "Purchase Orders", Health: connector.HealthHealthy}}
		}
	})

	When("nobody is signed in", func() {
		DescribeTable("answers 401 and calls nothing",
			func(method, path string) {
				r := p.do(method, path, strings.NewReader(`{"service_id":"purchase_orders"}`), map[string]string{"Content-Type": "application/json"})
				Expect(r.status).To(Equal(http.StatusUnauthorized))
				Expect(r.body).To(MatchJSON(`{"success": false, "message": "Sign in first."}`))
				Expect(p.connector.calls).To(BeEmpty())
			},
			Entry("list", http.MethodGet, "/api/service-connectors"),
			Entry("connect", http.MethodPost, "/api/service-connectors/connect"),
			Entry("disconnect", http.MethodPost, "/api/service-connectors/disconnect"),
			Entry("health", http.MethodGet, "/api/service-connectors/health"),
		)
	})

	When("a person is signed in", func() {
		BeforeEach(func() {
			p.signIn("alice@example.com")
		})

		It("answers 500 with a safe message when the person's records cannot be read", func() {
			p.connector.OverviewErr = errors.New("store: read a person's connections: database is locked")
			r := p.get("/api/service-connectors")
			Expect(r.status).To(Equal(http.StatusInternalServerError))
			Expect(r.body).NotTo(ContainSubstring("database is locked"))
			Expect(r.body).To(ContainSubstring(`"success":false`))
		})

		It("lists services and connections without URLs, keys or secrets", func() {
			r := p.get("/api/service-connectors")
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(r.body).To(MatchJSON(`{
				"services": [{"id": "purchase_orders", "name": "Purchase Orders", "description": "Order things.",
				  "env_var_name": "PO_API_KEY", "skill_file": "sc_purchase_orders.md", "enabled": true,
				  "configured": true}],
				"connections": {"purchase_orders": {"connected": true, "status": "connected",
				  "connected_at": "2026-11-22T12:00:00Z", "expires_at": "2027-11-22T12:00:00Z"}}}`))
		})

		It("connects and disconnects with a success message", func() {
			r := p.postJSON("/api/service-connectors/connect", `{"service_id": "purchase_orders"}`)
			Expect(r.status).To(Equal(http.StatusOK))
			var res struct {
				Success bool
				Message string
			}
			Expect(json.Unmarshal([]byte(r.body), &res)).To(Succeed())
			Expect(res.Success).To(BeTrue())
			Expect(res.Message).To(ContainSubstring("Purchase Orders is connected"))
			r = p.postJSON("/api/service-connectors/disconnect", `{"service_id": "purchase_orders"}`)
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(p.connector.calls).To(ContainElements("connect alice purchase_orders", "disconnect alice purchase_orders"))
		})

		It("answers a disconnect whose revocation the service did not confirm without saying revoked", func() {
			p.connector.DisconnectFunc = func(services.User, string) (connector.ServiceState, error) {
				st := connector.ServiceState{Service: poService, Configured: true, Status: connector.StatusNotConnected, Revocation: connector.RevocationPending}
				return st, nil
			}
			r := p.postJSON("/api/service-connectors/disconnect", `{"service_id": "purchase_orders"}`)
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(r.body).To(MatchJSON(`{"success": true, "message": "Purchase Orders is disconnected. Its key is removed from your server account; its revocation is pending, as Purchase Orders has not confirmed it yet, and the portal keeps trying."}`))
		})

		DescribeTable("answers a failure with a real status and a safe message",
			func(err error, status int, message string) {
				p.connector.ConnectFunc = func(services.User, string) (connector.ServiceState, error) {
					return connector.ServiceState{}, err
				}
				r := p.postJSON("/api/service-connectors/connect", `{"service_id": "purchase_orders"}`)
				Expect(r.status).To(Equal(status))
				Expect(r.body).To(MatchJSON(`{"success": false, "message": ` + mustJSON(message) + `}`))
				Expect(p.log.String()).To(ContainSubstring("request failed"))
			},
			Entry("not found", services.Errorf(services.ENotFound, "There is no service with the id \"x\"."), http.StatusNotFound, "There is no service with the id \"x\"."),
			Entry("invalid", services.Errorf(services.EInvalid, "Bad."), http.StatusBadRequest, "Bad."),
			Entry("conflict", services.Errorf(services.EConflict, "Off."), http.StatusConflict, "Off."),
			Entry("unavailable", services.Wrap(services.EUnavailable, errBoom, "Down."), http.StatusServiceUnavailable, "Down."),
			Entry("internal", errBoom, http.StatusInternalServerError, "Something went wrong on our side. Please try again; if it keeps happening, tell the platform team."),
		)

		DescribeTable("refuses a bad body with 400 and calls nothing",
			func(body string) {
				r := p.postJSON("/api/service-connectors/connect", body)
				Expect(r.status).To(Equal(http.StatusBadRequest))
				Expect(r.body).To(ContainSubstring(`"success":false`))
				Expect(p.connector.calls).NotTo(ContainElement(ContainSubstring("connect")))
			},
			Entry("not JSON", `service_id=purchase_orders`),
			Entry("no service id", `{}`),
			Entry("an unknown field", `{"service_id": "purchase_orders", "force": true}`),
			Entry("two objects", `{"service_id": "a"} {"service_id": "b"}`),
			Entry("a wrong type", `{"service_id": 7}`),
		)

		It("takes JSON only with Content-Type application/json", func() {
			r := p.do(http.MethodPost, "/api/service-connectors/connect", strings.NewReader(`{"service_id": "purchase_orders"}`),
				map[string]string{"Content-Type": "text/plain"})
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(r.body).To(ContainSubstring("Content-Type: application/json"))
			Expect(p.connector.calls).NotTo(ContainElement(ContainSubstring("connect")))
		})

		It("reports each service's health", func() {
			r := p.get("/api/service-connectors/health")
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(r.body).To(MatchJSON(`{"services": [{"id": "purchase_orders", "name": "Purchase Orders", "health": "healthy"}]}`))
		})

		It("answers an unknown API route with JSON 404", func() {
			r := p.get("/api/nope")
			Expect(r.status).To(Equal(http.StatusNotFound))
			Expect(r.header.Get("Content-Type")).To(HavePrefix("application/json"))
		})
	})
})

var _ = Describe("the health API", func() {
	var p *portal
	checked := time.Date(2026, 11, 23, 12, 3, 0, 0, time.FixedZone("CET", 3600))

	BeforeEach(func() {
		p = newPortal()
		p.connector.HealthFunc = func() []connector.ServiceHealth {
			return []connector.ServiceHealth{
				{ServiceID: "purchase_orders", Name: "Purchase Orders", Health: connector.HealthHealthy, CheckedAt: checked},
				{ServiceID: "invoicing", Name: "Invoicing", Health: connector.HealthUnhealthy, CheckedAt: checked,
					Reason: "the service answered with an error (HTTP 503)"},
				{ServiceID: "crm", Name: "CRM", Health: connector.HealthUnknown, Reason: "not checked yet"},
			}
		}
		p.signIn("alice@example.com")
	})

	It("answers the last poll: the state, when it was checked in UTC, and why a service is not healthy", func() {
		r := p.get("/api/service-connectors/health")
		Expect(r.status).To(Equal(http.StatusOK))
		Expect(r.body).To(MatchJSON(`{"services": [
			{"id": "purchase_orders", "name": "Purchase Orders", "health": "healthy", "checked_at": "2026-11-23T11:03:00Z"},
			{"id": "invoicing", "name": "Invoicing", "health": "unhealthy", "checked_at": "2026-11-23T11:03:00Z",
			 "reason": "the service answered with an error (HTTP 503)"},
			{"id": "crm", "name": "CRM", "health": "unknown", "reason": "not checked yet"}]}`))
		Expect(p.connector.calls).To(ConsistOf("health"))
	})
})

func mustJSON(s string) string {
	data, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}
