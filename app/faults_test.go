package app_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("service-connector demo with SC_DEMO_FAULTS", func() {
	It("refuses a bad fault description, naming the variable", func() {
		code, _, stderr := run(map[string]string{"SC_DEMO_FAULTS": "bogus"}, "demo")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring(`SC_DEMO_FAULTS: faults: "bogus" is not key=value`))
	})

	When("every exchange fails", func() {
		var d *demo

		BeforeEach(func() {
			d = startDemo(map[string]string{"SC_DEMO_FAULTS": "exchange=1"})
		})

		It("says the service could not issue a key, and records and delivers nothing", func() {
			alice := d.newBrowser()
			alice.signIn("alice@example.com")
			a := alice.api("connect", "purchase_orders")
			Expect(a.status).To(Equal(http.StatusServiceUnavailable))
			Expect(a.body).To(ContainSubstring("could not issue a key"))
			_, _, ok := d.home("alice", ".service_env")
			Expect(ok).To(BeFalse())
			Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
			Expect(d.recorded("alice@example.com")).To(BeEmpty(), "no connection is recorded for alice")
		})
	})
})
