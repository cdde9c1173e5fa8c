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
			Connections: connector.AdminConnections{Total: 2, Rows: []connector.AdminConnection{
				{UserEmail: "alice@example.com", Username: "alice", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_alice", Status: connector.StatusConnected, ConnectedAt: at, ExpiresAt: at.AddDate(1, 0, 0)},
				{UserEmail: "bob@example.com", Username: "bob", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_bob", Status: connector.StatusExpired, ConnectedAt: at},
			}},
			Revocations: []connector.AdminRevocation{
				{ServiceID: "crm", ServiceName: "CRM", TokenID: "tok_old", UserEmail: "carol@example.com", Reason: "disconnected", QueuedAt: at, Attempts: 10, LastError: "CRM is unavailable.", NeedsAttention: true},
			},
			Deliveries: []connector.AdminDelivery{{UserEmail: "dave@example.com", Username: "dave", Since: at, Attempts: 2, LastError: "The delivery helper failed."}},
			Intents:    []connector.AdminIntent{{RequestID: "req-123", UserEmail: "erin@example.com", ServiceID: "crm", StartedAt: at, Attempts: 1, LastError: "CRM did not answer."}},
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
				offboard := doc.Find(`[data-testid="admin-offboard"] form`)
				Expect(offboard.AttrOr("method", "")).To(Equal("get"), "the form leads to the review, which changes nothing")
				Expect(offboard.AttrOr("action", "")).To(Equal("/admin/offboard"))
				Expect(offboard.Find(`input[name="email"][required]`).Length()).To(Equal(1))
			})

			It("shows no key, secret or internal URL", func() {
				body := p.get("/admin").body
				Expect(body).NotTo(ContainSubstring("API_KEY="))
				Expect(body).NotTo(ContainSubstring("pk_live"))
				Expect(body).NotTo(ContainSubstring("po.internal"))
			})

			It("says when a list shows only its first page, and how many there are in all", func() {
				overview.Totals = connector.AdminTotals{Connections: 12345, Revocations: 1, Deliveries: 1, Intents: 7}
				overview.Connections.Total = 12345
				doc := p.get("/admin").doc()
				Expect(doc.Find(`[data-testid="admin-connections-total"]`).Text()).To(Equal("12,345 connections in all."))
				Expect(doc.Find(`[data-testid="admin-intents-shown"]`).Text()).To(Equal("Showing the first 1 of 7."))
				Expect(doc.Find(`[data-testid="admin-revocations-shown"]`).Length()).To(BeZero(), "the whole queue shows")
				Expect(doc.Find(`[data-testid="admin-deliveries-shown"]`).Length()).To(BeZero())
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
			Entry("disconnect", http.MethodPost, "/admin/connections/disconnect", url.Values{"email": {"bob@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}),
			Entry("offboard", http.MethodPost, "/admin/offboard", url.Values{"email": {"bob@example.com"}, "confirm": {"yes"}}),
			Entry("the offboarding review", http.MethodGet, "/admin/offboard?email=bob@example.com", nil),
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

		DescribeTable("input the use case finds malformed is refused with 400 and its message, and nothing changes",
			func(path string, form url.Values, setup func(error)) {
				setup(services.Errorf(services.EInvalid, "That is not a valid email address."))
				r := p.postForm(path, form, false)
				Expect(r.status).To(Equal(http.StatusBadRequest))
				Expect(r.doc().Find(`[data-testid="error-message"]`).Text()).To(Equal("That is not a valid email address."))
				Expect(r.header.Get("Location")).To(BeEmpty())
			},
			Entry("disconnect", "/admin/connections/disconnect", url.Values{"email": {"bob"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, func(err error) {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) { return connector.Disconnection{}, err }
			}),
			Entry("offboard", "/admin/offboard", url.Values{"email": {"bob"}, "confirm": {"yes"}}, func(err error) {
				p.connector.OffboardFunc = func(string) (connector.OffboardResult, error) { return connector.OffboardResult{}, err }
			}),
			Entry("retry", "/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok\n1"}}, func(err error) {
				p.connector.RetryFunc = func(string, string) (bool, error) { return false, err }
			}),
		)

		It("refuses to offboard without the confirmation, changing nothing", func() {
			r := p.postForm("/admin/offboard", url.Values{"email": {"bob@example.com"}}, false)
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(r.doc().Find(`[data-testid="error-message"]`).Text()).To(ContainSubstring("tick the box to confirm"))
			Expect(p.connector.actions()).To(BeEmpty())
		})

		Describe("disconnecting one connection", func() {
			done := connector.Disconnection{Email: "alice@example.com", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_alice", Revocation: connector.RevocationConfirmed}

			BeforeEach(func() {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) { return done, nil }
			})

			It("disconnects that connection and says the key is revoked", func() {
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {" Alice@Example.com "}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"disconnect-for  Alice@Example.com  purchase_orders"}))
				Expect(followFlash(r)).To(Equal("Disconnected alice@example.com from Purchase Orders: the key is revoked and removed from their account."))
			})

			It("says so when the key is left queued for revocation, and not that it is revoked", func() {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) {
					queued := done
					queued.Revocation = connector.RevocationPending
					return queued, nil
				}
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, false)
				flash := followFlash(r)
				Expect(flash).To(Equal("Disconnected alice@example.com from Purchase Orders: the key is removed from their account and queued for revocation, as the service did not confirm it yet."))
				Expect(flash).NotTo(ContainSubstring("revoked"))
			})

			It("says so when removing the key from their account failed", func() {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) {
					pending := done
					pending.DeliveryPending = true
					return pending, nil
				}
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, false)
				Expect(followFlash(r)).To(Equal("Disconnected alice@example.com from Purchase Orders: the key is revoked; removing it from their account failed and is retried."))
			})

			It("changes nothing for a connection that does not exist, and says so", func() {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) {
					return connector.Disconnection{}, services.Errorf(services.ENotFound, "zoe@example.com has no connection to purchase_orders, so nothing was changed.")
				}
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"zoe@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, false)
				Expect(followFlash(r)).To(Equal("zoe@example.com has no connection to purchase_orders, so nothing was changed."))
			})

			It("shows the safe message of a failure, not its detail", func() {
				p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) { return done, errBoom }
				r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"alice@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}, false)
				flash := followFlash(r)
				Expect(flash).To(HavePrefix("Could not disconnect alice@example.com from Purchase Orders"))
				Expect(flash).NotTo(ContainSubstring("10.0.0.7"))
			})
		})

		Describe("reviewing an offboarding", func() {
			It("shows the person, their account, each key and what becomes of it, and the confirmation, changing nothing", func() {
				expires := at.AddDate(1, 0, 0)
				p.connector.PlanFunc = func(string) (connector.OffboardPlan, error) {
					return connector.OffboardPlan{Email: "bob@example.com", Username: "bob", Exchanges: 1, Keys: []connector.OffboardKey{
						{ServiceID: "purchase_orders", ServiceName: "Purchase Orders", TokenID: "tok_po", Status: connector.StatusConnected, ExpiresAt: expires, RevokeNow: true},
						{ServiceID: "crm", ServiceName: "CRM", TokenID: "tok_crm", Status: connector.StatusExpired, Why: "The portal has no shared secret for CRM to revoke the key with."},
					}}, nil
				}
				r := p.get("/admin/offboard?email=Bob@Example.com")
				Expect(r.status).To(Equal(http.StatusOK))
				Expect(p.connector.adminCalls).To(Equal([]string{"plan Bob@Example.com"}))
				doc := r.doc()
				Expect(doc.Find(`[data-testid="offboard-person"]`).Text()).To(Equal("bob@example.com"))
				Expect(doc.Find(`[data-testid="offboard-account"]`).Text()).To(Equal("bob"))
				Expect(doc.Find(`[data-testid="offboard-files"]`).Text()).To(ContainSubstring("~/.service_env"))
				Expect(doc.Find(`[data-testid="offboard-exchanges"]`).Text()).To(ContainSubstring("1 cancelled"))
				po := doc.Find(`[data-testid="offboard-key"][data-service="purchase_orders"]`)
				Expect(po.Text()).To(ContainSubstring("tok_po"))
				Expect(po.Text()).To(ContainSubstring("2027-11-23 12:00 UTC"))
				Expect(po.Find(`[data-testid="offboard-key-fate"]`).Text()).To(HavePrefix("Revoked at Purchase Orders at once"))
				crm := doc.Find(`[data-testid="offboard-key"][data-service="crm"]`)
				Expect(crm.Text()).To(ContainSubstring("expired"))
				Expect(crm.Find(`[data-testid="offboard-key-fate"]`).Text()).To(Equal("Queued for revocation, not revoked now: The portal has no shared secret for CRM to revoke the key with."))
				form := doc.Find(`[data-testid="offboard-review"] form`)
				Expect(form.AttrOr("method", "")).To(Equal("post"))
				Expect(form.Find(`input[name="email"]`).AttrOr("value", "")).To(Equal("bob@example.com"))
				Expect(form.Find(`input[name="confirm"][required]`).Length()).To(Equal(1))
			})

			It("says why a person cannot be offboarded, and offers no confirmation", func() {
				p.connector.PlanFunc = func(string) (connector.OffboardPlan, error) {
					return connector.OffboardPlan{}, services.Errorf(services.EConflict, `The server account "alice" holds the keys of another person, alice@example.com: offboarding alice@other.example there would clear that person's files, so nothing was changed.`)
				}
				r := p.get("/admin/offboard?email=alice@other.example")
				Expect(r.status).To(Equal(http.StatusConflict))
				doc := r.doc()
				Expect(doc.Find(`[data-testid="offboard-refusal"]`).Text()).To(ContainSubstring("holds the keys of another person, alice@example.com"))
				Expect(doc.Find(`[data-testid="offboard-review"] form`).Length()).To(BeZero())
			})

			It("refuses a malformed email with 400", func() {
				p.connector.PlanFunc = func(string) (connector.OffboardPlan, error) {
					return connector.OffboardPlan{}, services.Errorf(services.EInvalid, `Offboarding needs the person's email: "bob" is not a valid email address.`)
				}
				r := p.get("/admin/offboard?email=bob")
				Expect(r.status).To(Equal(http.StatusBadRequest))
				Expect(r.doc().Find(`[data-testid="error-message"]`).Text()).To(ContainSubstring("is not a valid email address"))
			})
		})

		Describe("offboarding a person", func() {
			It("offboards them and says what it did", func() {
				p.connector.OffboardFunc = func(string) (connector.OffboardResult, error) {
					return connector.OffboardResult{Connections: 3, Revoked: 3, Delivered: true}, nil
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"Bob@Example.com"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"offboard Bob@Example.com"}))
				Expect(followFlash(r)).To(Equal("Offboarded bob@example.com: 3 connections removed, 3 keys revoked, files cleared."))
			})

			It("says which keys are left queued for revocation", func() {
				p.connector.OffboardFunc = func(string) (connector.OffboardResult, error) {
					return connector.OffboardResult{Connections: 2, Queued: 2, Delivered: true}, nil
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"bob@example.com"}, "confirm": {"yes"}}, false)
				Expect(followFlash(r)).To(Equal("Offboarded bob@example.com: 2 connections removed, 2 keys queued for revocation, files cleared."))
			})

			It("says why when the person cannot be offboarded", func() {
				p.connector.OffboardFunc = func(email string) (connector.OffboardResult, error) {
					return connector.OffboardResult{}, services.Errorf(services.ENotFound, "zoe@elsewhere.org has no connections, and no server account of theirs is known, so nothing was changed.")
				}
				r := p.postForm("/admin/offboard", url.Values{"email": {"zoe@elsewhere.org"}, "confirm": {"yes"}}, false)
				Expect(p.connector.actions()).To(Equal([]string{"offboard zoe@elsewhere.org"}))
				Expect(followFlash(r)).To(Equal("Could not offboard zoe@elsewhere.org: zoe@elsewhere.org has no connections, and no server account of theirs is known, so nothing was changed."))
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
