package refservice_test

import (
	"encoding/json"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

var _ = Describe("LiveTokens", func() {
	var (
		w                    *world
		johnKey, maryKey     services.Secret
		johnToken, maryToken string
	)

	BeforeEach(func() {
		w = newWorld()
	})

	It("is empty before any exchange", func() {
		Expect(w.po.LiveTokens()).To(BeEmpty())
	})

	When("two people have connected", func() {
		BeforeEach(func() {
			johnKey, johnToken = w.connect("purchase_orders", poSecret, "john@your-domain.com")
			w.clock.Advance(24 * time.Hour)
			maryKey, maryToken = w.connect("purchase_orders", poSecret, "mary@your-domain.com")
		})

		It("lists both, sorted by token id, with owner and expiry", func() {
			john := refservice.TokenInfo{TokenID: johnToken, UserEmail: "john@your-domain.com", ExpiresAt: time.Date(2026, 4, 13, 9, 26, 53, 0, time.UTC)}
			mary := refservice.TokenInfo{TokenID: maryToken, UserEmail: "mary@your-domain.com", ExpiresAt: time.Date(2026, 4, 14, 9, 26, 53, 0, time.UTC)}
			want := []refservice.TokenInfo{john, mary}
			if maryToken < johnToken {
				want = []refservice.TokenInfo{mary, john}
			}

			Expect(w.po.LiveTokens()).To(Equal(want))
		})

		It("keeps them to the service that minted them", func() {
			Expect(w.crm.LiveTokens()).To(BeEmpty())
		})

		It("drops a revoked token", func() {
			w.revoke(johnToken)

			Expect(w.po.LiveTokens()).To(ConsistOf(HaveField("TokenID", maryToken)))
		})

		It("drops tokens as they expire", func() {
			w.clock.Advance(29 * 24 * time.Hour)
			Expect(w.po.LiveTokens()).To(ConsistOf(HaveField("TokenID", maryToken)))

			w.clock.Advance(24 * time.Hour)
			Expect(w.po.LiveTokens()).To(BeEmpty())
		})

		It("never holds a key, however it is printed", func() {
			tokens := w.po.LiveTokens()
			encoded, err := json.Marshal(tokens)
			Expect(err).NotTo(HaveOccurred())

			for _, text := range []string{string(encoded), fmt.Sprintf("%+v", tokens), fmt.Sprintf("%#v", tokens)} {
				Expect(text).To(ContainSubstring(johnToken))
				Expect(text).NotTo(ContainSubstring(johnKey.Reveal()))
				Expect(text).NotTo(ContainSubstring(maryKey.Reveal()))
			}
		})
	})
})
