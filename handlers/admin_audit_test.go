package handlers_test

import (
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("The audit log page", func() {
	var (
		p  *portal
		at = time.Date(2026, 11, 23, 12, 0, 5, 0, time.UTC)
	)

	record := func(seq int64, kind, person, serviceID, outcome string) connector.AuditRecord {
		r := connector.AuditRecord{Seq: seq}
		r.At, r.Actor, r.Kind, r.Person, r.Account = at.Add(time.Duration(seq)*time.Minute), "boss@example.com", kind, person, "alice"
		r.ServiceID, r.TokenID, r.Outcome, r.Reason = serviceID, "tok_"+kind, outcome, "because "+kind
		return r
	}

	BeforeEach(func() {
		p = newPortal()
		p.connector.AuditLogFunc = func(q connector.AuditQuery) (connector.AuditLogPage, error) {
			q.Person = services.LowerASCII(q.Person)
			return connector.AuditLogPage{Query: q, Services: []string{"crm", "purchase_orders"}, Older: true, Newer: q.Before > 0,
				Records: []connector.AuditRecord{
					record(42, "revocation", "alice@example.com", "crm", "needs_attention"),
					record(41, "connect", "alice@example.com", "crm", "ok"),
				}}, nil
		}
	})

	When("an admin asks", func() {
		BeforeEach(func() { p.signIn("boss@example.com") })

		It("shows the records newest first, with who did what to whom, and no key", func() {
			r := p.get("/admin/audit")
			Expect(r.status).To(Equal(http.StatusOK))
			doc := r.doc()
			rows := doc.Find(`[data-testid="audit-record"]`)
			Expect(rows.Length()).To(Equal(2))
			first := rows.First()
			Expect(first.AttrOr("data-seq", "")).To(Equal("42"))
			Expect(first.Text()).To(And(ContainSubstring("revocation"), ContainSubstring("boss@example.com"), ContainSubstring("alice@example.com"),
				ContainSubstring("crm"), ContainSubstring("tok_revocation"), ContainSubstring("because revocation"), ContainSubstring("2026-11-23 12:42:05 UTC")))
			Expect(first.Find(`[data-testid="audit-outcome"]`).HasClass("badge-bad")).To(BeTrue(), "needs attention stands out")
			Expect(rows.Eq(1).Find(`[data-testid="audit-outcome"]`).HasClass("badge-bad")).To(BeFalse())
			Expect(doc.Find(`[data-testid="audit-service"] option`).Length()).To(Equal(3))
			Expect(p.connector.askedBy).To(Equal([]string{"boss@example.com"}), "the request names the admin as its actor")
		})

		It("searches by person and service, and pages older and newer with the same search", func() {
			doc := p.get("/admin/audit?person=Alice@Example.com&service=crm").doc()
			Expect(p.connector.queries).To(Equal([]connector.AuditQuery{{Person: "Alice@Example.com", ServiceID: "crm"}}))
			Expect(doc.Find(`[data-testid="audit-person"]`).AttrOr("value", "")).To(Equal("alice@example.com"))
			Expect(doc.Find(`[data-testid="audit-service"] option[selected]`).AttrOr("value", "")).To(Equal("crm"))
			older := doc.Find(`[data-testid="audit-older"]`).AttrOr("href", "")
			Expect(older).To(Equal("/admin/audit?before=41&person=alice%40example.com&service=crm"))
			Expect(doc.Find(`[data-testid="audit-newer"]`).Length()).To(BeZero(), "the first page is the newest")

			doc = p.get(older).doc()
			Expect(p.connector.queries[1]).To(Equal(connector.AuditQuery{Person: "alice@example.com", ServiceID: "crm", Before: 41}))
			Expect(doc.Find(`[data-testid="audit-newer"]`).AttrOr("href", "")).To(Equal("/admin/audit?after=42&person=alice%40example.com&service=crm"))
			Expect(doc.Find(`[data-testid="audit-newest"]`).AttrOr("href", "")).To(Equal("/admin/audit?person=alice%40example.com&service=crm"))
		})

		It("answers a malformed search with 400 and says why", func() {
			p.connector.AuditLogFunc = func(q connector.AuditQuery) (connector.AuditLogPage, error) {
				return connector.AuditLogPage{Query: q}, services.Errorf(services.EInvalid, "Search by person needs a whole email address.")
			}
			r := p.get("/admin/audit?person=alice")
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(r.doc().Find(`[data-testid="audit-error"]`).Text()).To(Equal("Search by person needs a whole email address."))
			r = p.get("/admin/audit?before=" + url.QueryEscape("1; DROP TABLE"))
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(p.connector.queries).To(HaveLen(1), "a bad page number asks nothing")
		})

		It("is linked from the admin page", func() {
			Expect(p.get("/admin").doc().Find(`[data-testid="admin-audit-link"]`).AttrOr("href", "")).To(Equal("/admin/audit"))
		})
	})

	It("is refused to a person who is not an admin", func() {
		p.signIn("alice@example.com")
		r := p.get("/admin/audit")
		Expect(r.status).To(Equal(http.StatusForbidden))
		Expect(r.body).NotTo(ContainSubstring("tok_"))
		Expect(p.connector.queries).To(BeEmpty())
	})

	It("sends an anonymous person to sign in", func() {
		r := p.get("/admin/audit?person=alice%40example.com")
		Expect(r.status).To(Equal(http.StatusSeeOther))
		Expect(r.header.Get("Location")).To(Equal("/login?next=%2Fadmin%2Faudit%3Fperson%3Dalice%2540example.com"))
	})
})

var _ = Describe("Signing in and out", func() {
	var p *portal

	BeforeEach(func() { p = newPortal() })

	It("records a sign-in, a refused sign-in and a sign-out in the audit log", func() {
		r := p.postForm("/auth/dev-login", url.Values{"email": {"mallory@elsewhere.example"}}, false)
		Expect(r.status).To(Equal(http.StatusBadRequest))
		p.signIn("Alice@Example.com")
		r = p.postForm("/logout", nil, false)
		Expect(r.status).To(Equal(http.StatusSeeOther))
		Expect(p.connector.auditEvents()).To(Equal([]string{
			"sign_in_refused mallory@elsewhere.example dev: mallory@elsewhere.example is not allowed to sign in here.",
			"sign_in alice@example.com alice dev",
			"sign_out alice@example.com",
		}))
	})
})
