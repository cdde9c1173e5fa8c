package delivery_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/delivery"
)

var _ = Describe("RenderServiceEnv", func() {
	It("writes a header, then a comment and an unquoted line per key, in bundle order", func() {
		b := validBundle()
		// A zone other than UTC shows the expiry is converted, not printed as given.
		b.Env[0].ExpiresAt = time.Date(2027, 11, 22, 13, 0, 0, 0, time.FixedZone("CET", 3600))

		Expect(string(delivery.RenderServiceEnv(b))).To(Equal(header +
			"# purchase_orders expires 2027-11-22T12:00:00Z\n" +
			"PO_API_KEY=pk_live_abc123\n" +
			"# invoicing (no expiry)\n" +
			"INV_API_KEY=inv_key_9876543\n"))
	})

	It("writes only the header for an empty bundle", func() {
		Expect(string(delivery.RenderServiceEnv(delivery.Bundle{}))).To(Equal(header))
	})
})
