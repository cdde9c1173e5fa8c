package refservice_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Routes", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
	})

	DescribeTable("reports each service healthy without a key",
		func(id string) {
			a := w.get("/"+id+"/health", "")

			Expect(a.status).To(Equal(http.StatusOK), a.raw)
			Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
			Expect(a.json).To(Equal(map[string]any{"status": "ok", "service": id}))
		},
		Entry("Purchase Orders", "purchase_orders"),
		Entry("Invoicing", "invoicing"),
		Entry("CRM", "crm"),
	)

	DescribeTable("answers an unknown path with a JSON 404",
		func(path string) {
			a := w.get(path, "")

			Expect(a.status).To(Equal(http.StatusNotFound), a.raw)
			Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
		},
		Entry("an unknown route of a service", "/purchase_orders/api/nothing-here"),
		Entry("the root of a service", "/purchase_orders/"),
		Entry("another API's route", "/purchase_orders/api/invoices"),
		Entry("an unknown service", "/payroll/health"),
		Entry("the root", "/"),
	)

	DescribeTable("answers a wrong method with a JSON 405 that says what is allowed",
		func(method, path, allow string) {
			a := w.do(method, path, "", "")

			Expect(a.status).To(Equal(http.StatusMethodNotAllowed), a.raw)
			Expect(a.header.Get("Allow")).To(Equal(allow))
			Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring(method)))
		},
		Entry("GET on the exchange", http.MethodGet, "/purchase_orders/api/internal/token-exchange", "POST"),
		Entry("DELETE on a purchase order", http.MethodDelete, "/purchase_orders/api/purchase-orders/PO-1001", "GET, HEAD"),
		Entry("POST on whoami", http.MethodPost, "/crm/api/whoami", "GET, HEAD"),
	)
})

var _ = Describe("New", func() {
	var cfg refservice.Config

	BeforeEach(func() {
		cfg = refservice.Config{ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders, Secret: poSecret}
	})

	It("keeps the id and name it was given", func() {
		s, err := refservice.New(cfg)

		Expect(err).NotTo(HaveOccurred())
		Expect(s.ID()).To(Equal("purchase_orders"))
		Expect(s.Name()).To(Equal("Purchase Orders"))
	})

	It("serves at its own root and uses the wall clock when none is given", func() {
		s, err := refservice.New(cfg)
		Expect(err).NotTo(HaveOccurred())
		server := httptest.NewServer(s)
		DeferCleanup(server.Close)
		req, err := http.NewRequest(http.MethodPost, server.URL+"/api/internal/token-exchange",
			strings.NewReader(`{"user_email":"john@your-domain.com","ttl_days":30}`))
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Authorization", "Bearer "+poSecret)

		resp, err := server.Client().Do(req)

		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Body.Close()).To(Succeed())
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(s.LiveTokens()).To(ConsistOf(HaveField("ExpiresAt", BeTemporally("~", time.Now().Add(30*24*time.Hour), time.Minute))))
	})

	DescribeTable("refuses a configuration it cannot serve",
		func(change func(*refservice.Config)) {
			change(&cfg)

			s, err := refservice.New(cfg)

			Expect(err).To(HaveOccurred())
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			Expect(err.Error()).NotTo(ContainSubstring(poSecret))
			Expect(s).To(BeNil())
		},
		Entry("an id that is no service id", func(c *refservice.Config) { c.ID = "Purchase-Orders" }),
		Entry("an empty name", func(c *refservice.Config) { c.Name = " " }),
		Entry("an unknown API", func(c *refservice.Config) { c.API = "payroll" }),
		Entry("an empty secret", func(c *refservice.Config) { c.Secret = "" }),
	)
})
