package refservice_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Token revoke", func() {
	var (
		w       *world
		key     services.Secret
		tokenID string
	)

	BeforeEach(func() {
		w = newWorld()
		key, tokenID = w.connect("purchase_orders", poSecret, "john@your-domain.com")
	})

	It("stops the key from working at once", func() {
		Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))

		a := w.revoke(tokenID)

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(Equal(map[string]any{"status": "ok"}))
		whoami := w.get("/purchase_orders/api/whoami", key.Reveal())
		Expect(whoami.status).To(Equal(http.StatusUnauthorized))
		Expect(whoami.json).To(HaveKeyWithValue("error", ContainSubstring("revoked")))
		Expect(w.get("/purchase_orders/api/purchase-orders", key.Reveal()).status).To(Equal(http.StatusUnauthorized))
	})

	It("leaves the person's other keys alone", func() {
		other, _ := w.connect("purchase_orders", poSecret, "john@your-domain.com")

		w.revoke(tokenID)

		Expect(w.get("/purchase_orders/api/whoami", other.Reveal()).status).To(Equal(http.StatusOK))
	})

	It("answers ok when the token is revoked a second time", func() {
		Expect(w.revoke(tokenID).status).To(Equal(http.StatusOK))

		a := w.revoke(tokenID)

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("status", "ok"))
	})

	It("answers ok for a token it never minted", func() {
		a := w.revoke("tok_00000000000000000000000000000000")

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("status", "ok"))
		Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))
	})

	It("leaves a token of another service alone", func() {
		crmKey, crmToken := w.connect("crm", crmSecret, "john@your-domain.com")

		Expect(w.revoke(crmToken).status).To(Equal(http.StatusOK))

		Expect(w.get("/crm/api/whoami", crmKey.Reveal()).status).To(Equal(http.StatusOK))
	})

	DescribeTable("refuses a malformed body with 400",
		func(body string) {
			a := w.do(http.MethodPost, "/purchase_orders/api/internal/token-revoke", poSecret, body)

			Expect(a.status).To(Equal(http.StatusBadRequest), a.raw)
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))
		},
		Entry("no token_id", `{}`),
		Entry("an empty token_id", `{"token_id":""}`),
		Entry("not JSON", `token_id=tok_1`),
		Entry("a token_id of the wrong type", `{"token_id":7}`),
	)

	It("refuses a caller without the shared secret, and the key keeps working", func() {
		a := w.do(http.MethodPost, "/purchase_orders/api/internal/token-revoke", "not-the-secret", `{"token_id":`+quote(tokenID)+`}`)

		Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
		Expect(a.json).To(HaveKeyWithValue("status", "error"))
		Expect(w.get("/purchase_orders/api/whoami", key.Reveal()).status).To(Equal(http.StatusOK))
	})
})
