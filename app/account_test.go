package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("service-connector demo with two emails leading to one server account", func() {
	It("tells the second person on the dashboard at once, before any Connect, and mints nothing for them", func() {
		userMap := filepath.Join(GinkgoT().TempDir(), "users.json")
		Expect(os.WriteFile(userMap, []byte(`{"alice.smith@example.com": "alice"}`), 0o600)).To(Succeed())
		d := startDemo(map[string]string{"SC_USER_MAP_FILE": userMap})
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
		Expect(alice.do(http.MethodGet, "/", "", "").body).NotTo(ContainSubstring(`data-testid="account-taken"`))

		other := d.newBrowser()
		other.signIn("alice.smith@example.com")
		page := other.do(http.MethodGet, "/", "", "")
		Expect(page.status).To(Equal(http.StatusOK))
		Expect(page.body).To(ContainSubstring(`data-testid="account-taken"`))
		folded := strings.Join(strings.Fields(page.body), " ")
		Expect(folded).To(ContainSubstring("Your email leads to the server account <code>alice</code>, which already receives the keys of another person"))
		Expect(folded).To(ContainSubstring(`Ask the platform team, who run this portal (<span data-testid="contacts">carol@example.com</span>), to give you an account of your own.`))
		Expect(page.body).NotTo(MatchRegexp(`<button type="submit" class="primary" data-testid="connect"`), "no Connect button is live")
		Expect(d.liveTokens("crm")).To(BeEmpty())
	})
})
