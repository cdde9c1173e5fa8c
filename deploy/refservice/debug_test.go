package refservice_test

import (
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
)

var _ = Describe("GET /debug/tokens", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
	})

	When("the service is built with DebugTokens", func() {
		BeforeEach(func() {
			debug := newService(refservice.Config{ID: "crm", Name: "CRM", API: refservice.CRM, Secret: crmSecret, Now: w.clock.Now, DebugTokens: true})
			w.server.Close()
			w.server = httptest.NewServer(refservice.Handler(w.po, w.inv, debug))
			DeferCleanup(w.server.Close)
			w.client = w.server.Client()
		})

		It("lists the live tokens, without their keys", func() {
			key, live := w.connect("crm", crmSecret, "ann@example.com")
			_, revoked := w.connect("crm", crmSecret, "bob@example.com")
			Expect(w.do(http.MethodPost, "/crm/api/internal/token-revoke", crmSecret, `{"token_id":`+quote(revoked)+`}`).status).To(Equal(http.StatusOK))
			a := w.get("/crm/debug/tokens", "")
			Expect(a.status).To(Equal(http.StatusOK))
			Expect(a.raw).To(MatchJSON(`{"tokens": [{"token_id": ` + quote(live) + `, "user_email": "ann@example.com", "expires_at": "2026-04-13T09:26:53Z"}]}`))
			Expect(a.raw).NotTo(ContainSubstring(key.Reveal()))
		})
	})

	It("does not exist otherwise", func() {
		w.connect("crm", crmSecret, "ann@example.com")
		Expect(w.get("/crm/debug/tokens", "").status).To(Equal(http.StatusNotFound))
	})
})
