package client_test

import (
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Warning about expiring keys", func() {
	for _, awk := range awks {
		When("run with "+awk, func() {
			var (
				r       runner
				project string
				server  string
			)

			BeforeEach(func() {
				r = newRunner("/usr/bin/dash", awk)
				r.env = append(r.env, "SC_NOW=2027-11-10T12:00:00Z")
				project = GinkgoT().TempDir()
				server = GinkgoT().TempDir()
			})

			DescribeTable("tells the analyst to reconnect in the portal only when it matters",
				func(expiry, want string) {
					writeFile(filepath.Join(server, ".service_env"),
						"# header\n# purchase_orders expires "+expiry+"\nPO_API_KEY=pk_live_abc123\n", 0o600)
					res := r.run(project, "--from-dir", server)
					Expect(res.code).To(Equal(0), res.stderr)
					if want == "" {
						Expect(res.stderr).To(BeEmpty())
						return
					}
					Expect(res.stderr).To(ContainSubstring(want))
					Expect(res.stderr).To(ContainSubstring("reconnect purchase_orders in the Service Connector portal"))
					Expect(res.stderr).NotTo(ContainSubstring("pk_live_abc123"))
				},
				Entry("expired last year", "2026-11-22T12:00:00Z", "expired on 2026-11-22T12:00:00Z"),
				Entry("expired an hour ago", "2027-11-10T11:00:00Z", "expired on"),
				Entry("expiring in 12 days", "2027-11-22T12:00:00Z", "expires in 12 day(s)"),
				Entry("expiring in 14 days with an offset", "2027-11-24T14:00:00+02:00", "expires in 14 day(s)"),
				Entry("expiring in 15 days", "2027-11-25T12:00:01Z", ""),
				Entry("expiring next year, across a leap day", "2028-03-01T00:00:00Z", ""),
			)
		})
	}
})
