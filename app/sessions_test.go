package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// copiedCookie is a session cookie copied out of a browser, replayed by hand from anywhere.
type copiedCookie struct {
	d    *demo
	pair string // name=value
}

// copyCookie copies the session cookie the browser holds for the portal.
func (b *browser) copyCookie() copiedCookie {
	GinkgoHelper()
	u, err := url.Parse(b.d.portal)
	Expect(err).NotTo(HaveOccurred())
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "sc_session" {
			return copiedCookie{d: b.d, pair: c.Name + "=" + c.Value}
		}
	}
	Fail("the browser holds no session cookie")
	return copiedCookie{}
}

// status is the answer to a JSON API read made with the copied cookie alone.
func (c copiedCookie) status() int {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodGet, c.d.portal+"/api/service-connectors", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Cookie", c.pair)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	return resp.StatusCode
}

var _ = Describe("Sessions kept in the database", func() {
	var d *demo

	BeforeEach(func() {
		d = startDemo(map[string]string{"SC_RETRY_BASE": "100ms", "SC_RETRY_MAX": "1s"})
	})

	It("end everywhere on sign-out: a cookie copied before is refused afterwards", func() {
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		copied := alice.copyCookie()
		Expect(copied.status()).To(Equal(http.StatusOK))
		other := d.newBrowser() // alice's other browser, signed in on its own
		other.signIn("alice@example.com")

		Expect(alice.do(http.MethodPost, "/logout", "application/x-www-form-urlencoded", "").status).To(Equal(http.StatusSeeOther))

		Expect(copied.status()).To(Equal(http.StatusUnauthorized))
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusUnauthorized))
		Expect(other.do(http.MethodGet, "/api/service-connectors", "", "").status).To(Equal(http.StatusOK), "a session of its own is not this one")
	})

	It("end, every one of the person's, when an admin offboards them; others' sessions go on", func() {
		alice, aliceToo, bob := d.newBrowser(), d.newBrowser(), d.newBrowser()
		alice.signIn("alice@example.com")
		aliceToo.signIn("alice@example.com")
		bob.signIn("bob@example.com")
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
		copied := alice.copyCookie()
		carol := d.newBrowser()
		carol.signIn("carol@example.com")

		a := carol.do(http.MethodPost, "/admin/offboard", "application/x-www-form-urlencoded",
			url.Values{"email": {"alice@example.com"}, "confirm": {"yes"}}.Encode())
		Expect(a.status).To(Equal(http.StatusSeeOther))

		Expect(copied.status()).To(Equal(http.StatusUnauthorized))
		Expect(aliceToo.api("connect", "crm").status).To(Equal(http.StatusUnauthorized), "no Connect from a session opened before")
		Expect(d.recorded("alice@example.com")).To(BeEmpty())
		Expect(bob.do(http.MethodGet, "/api/service-connectors", "", "").status).To(Equal(http.StatusOK))
		Expect(carol.do(http.MethodGet, "/admin", "", "").status).To(Equal(http.StatusOK))
	})

	It("end when the offboard command, another process on the same database, offboards the person", func() {
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		copied := alice.copyCookie()
		Expect(copied.status()).To(Equal(http.StatusOK))

		code, _, stderr := run(map[string]string{"SC_DATA_DIR": d.dataDir}, "offboard", "--demo", "alice@example.com")
		Expect(code).To(Equal(0), stderr)

		Expect(copied.status()).To(Equal(http.StatusUnauthorized))
		Expect(alice.do(http.MethodGet, "/", "", "").status).To(Equal(http.StatusSeeOther), "back to the sign-in page")
	})
})

var _ = Describe("A session's lifetime, SC_SESSION_MAX_AGE", func() {
	It("is absolute: activity does not extend it, and no cookie of it works after its end", func() {
		d := startDemo(map[string]string{"SC_SESSION_MAX_AGE": "6s"})
		alice := d.newBrowser()
		a := alice.do(http.MethodPost, "/auth/dev-login", "application/x-www-form-urlencoded", "email=alice%40example.com")
		Expect(a.status).To(Equal(http.StatusSeeOther))
		signedInAt := time.Now()
		first := alice.copyCookie()

		// Activity that saves the session (a plain form post leaves a flash) re-issues the
		// cookie, with what is left of the session, never a fresh lifetime.
		var reissued []string
		for time.Since(signedInAt) < 3*time.Second {
			r := alice.do(http.MethodPost, "/connectors/crm/disconnect", "application/x-www-form-urlencoded", "confirm=yes")
			Expect(r.status).To(Equal(http.StatusSeeOther))
			if c := r.header.Get("Set-Cookie"); c != "" {
				reissued = append(reissued, c)
			}
			time.Sleep(300 * time.Millisecond)
		}
		Expect(reissued).NotTo(BeEmpty())
		last := reissued[len(reissued)-1]
		Expect(last).To(MatchRegexp(`Max-Age=[1-3];`), "what is left of 6 s after 3 s, not 6 s again")
		latest := alice.copyCookie()
		Expect(latest.status()).To(Equal(http.StatusOK))

		Eventually(latest.status, 7*time.Second, 200*time.Millisecond).Should(Equal(http.StatusUnauthorized))
		Expect(time.Since(signedInAt)).To(BeNumerically("<", 8*time.Second), "ended at its start plus 6 s")
		Expect(first.status()).To(Equal(http.StatusUnauthorized))
		Expect(strings.Contains(last, "HttpOnly")).To(BeTrue())
	})
})
