package app_test

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/PuerkitoBio/goquery"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Disconnect while the service refuses revocations", func() {
	var (
		d     *demo
		alice *browser
		key   string
	)

	BeforeEach(func() {
		d = startDemo(map[string]string{"SC_DEMO_FAULTS": "revoke=1"})
		alice = d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
		key = d.envKey("alice", "PO_API_KEY")
		Expect(key).NotTo(BeEmpty())
	})

	It("answers the JSON API that the key is removed and its revocation pending, not that it is revoked", func() {
		a := alice.api("disconnect", "purchase_orders")

		Expect(a.status).To(Equal(http.StatusOK))
		var res struct {
			Success bool   `json:"success"`
			Message string `json:"message"`
		}
		Expect(json.Unmarshal([]byte(a.body), &res)).To(Succeed())
		Expect(res.Success).To(BeTrue())
		Expect(res.Message).To(Equal("Purchase Orders is disconnected. Its key is removed from your server account; its revocation is pending, as Purchase Orders has not confirmed it yet, and the portal keeps trying."))
		Expect(res.Message).NotTo(ContainSubstring("revoked"))
		Expect(d.envKey("alice", "PO_API_KEY")).To(BeEmpty())
		Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusOK), "the key still works: saying revoked would be a lie")
	})

	It("says the same in the card", func() {
		a := alice.do(http.MethodPost, "/connectors/purchase_orders/disconnect", "application/x-www-form-urlencoded", "confirm=yes", "HX-Request", "true")

		Expect(a.status).To(Equal(http.StatusOK))
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
		Expect(err).NotTo(HaveOccurred())
		message := strings.TrimSpace(doc.Find(`[data-testid="card-outcome-message"]`).Text())
		Expect(message).To(ContainSubstring("its revocation is pending"))
		Expect(message).NotTo(ContainSubstring("revoked"))
		Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusOK), "the key still works: saying revoked would be a lie")
	})
})
