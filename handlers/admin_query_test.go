package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("The admin page's search, filters and pages", func() {
	var (
		p        *portal
		overview connector.AdminOverview
		at       = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	)

	BeforeEach(func() {
		p = newPortal()
		overview = connector.AdminOverview{
			Services: []connector.AdminService{{Service: poService, Configured: true}},
			Connections: connector.AdminConnections{Total: 120, HasPrev: true, HasNext: true, Rows: []connector.AdminConnection{
				{UserEmail: "ann@example.com", Username: "ann", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", Status: connector.StatusConnected, ConnectedAt: at},
				{UserEmail: "bob@example.com", Username: "bob", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", Status: connector.StatusConnected, ConnectedAt: at},
			}},
			QueuePage: 1, QueuePages: 1,
			Totals: connector.AdminTotals{Connections: 300, Revocations: 2, NeedsAttention: 1, Deliveries: 1},
			Revocations: []connector.AdminRevocation{
				{ServiceID: "crm", ServiceName: "CRM", TokenID: "tok_old", UserEmail: "carol@example.com", QueuedAt: at, Attempts: 10, NeedsAttention: true},
			},
		}
		p.connector.AdminFunc = func() connector.AdminOverview { return overview }
		p.signIn("boss@example.com")
	})

	Describe("GET /admin with a query", func() {
		It("passes the search, filters and position to the connector, and keeps them in the form and the links", func() {
			r := p.get("/admin?q=+Ann+&service=purchase_orders&status=expiring&after=ann%40example.com+crm&qpage=2")
			Expect(r.status).To(Equal(http.StatusOK))
			Expect(p.connector.query()).To(Equal(connector.AdminQuery{Search: "Ann", ServiceID: "purchase_orders", State: connector.AdminExpiring,
				After: connector.AdminCursor{Email: "ann@example.com", ServiceID: "crm"}, QueuePage: 2}))
			doc := r.doc()
			Expect(doc.Find(`[data-testid="admin-search-q"]`).AttrOr("value", "")).To(Equal("Ann"))
			Expect(doc.Find(`[data-testid="admin-filter-service"] option[selected]`).AttrOr("value", "")).To(Equal("purchase_orders"))
			Expect(doc.Find(`[data-testid="admin-filter-status"] option[selected]`).AttrOr("value", "")).To(Equal("expiring"))
			next, err := url.Parse(doc.Find(`[data-testid="admin-page-next"]`).AttrOr("href", ""))
			Expect(err).NotTo(HaveOccurred())
			Expect(next.Path).To(Equal("/admin"))
			Expect(next.Query()).To(Equal(url.Values{"q": {"Ann"}, "service": {"purchase_orders"}, "status": {"expiring"},
				"after": {"bob@example.com purchase_orders"}}), "the queue's page is the connector's answer, 1 here")
			prev, err := url.Parse(doc.Find(`[data-testid="admin-page-prev"]`).AttrOr("href", ""))
			Expect(err).NotTo(HaveOccurred())
			Expect(prev.Query().Get("before")).To(Equal("ann@example.com purchase_orders"))
			last, err := url.Parse(doc.Find(`[data-testid="admin-page-last"]`).AttrOr("href", ""))
			Expect(err).NotTo(HaveOccurred())
			Expect(last.Query().Get("last")).To(Equal("1"))
			Expect(doc.Find(`[data-testid="admin-connections-total"]`).Text()).To(Equal("120 connections match."))
		})

		It("counts what needs attention in the title, and shows the queue before the connections", func() {
			r := p.get("/admin")
			Expect(r.doc().Find("title").Text()).To(Equal("(3) Admin · Service Connector"))
			Expect(strings.Index(r.body, `data-testid="admin-revocations-section"`)).To(BeNumerically("<", strings.Index(r.body, `data-testid="admin-connections-section"`)))
			overview.Totals = connector.AdminTotals{Connections: 300}
			Expect(p.get("/admin").doc().Find("title").Text()).To(Equal("Admin · Service Connector"))
		})

		DescribeTable("ignores a malformed parameter, says so, and shows a sane page, never an error",
			func(query string, message string, want connector.AdminQuery) {
				r := p.get("/admin?" + query)
				Expect(r.status).To(Equal(http.StatusOK))
				Expect(r.doc().Find(`[data-testid="admin-query-ignored"]`).Text()).To(ContainSubstring(message))
				Expect(p.connector.query()).To(Equal(want))
			},
			Entry("an unknown status", "status=lost&q=ann", "is not a status the page knows", connector.AdminQuery{Search: "ann"}),
			Entry("a service id with a path", "service=..%2Fetc", "is not a service id", connector.AdminQuery{}),
			Entry("a search too long", "q="+strings.Repeat("a", 101), "longer than 100 characters", connector.AdminQuery{}),
			Entry("a search with a control character", "q=ann%01", "characters no email or account has", connector.AdminQuery{}),
			Entry("a malformed position", "after=nobody", "page position is malformed", connector.AdminQuery{}),
			Entry("a position with a bad service", "after=ann%40example.com+CRM!", "page position is malformed", connector.AdminQuery{}),
			Entry("two positions", "after=a+crm&before=b+crm", "names two page positions", connector.AdminQuery{}),
			Entry("a queue page that is no number", "qpage=-3", "is not a page of the revocation queue", connector.AdminQuery{}),
			Entry("a queue page far too large", "qpage=99999999999999999999", "is not a page of the revocation queue", connector.AdminQuery{}),
		)

		It("offers the first and last pages from a page whose rows were all disconnected since its link was made", func() {
			overview.Connections = connector.AdminConnections{Total: 5, HasPrev: true}
			doc := p.get("/admin?q=ann&after=zed%40example.com+crm").doc()
			Expect(doc.Find(`[data-testid="admin-no-connections"]`).Text()).To(Equal("No connections are left on this page."))
			Expect(doc.Find(`[data-testid="admin-page-first"]`).AttrOr("href", "")).To(Equal("/admin?q=ann#connections"))
			Expect(doc.Find(`[data-testid="admin-page-last"]`).AttrOr("href", "")).To(Equal("/admin?last=1&q=ann#connections"))
		})

		DescribeTable("says how many keys wait in the queue, and how many for an admin",
			func(total, attention int, want string) {
				overview.Totals.Revocations, overview.Totals.NeedsAttention = total, attention
				Expect(p.get("/admin").doc().Find(`[data-testid="admin-revocations-total"]`).Text()).To(Equal(want))
			},
			Entry("some", 1200, 3, "1,200 keys are forgotten by the portal but not yet confirmed revoked by their service. 3 wait for an admin; the portal keeps retrying the others."),
			Entry("all", 2, 2, "2 keys are forgotten by the portal but not yet confirmed revoked by their service. The attempts ran out: they wait for an admin."),
			Entry("none", 1, 0, "1 key is forgotten by the portal but not yet confirmed revoked by their service. The portal keeps retrying them."),
		)

		It("says nothing is ignored for a clean query", func() {
			Expect(p.get("/admin?q=ann&last=1").doc().Find(`[data-testid="admin-query-ignored"]`).Length()).To(BeZero())
			Expect(p.connector.query()).To(Equal(connector.AdminQuery{Search: "ann", Last: true}))
		})
	})

	Describe("every action", func() {
		const here = "q=ann&service=purchase_orders&status=expired&after=ann%40example.com+crm&qpage=2"

		BeforeEach(func() {
			p.connector.DisconnectForFunc = func(string, string) (connector.Disconnection, error) {
				return connector.Disconnection{Email: "ann@example.com", ServiceID: "purchase_orders", ServiceName: "Purchase Orders", Revocation: connector.RevocationConfirmed}, nil
			}
			p.connector.RetryFunc = func(string, string) (bool, error) { return true, nil }
			p.connector.RetryAllFunc = func() (connector.RetryAllResult, error) {
				return connector.RetryAllResult{Queued: 1, Tried: 1, Revoked: 1}, nil
			}
			p.connector.OffboardFunc = func(string) (connector.OffboardResult, error) { return connector.OffboardResult{}, nil }
		})

		DescribeTable("returns to the same search, filter and page",
			func(path string, form url.Values) {
				form.Set("return", here)
				r := p.postForm(path, form, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				loc, err := url.Parse(r.header.Get("Location"))
				Expect(err).NotTo(HaveOccurred())
				Expect(loc.Host).To(BeEmpty())
				Expect(loc.Path).To(Equal("/admin"))
				want, err := url.ParseQuery(here)
				Expect(err).NotTo(HaveOccurred())
				Expect(loc.Query()).To(Equal(want))
				Expect(p.connector.actions()).To(HaveLen(1))
			},
			Entry("disconnect", "/admin/connections/disconnect", url.Values{"email": {"ann@example.com"}, "service_id": {"purchase_orders"}, "confirm": {"yes"}}),
			Entry("retry", "/admin/revocations/retry", url.Values{"service_id": {"crm"}, "token_id": {"tok_old"}}),
			Entry("retry all", "/admin/revocations/retry-all", url.Values{}),
			Entry("offboard", "/admin/offboard", url.Values{"email": {"ann@example.com"}, "confirm": {"yes"}}),
		)

		DescribeTable("never goes anywhere but the admin page, whatever the form carries",
			func(ret, want string) {
				r := p.postForm("/admin/revocations/retry-all", url.Values{"return": {ret}}, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				Expect(r.header.Get("Location")).To(Equal(want))
			},
			Entry("another site", "https://evil.example/", "/admin"),
			Entry("a protocol-relative URL", "//evil.example/admin", "/admin"),
			Entry("another path of the portal", "/logout", "/admin"),
			Entry("unknown parameters among known ones", "next=https://evil.example&q=ann", "/admin?q=ann"),
			Entry("a malformed query", "q=%zz", "/admin"),
			Entry("a bad status", "status=%0d%0aLocation:%20x", "/admin"),
		)

		It("tells htmx to load the same place", func() {
			r := p.postForm("/admin/revocations/retry-all", url.Values{"return": {"q=ann"}}, true)
			Expect(r.status).To(Equal(http.StatusNoContent))
			Expect(r.header.Get("HX-Redirect")).To(Equal("/admin?q=ann"))
		})
	})

	Describe("Disconnect asks first", func() {
		It("sends an unconfirmed post to the confirmation step, changing nothing", func() {
			r := p.postForm("/admin/connections/disconnect", url.Values{"email": {"ann@example.com"}, "service_id": {"purchase_orders"}, "return": {"q=ann"}}, false)
			Expect(r.status).To(Equal(http.StatusSeeOther))
			loc, err := url.Parse(r.header.Get("Location"))
			Expect(err).NotTo(HaveOccurred())
			Expect(loc.Path).To(Equal("/admin/connections/disconnect"))
			Expect(loc.Query()).To(Equal(url.Values{"email": {"ann@example.com"}, "service_id": {"purchase_orders"}, "return": {"q=ann"}}))
			Expect(p.connector.actions()).To(BeEmpty())
		})

		It("shows the confirmation page, whose form posts the confirmed Disconnect and whose Cancel goes back to the same place", func() {
			p.connector.HealthFunc = func() []connector.ServiceHealth {
				return []connector.ServiceHealth{{ServiceID: "purchase_orders", Name: "Purchase Orders"}}
			}
			r := p.get("/admin/connections/disconnect?email=Ann%40Example.com&service_id=purchase_orders&return=" + url.QueryEscape("q=ann&qpage=2&evil=1"))
			Expect(r.status).To(Equal(http.StatusOK))
			doc := r.doc()
			Expect(doc.Find("h1").Text()).To(Equal("Disconnect ann@example.com from Purchase Orders?"))
			form := doc.Find(`[data-testid="admin-confirm-disconnect"] form`)
			Expect(form.AttrOr("method", "")).To(Equal("post"))
			Expect(form.AttrOr("action", "")).To(Equal("/admin/connections/disconnect"))
			Expect(form.Find(`input[name="confirm"]`).AttrOr("value", "")).To(Equal("yes"))
			Expect(form.Find(`input[name="email"]`).AttrOr("value", "")).To(Equal("ann@example.com"))
			Expect(form.Find(`input[name="return"]`).AttrOr("value", "")).To(Equal("q=ann&qpage=2"))
			Expect(doc.Find(`[data-testid="admin-confirm-cancel"]`).AttrOr("href", "")).To(Equal("/admin?q=ann&qpage=2"))
			Expect(p.connector.actions()).To(BeEmpty())
		})

		It("refuses a confirmation page without a valid service id", func() {
			r := p.get("/admin/connections/disconnect?email=ann%40example.com&service_id=..%2Fx")
			Expect(r.status).To(Equal(http.StatusBadRequest))
		})

		It("asks in a dialog with JavaScript: the row's form carries hx-confirm and posts the confirmation", func() {
			doc := p.get("/admin?q=ann").doc()
			form := doc.Find(`[data-testid="admin-connection"][data-email="ann@example.com"] form`)
			Expect(form.AttrOr("method", "")).To(Equal("get"), "without JavaScript, the form opens the confirmation page")
			Expect(form.AttrOr("hx-post", "")).To(Equal("/admin/connections/disconnect"))
			Expect(form.AttrOr("hx-confirm", "")).To(Equal("Disconnect ann@example.com from Purchase Orders?"))
			Expect(form.AttrOr("hx-vals", "")).To(ContainSubstring(`"confirm":"yes"`))
			Expect(form.Find(`input[name="return"]`).AttrOr("value", "")).To(Equal("q=ann"))
			Expect(doc.Find(`[data-testid="confirm-dialog"]`).Length()).To(Equal(1))
		})
	})

	Describe("Retry all", func() {
		DescribeTable("says how many the services confirmed revoked and how many are still pending",
			func(res connector.RetryAllResult, kind, message string) {
				p.connector.RetryAllFunc = func() (connector.RetryAllResult, error) { return res, nil }
				r := p.postForm("/admin/revocations/retry-all", url.Values{}, false)
				Expect(r.status).To(Equal(http.StatusSeeOther))
				doc := p.get("/admin").doc()
				Expect(strings.TrimSpace(doc.Find(`[data-testid="flash"]`).Text())).To(Equal(message))
				Expect(doc.Find(`[data-testid="flash"] .flash-` + kind).Length()).To(Equal(1))
				Expect(p.connector.actions()).To(Equal([]string{"retry-all"}))
			},
			Entry("all confirmed", connector.RetryAllResult{Queued: 3, Tried: 3, Revoked: 3}, "success", "Retried 3 queued revocations: 3 revoked, 0 still pending."),
			Entry("some pending", connector.RetryAllResult{Queued: 3, Tried: 3, Revoked: 1}, "error",
				"Retried 3 queued revocations: 1 revoked, 2 still pending. The portal keeps retrying what is pending."),
			Entry("more than one batch", connector.RetryAllResult{Queued: 150, Tried: 100, Revoked: 100}, "error",
				"Retried 100 queued revocations: 100 revoked, 0 still pending. The other 50 are due now and the portal tries them next. The portal keeps retrying what is pending."),
			Entry("an empty queue", connector.RetryAllResult{}, "success", "The revocation queue is empty: nothing to retry."),
		)

		It("shows the safe message of a failure", func() {
			p.connector.RetryAllFunc = func() (connector.RetryAllResult, error) { return connector.RetryAllResult{}, errBoom }
			p.postForm("/admin/revocations/retry-all", url.Values{}, false)
			flash := p.get("/admin").doc().Find(`[data-testid="flash"]`).Text()
			Expect(flash).To(ContainSubstring("Could not retry the revocation queue"))
			Expect(flash).NotTo(ContainSubstring("10.0.0.7"))
		})

		It("is for admins only", func() {
			other := newPortal()
			other.connector.RetryAllFunc = p.connector.RetryAllFunc
			other.signIn("alice@example.com")
			Expect(other.postForm("/admin/revocations/retry-all", url.Values{}, false).status).To(Equal(http.StatusForbidden))
			Expect(other.connector.actions()).To(BeEmpty())
		})
	})
})
