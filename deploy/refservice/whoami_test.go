package refservice_test

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Whoami", func() {
	var (
		w       *world
		key     services.Secret
		tokenID string
	)

	BeforeEach(func() {
		w = newWorld()
		key, tokenID = w.connect("purchase_orders", poSecret, "john@your-domain.com")
	})

	It("names the owner of a live key", func() {
		a := w.get("/purchase_orders/api/whoami", key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
		Expect(a.json).To(Equal(map[string]any{
			"user_email": "john@your-domain.com",
			"service":    "purchase_orders",
			"token_id":   tokenID,
			"expires_at": "2026-04-13T09:26:53Z",
		}))
	})

	It("accepts the Bearer scheme in any case", func() {
		a := w.doAuth(http.MethodGet, "/purchase_orders/api/whoami", "bearer "+key.Reveal(), "")

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
	})

	DescribeTable("refuses a call without a live key with 401 and a Bearer challenge",
		func(authorization func() string, says string) {
			a := w.doAuth(http.MethodGet, "/purchase_orders/api/whoami", authorization(), "")

			Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
			Expect(a.header.Get("WWW-Authenticate")).To(HavePrefix(`Bearer realm="purchase_orders"`))
			Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring(says)))
			Expect(a.json).NotTo(HaveKey("user_email"))
		},
		Entry("no Authorization header", func() string { return "" }, "required"),
		Entry("an unknown key", func() string { return "Bearer po_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, "not valid"),
		Entry("the key in another scheme", func() string { return "Basic " + key.Reveal() }, "required"),
		Entry("the key with a character changed", func() string { return "Bearer " + key.Reveal() + "A" }, "not valid"),
		Entry("the shared secret instead of a key", func() string { return "Bearer " + poSecret }, "not valid"),
	)

	It("refuses a key of another service", func() {
		crmKey, _ := w.connect("crm", crmSecret, "john@your-domain.com")

		a := w.get("/purchase_orders/api/whoami", crmKey.Reveal())

		Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
		Expect(w.get("/crm/api/whoami", crmKey.Reveal()).status).To(Equal(http.StatusOK))
	})

	When("the key expires", func() {
		It("works until the last moment", func() {
			w.clock.Advance(30*24*time.Hour - 2*time.Second)

			Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))
		})

		It("is refused from its expiry on", func() {
			w.clock.Advance(30 * 24 * time.Hour)

			a := w.get("/purchase_orders/api/whoami", key.Reveal())

			Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
			Expect(a.header.Get("WWW-Authenticate")).To(ContainSubstring(`error="invalid_token"`))
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring("expired")))
			Expect(w.get("/purchase_orders/api/purchase-orders", key.Reveal()).status).To(Equal(http.StatusUnauthorized))
		})
	})
})
