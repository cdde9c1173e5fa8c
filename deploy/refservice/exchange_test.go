package refservice_test

import (
	"net/http"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Token exchange", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
	})

	It("mints a personal key in the protocol's answer shape", func() {
		a := w.exchange(`{"user_email":"john@your-domain.com","ttl_days":30,"request_id":"3f1c9a52-6a55-4c8e-9b1e-0d4f4a2b7c11"}`)

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
		Expect(a.header.Get("Cache-Control")).To(Equal("no-store"))
		Expect(a.json).To(HaveKeyWithValue("status", "ok"))
		Expect(a.json).To(HaveKeyWithValue("api_key", MatchRegexp(`^po_live_[A-Za-z0-9_-]{43}$`)))
		Expect(services.ValidAPIKey(a.json["api_key"].(string))).To(BeTrue())
		Expect(a.json).To(HaveKeyWithValue("token_id", MatchRegexp(`^tok_[0-9a-f]{32}$`)))
		Expect(a.json).To(HaveKeyWithValue("expires_at", "2026-04-13T09:26:53Z"))
		Expect(a.json).To(HaveLen(4))
	})

	It("gives a year when ttl_days is 0 or absent", func() {
		Expect(w.exchange(`{"user_email":"john@your-domain.com","ttl_days":0}`).json).
			To(HaveKeyWithValue("expires_at", "2027-03-14T09:26:53Z"))
		Expect(w.exchange(`{"user_email":"john@your-domain.com"}`).json).
			To(HaveKeyWithValue("expires_at", "2027-03-14T09:26:53Z"))
	})

	DescribeTable("accepts the bounds of ttl_days",
		func(ttl string, expiresAt string) {
			a := w.exchange(`{"user_email":"john@your-domain.com","ttl_days":` + ttl + `}`)
			Expect(a.status).To(Equal(http.StatusOK), a.raw)
			Expect(a.json).To(HaveKeyWithValue("expires_at", expiresAt))
		},
		Entry("one day", "1", "2026-03-15T09:26:53Z"),
		Entry("ten years", "3650", "2036-03-11T09:26:53Z"),
	)

	It("mints a new key and token for every exchange without a request_id", func() {
		first := w.exchange(`{"user_email":"john@your-domain.com"}`)
		second := w.exchange(`{"user_email":"john@your-domain.com"}`)

		Expect(second.json["api_key"]).NotTo(Equal(first.json["api_key"]))
		Expect(second.json["token_id"]).NotTo(Equal(first.json["token_id"]))
		Expect(w.po.LiveTokens()).To(HaveLen(2))
	})

	DescribeTable("prefixes each service's keys with its own name",
		func(id, secret, prefix string) {
			key, _ := w.connect(id, secret, "john@your-domain.com")
			Expect(key.Reveal()).To(HavePrefix(prefix))
			Expect(services.ValidAPIKey(key.Reveal())).To(BeTrue())
		},
		Entry("Purchase Orders", "purchase_orders", poSecret, "po_live_"),
		Entry("Invoicing", "invoicing", invSecret, "inv_live_"),
		Entry("CRM", "crm", crmSecret, "crm_live_"),
	)

	DescribeTable("refuses a caller without the shared secret",
		func(authorization string) {
			a := w.doAuth(http.MethodPost, "/purchase_orders/api/internal/token-exchange", authorization,
				`{"user_email":"john@your-domain.com"}`)

			Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
			Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
			Expect(a.header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
			Expect(a.raw).NotTo(ContainSubstring(poSecret))
			Expect(w.po.LiveTokens()).To(BeEmpty())
		},
		Entry("no Authorization header", ""),
		Entry("a wrong secret", "Bearer not-the-secret"),
		Entry("another service's secret", "Bearer "+invSecret),
		Entry("the secret with a suffix", "Bearer "+poSecret+"x"),
		Entry("the secret in another scheme", "Basic "+poSecret),
		Entry("an empty bearer", "Bearer "),
	)

	DescribeTable("refuses a malformed body with 400 and mints nothing",
		func(body string) {
			a := w.exchange(body)

			Expect(a.status).To(Equal(http.StatusBadRequest), a.raw)
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
			Expect(a.json).NotTo(HaveKey("api_key"))
			Expect(w.po.LiveTokens()).To(BeEmpty())
		},
		Entry("not JSON", `user_email=john@your-domain.com`),
		Entry("an empty body", ``),
		Entry("a JSON array", `[{"user_email":"john@your-domain.com"}]`),
		Entry("two JSON objects", `{"user_email":"john@your-domain.com"}{"user_email":"eve@your-domain.com"}`),
		Entry("a body over 64 KiB", `{"user_email":"john@your-domain.com","padding":"`+strings.Repeat("a", 64<<10)+`"}`),
		Entry("no user_email", `{"ttl_days":30}`),
		Entry("a user_email that is no address", `{"user_email":"john"}`),
		Entry("a user_email with a display name", `{"user_email":"John <john@your-domain.com>"}`),
		Entry("a user_email with a line break", `{"user_email":"john@your-domain.com\nBcc: eve@evil.example"}`),
		Entry("a user_email of the wrong type", `{"user_email":42}`),
		Entry("a negative ttl_days", `{"user_email":"john@your-domain.com","ttl_days":-1}`),
		Entry("a ttl_days over ten years", `{"user_email":"john@your-domain.com","ttl_days":3651}`),
		Entry("a fractional ttl_days", `{"user_email":"john@your-domain.com","ttl_days":1.5}`),
		Entry("a ttl_days as text", `{"user_email":"john@your-domain.com","ttl_days":"30"}`),
		Entry("a request_id over 128 characters", `{"user_email":"john@your-domain.com","request_id":"`+strings.Repeat("r", 129)+`"}`),
	)

	When("the portal retries an exchange with the same request_id", func() {
		var first answer

		BeforeEach(func() {
			first = w.exchange(`{"user_email":"john@your-domain.com","request_id":"req-1"}`)
			Expect(first.status).To(Equal(http.StatusOK), first.raw)
		})

		It("answers the same key and token, and mints no second one", func() {
			again := w.exchange(`{"user_email":"john@your-domain.com","request_id":"req-1"}`)

			Expect(again.status).To(Equal(http.StatusOK), again.raw)
			Expect(again.json).To(Equal(first.json))
			Expect(w.po.LiveTokens()).To(HaveLen(1))
		})

		It("answers the same key to concurrent retries", func() {
			var wg sync.WaitGroup
			keys := make([]any, 8)
			for i := range keys {
				wg.Go(func() {
					defer GinkgoRecover()
					keys[i] = w.exchange(`{"user_email":"john@your-domain.com","request_id":"req-1"}`).json["api_key"]
				})
			}
			wg.Wait()

			Expect(keys).To(HaveEach(first.json["api_key"]))
			Expect(w.po.LiveTokens()).To(HaveLen(1))
		})

		It("refuses the request_id for another person with 409", func() {
			a := w.exchange(`{"user_email":"eve@your-domain.com","request_id":"req-1"}`)

			Expect(a.status).To(Equal(http.StatusConflict), a.raw)
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(a.json).NotTo(HaveKey("api_key"))
		})

		It("mints a fresh key once the first was revoked", func() {
			Expect(w.revoke(first.json["token_id"].(string)).status).To(Equal(http.StatusOK))

			again := w.exchange(`{"user_email":"john@your-domain.com","request_id":"req-1"}`)

			Expect(again.status).To(Equal(http.StatusOK), again.raw)
			Expect(again.json["api_key"]).NotTo(Equal(first.json["api_key"]))
			Expect(w.get("/purchase_orders/api/whoami", first.json["api_key"].(string)).status).To(Equal(http.StatusUnauthorized))
			Expect(w.get("/purchase_orders/api/whoami", again.json["api_key"].(string)).status).To(Equal(http.StatusOK))
		})

		It("mints a fresh key once the first has expired", func() {
			w.clock.Advance(366 * 24 * time.Hour)

			again := w.exchange(`{"user_email":"john@your-domain.com","request_id":"req-1"}`)

			Expect(again.status).To(Equal(http.StatusOK), again.raw)
			Expect(again.json["token_id"]).NotTo(Equal(first.json["token_id"]))
			Expect(w.po.LiveTokens()).To(HaveLen(1))
		})
	})
})
