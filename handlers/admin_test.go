package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("The admin page", func() {
	var (
		p        *portal
		overview connector.AdminOverview
		at       = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	)

	BeforeEach(func() {
		p = newPortal()
		crm := services.Service{ID: "crm", Name: "CRM", Enabled: true}
		overview = connector.AdminOverview{
			Services: []connector.AdminService{
				{Service: poService, Configured: true, Health: connector.ServiceHealth{ServiceID: "purchase_orders", Health: connector.HealthHealthy}, Connections: 2},
				{Service: crm, Configured: false, Health: connector.ServiceHealth{ServiceID: "crm", Health: connector.HealthUnhealthy, Reason: "the service answered with an error (HTTP 503)"}},
			},
			Connections: []connector.AdminConnection{
				{UserEmail: "alice@example.com", Username: "alice", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_alice", Status: connector.StatusConnected, ConnectedAt: at, ExpiresAt: at.AddDate(1, 0, 0)},
				{UserEmail: "bob@example.com", Username: "bob", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_bob", Status: connector.StatusExpired, ConnectedAt: at},
			},
			Revocations: []store.Revocation{
				{ServiceID: "crm", TokenID: "tok_old", UserEmail: "carol@example.com", Reason: "disconnected", QueuedAt: at, Retry: store.Retry{Attempts: 10, LastError: "CRM is unavailable."}, NeedsAttention: true},
			},
			Deliveries: []store.PendingDelivery{{UserEmail: "dave@example.com", Username: "dave", Since: at, Retry: store.Retry{Attempts: 2, LastError: "The delivery helper failed."}}},
			Intents:    []store.Intent{{RequestID: "req-123", UserEmail: "erin@example.com", ServiceID: "crm", StartedAt: at, Retry: store.Retry{Attempts: 1, LastError: "CRM did not answer."}}},
		}
		p.connector.AdminFunc = func() connector.AdminOverview { return overview }
	})

	Describe("GET /admin", func() {
		When("an admin asks", func() {
			BeforeEach(func() { p.signIn("boss@example.com") })

			It("shows the registry, services, connections, queue, deliveries and unfinished exchanges", func() {
				r := p.get("/admin")
				Expect(r.status).To(Equal(http.StatusOK))
				doc := r.doc()
				Expect(doc.Find(`[data-testid="registry-source"]`).Text()).To(Equal("/etc/service-connector/service_connectors.json"))
				Expect(doc.Find(`[data-testid="registry-services"]`).Text()).To(Equal("1"))
				Expect(doc.Find(`[data-testid="registry-ok"]`).Length()).To(Equal(1))

				po := doc.Find(`[data-testid="admin-service-purchase_orders"]`)
				Expect(po.Find(`[data-testid="admin-configured"]`).Text()).To(Equal("yes"))
				Expect(po.Find(`[data-testid="admin-health"]`).Text()).To(ContainSubstring("healthy"))
				Expect(po.Find(`[data-testid="admin-connections-count"]`).Text()).To(Equal("2"))
				crm := doc.Find(`[data-testid="admin-service-crm"]`)
				Expect(crm.Find(`[data-testid="admin-configured"]`).Text()).To(Equal("no"))
				Expect(crm.Find(`[data-testid="admin-health"]`).Text()).To(ContainSubstring("unhealthy"))
				Expect(crm.Find(`[data-testid="admin-health"]`).Text()).To(ContainSubstring("HTTP 503"))

				rows := doc.Find(`[data-testid="admin-connection"]`)
				Expect(rows.Length()).To(Equal(2))
				alice := doc.Find(`[data-testid="admin-connection"][data-email="alice@example.com"][data-service="purchase_orders"]`)
				Expect(alice.Text()).To(ContainSubstring("Purchase Orders"))
				Expect(alice.Text()).To(ContainSubstring("2026-11-23 12:00 UTC"))
				Expect(alice.Text()).To(ContainSubstring("2027-11-23 12:00 UTC"))
				Expect(alice.Find(`[data-testid="admin-disconnect"]`).Length()).To(Equal(1))
				Expect(alice.Find(`input[name="email"]`).AttrOr("value", "")).To(Equal("alice@example.com"))
				bob := doc.Find(`[data-testid="admin-connection"][data-email="bob@example.com"]`)
				Expect(bob.Find(`[data-testid="admin-connection-status"]`).Text()).To(Equal("expired"))
				Expect(bob.Text()).To(ContainSubstring("never"))

				rev := doc.Find(`[data-testid="admin-revocation"][data-token="tok_old"]`)
				Expect(rev.Text()).To(ContainSubstring("carol@example.com"))
				Expect(rev.Text()).To(ContainSubstring("CRM is unavailable."))
				Expect(rev.Find(`[data-testid="needs-attention"]`).Text()).To(Equal("needs attention"))
				Expect(rev.Find(`[data-testid="admin-retry"]`).Text()).To(Equal("Retry now"))

				Expect(doc.Find(`[data-testid="admin-delivery"][data-email="dave@example.com"]`).Text()).To(ContainSubstring("The delivery helper failed."))
				Expect(doc.Find(`[data-testid="admin-intent"][data-request="req-123"]`).Text()).To(ContainSubstring("erin@example.com"))
				Expect(doc.Find(`[data-testid="admin-offboard"] input[name="email"]`).Length()).To(Equal(1))
				Expect(doc.Find(`[data-testid="admin-offboard"] input[name="confirm"][required]`).Length()).To(Equal(1))
			})

			It("shows no key, secret or internal URL", func() {
				body := p.get("/admin").body
				Expect(body).NotTo(ContainSubstring("API_KEY="))
				Expect(body).NotTo(ContainSubstring("pk_live"))
				Expect(body).NotTo(ContainSubstring("po.internal"))
			})

			It("says plainly when a section is empty", func() {
				overview = connector.AdminOverview{}
				doc := p.get("/admin").doc()
				for _, id := range []string{"admin-no-services", "admin-no-connections", "admin-no-revocations", "admin-no-deliveries", "admin-no-intents"} {
					Expect(doc.Find(`[data-testid="`+id+`"]`).Length()).To(Equal(1), id)
				}
			})
		})

		It("sends an anonymous person to sign in", func() {
			r := p.get("/admin")
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/login?next=%2Fadmin"))
		})
	})

	Describe("who may act", func() {
		DescribeTable("a person who is not an admin gets 403 and nothing changes",
			func(method, path string, form url.Values) {
				p.signIn("alice@example.com")
				var r response
				if method == http.MethodGet {
					r = p.get(path)
				} else {
					r = p.postForm(path, form, false)
				}
				Expect(r.status).To(Equal(http.StatusForbidden))
				Expect(r.doc().Find(`[data-testid="error-message"]`).Text()).To(Equal("This page is for the portal's admins."))
				Expect(r.body).NotTo(ContainSubstring("tok_alice"))
				Expect(p.connector.adminCalls).To(BeEmpty())
			},
			Entry("the page", http.MethodGet, "/admin", nil),
			Entry("disconnect", http.MethodPost, "/admin/connections/disconnect", url.Values{"email": {"bob@example.com"}, "service_id": {"purchase_orders"}}),
			Entry("offboard", http.MethodPost, "/admin/offboard", url.Values{"email": {"bob@example.com"}, "confirm": {"yes"}}),
			Entry("retry", http.MethodPost, "/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok_old"}}),
		)

		DescribeTable("an anonymous post is sent to sign in",
			func(path string) {
				r := p.postForm(path, url.Values{"email": {"bob@example.com"}}, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				Expect(r.header.Get("Location")).To(Equal("/login"))
				Expect(p.connector.adminCalls).To(BeEmpty())
			},
			Entry("disconnect", "/admin/connections/disconnect"),
			Entry("offboard", "/admin/offboard"),
			Entry("retry", "/admin/revocations/retry"),
		)
	})

	Describe("the actions", func() {
		BeforeEach(func() { p.signIn("boss@example.com") })

		// followFlash reads the flash on the admin page the action redirected to.
		followFlash := func(r response) string {
			GinkgoHelper()
			Expect(r.status).To(Equal(http.StatusSeeOther))
			Expect(r.header.Get("Location")).To(Equal("/admin"))
			page := p.get("/admin")
			Expect(page.status).To(Equal(http.StatusOK))
			flash := strings.TrimSpace(page.doc().Find(`[data-testid="flash"]`).Text())
			again := p.get("/admin").doc().Find(`[data-testid="flash"]`).Text()
			Expect(strings.TrimSpace(again)).To(BeEmpty(), "a flash shows once")
			return flash
		}

		DescribeTable("bad input is refused with 400 and a clear message, and nothing changes",
			func(path string, form url.Values, message string) {
				r := p.postForm(path, form, false)
				Expect(r.status).To(Equal(http.StatusBadRequest))
				Expect(r.doc().Find(`[data-testid="error-message"]`).Text()).To(ContainSubstring(message))
				Expect(p.connector.actions()).To(BeEmpty())
			},
			Entry("disconnect without an email", "/admin/connections/disconnect", url.Values{"service_id": {"purchase_orders"}}, "an email address is required"),
			Entry("disconnect with a bad email", "/admin/connections/disconnect", url.Values{"email": {"Bob <bob@example.com>"}, "service_id": {"purchase_orders"}}, "is not a valid email address"),
			Entry("disconnect without a service", "/admin/connections/disconnect", url.Values{"email": {"bob@example.com"}}, "a valid service id"),
			Entry("disconnect with a bad service id", "/admin/connections/disconnect", url.Values{"email": {"bob@example.com"}, "service_id": {"../etc"}}, "a valid service id"),
			Entry("offboard without an email", "/admin/offboard", url.Values{"confirm": {"yes"}}, "an email address is required"),
			Entry("offboard with a bad email", "/admin/offboard", url.Values{"email": {"bob"}, "confirm": {"yes"}}, "is not a valid email address"),
			Entry("offboard without the confirmation", "/admin/offboard", url.Values{"email": {"bob@example.com"}}, "tick the box to confirm"),
			Entry("retry without a token id", "/admin/revocations/retry", url.Values{"service_id": {"crm"}}, "the token id"),
			Entry("retry with a control character in the token id", "/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok\n1"}}, "the token id"),
			Entry("retry with a bad service id", "/admin/revocations/retry", url.Values{"service_id": {"CRM!"}, "token_id": {"tok_old"}}, "a valid service id"),
		)

		Describe("disconnecting one connection", func() {
			BeforeEach(func() {
				p.connector.DisconnectForFunc = func(email, serviceID string) error {
					overview.Connections = overview.Connections[1:]
					return nil
				}
			})

			It("disconnects that connection and says the key is revoked", func() {
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {" Alice@Example.com "}, "service_id": {"purchase_orders"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"disconnect-for alice@example.com purchase_orders"}))
				Expect(followFlash(r)).To(Equal("Disconnected alice@example.com from Purchase Orders: the key is revoked and removed from their account."))
			})

			It("says so when the key is left queued for revocation", func() {
				p.connector.DisconnectForFunc = func(email, serviceID string) error {
					overview.Revocations = append(overview.Revocations, store.Revocation{ServiceID: serviceID, TokenID: "tok_alice", UserEmail: email})
					return nil
				}
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}}, false)
				Expect(followFlash(r)).To(ContainSubstring("queued for revocation"))
			})

			It("changes nothing for a connection that does not exist", func() {
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"zoe@example.com"}, "service_id": {"purchase_orders"}}, false)
				Expect(followFlash(r)).To(Equal("zoe@example.com has no connection to purchase_orders, so nothing was changed."))
				Expect(p.connector.actions()).To(BeEmpty())
			})

			It("shows the safe message of a failure, not its detail", func() {
				p.connector.DisconnectForFunc = func(string, string) error { return errBoom }
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}}, false)
				flash := followFlash(r)
				Expect(flash).To(HavePrefix("Could not disconnect alice@example.com from Purchase Orders"))
				Expect(flash).NotTo(ContainSubstring("10.0.0.7"))
			})
		})

		Describe("offboarding a person", func() {
			It("offboards the account their connections name and says what it did", func() {
				p.connector.OffboardFunc = func(string, string) (connector.OffboardResult, error) {
					return connector.OffboardResult{Connections: 3, Revoked: 3, Delivered: true}, nil
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"Bob@Example.com"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"offboard bob@example.com []"}))
				Expect(followFlash(r)).To(Equal("Offboarded bob@example.com: 3 connections removed, 3 keys revoked, files cleared."))
			})

			It("says which keys are left queued for revocation", func() {
				p.connector.OffboardFunc = func(string, string) (connector.OffboardResult, error) {
					return connector.OffboardResult{Connections: 2, Queued: 2, Delivered: true}, nil
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"bob@example.com"}, "confirm": {"yes"}}, false)
				Expect(followFlash(r)).To(Equal("Offboarded bob@example.com: 2 connections removed, 2 keys queued for revocation, files cleared."))
			})

			It("clears the files of a person without connections, at the account the identity mapping gives", func() {
				p.connector.OffboardFunc = func(email, username string) (connector.OffboardResult, error) {
					if username == "" {
						return connector.OffboardResult{}, services.Errorf(services.ENotFound, "%s has no connections.", email)
					}
					return connector.OffboardResult{Delivered: true}, nil
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"carol@example.com"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"offboard carol@example.com []", "offboard carol@example.com [carol]"}))
				Expect(followFlash(r)).To(Equal("Offboarded carol@example.com: 0 connections removed, 0 keys revoked, files cleared."))
			})

			It("says why when nobody is known by that email", func() {
				p.connector.OffboardFunc = func(email, _ string) (connector.OffboardResult, error) {
					return connector.OffboardResult{}, services.Errorf(services.ENotFound, "%s has no connections, and no server account is known for them.", email)
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"zoe@elsewhere.org"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"offboard zoe@elsewhere.org []"}))
				Expect(followFlash(r)).To(Equal("Could not offboard zoe@elsewhere.org: zoe@elsewhere.org has no connections, and no server account is known for them."))
			})
		})

		Describe("retrying a revocation", func() {
			It("retries it and says the key is revoked", func() {
				p.connector.RetryFunc = func(string, string) (bool, error) { return true, nil }
				r := p.postForm("/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok_old"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"retry crm tok_old"}))
				Expect(followFlash(r)).To(Equal("Revoked tok_old at crm; it is off the queue."))
			})

			It("says when the service still does not confirm", func() {
				p.connector.RetryFunc = func(string, string) (bool, error) { return false, nil }
				r := p.postForm("/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok_old"}}, false)
				Expect(followFlash(r)).To(Equal("crm did not confirm the revocation of tok_old yet; it stays queued and the portal keeps retrying."))
			})

			It("says when the key is not queued any more", func() {
				p.connector.RetryFunc = func(string, string) (bool, error) {
					return false, services.Errorf(services.ENotFound, "That key is not in the revocation queue (any more).")
				}
				r := p.postForm("/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok_gone"}}, false)
				Expect(followFlash(r)).To(Equal("Could not retry the revocation of tok_gone: That key is not in the revocation queue (any more)."))
			})
		})
	})
})
