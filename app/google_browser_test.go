package app_test

import (
	"context"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// location is the address the browser shows now.
func location(ctx context.Context) string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	loc, err := chromedp.Run(stepCtx, chromedp.Location())
	Expect(err).NotTo(HaveOccurred())
	return loc
}

var _ = Describe("serve's Google sign-in in a real browser", Label("browser", "google"), func() {
	var (
		google *fakeGoogle
		env    map[string]string
		portal *servePortal
		ctx    context.Context
	)

	BeforeEach(func() {
		google = newFakeGoogle()
		env = serveEnv()
		delete(env, "SC_BASE_URL")
	})

	JustBeforeEach(func() {
		portal = startServe(env, google)
		ctx = newChromium()
	})

	// signInWithGoogle opens target signed out, is sent to the sign-in page, and clicks
	// Sign in with Google; the fake Google answers at once, so no consent page shows.
	signInWithGoogle := func(target, waitFor string) {
		GinkgoHelper()
		step(ctx,
			chromedp.Navigate(portal.url+target),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="google-login"]`)),
		)
		Expect(location(ctx)).To(HavePrefix(portal.url + "/login"))
		step(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="google-login"]`)),
			chromedp.WaitVisible(chromedp.CSS(waitFor)),
		)
	}

	It("lands a verified person on the page first asked for, signed in", func() {
		signInWithGoogle("/admin", `[data-testid="admin"]`)
		Expect(location(ctx)).To(Equal(portal.url + "/admin"))
		Expect(text(ctx, `[data-testid="user-email"]`)).To(Equal("alice@example.com"))
		screenshot(ctx, "google-signed-in-admin")

		step(ctx,
			chromedp.Navigate(portal.url+"/"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="service-connectors"]`)),
		)
		Expect(location(ctx)).To(Equal(portal.url + "/"))
		Expect(text(ctx, `[data-testid="user-email"]`)).To(Equal("alice@example.com"))
	})

	When("Google reports the email as unverified", func() {
		BeforeEach(func() {
			google.setClaims(map[string]any{"id": "1", "email": "alice@example.com", "verified_email": false, "hd": "example.com"})
		})

		It("shows the refusal on the sign-in page and gives no session", func() {
			signInWithGoogle("/", `[data-testid="login-error"]`)
			Expect(text(ctx, `[data-testid="login-error"]`)).To(Equal(
				"Your Google email address alice@example.com is not verified, so you cannot sign in."))
			Expect(text(ctx, `[data-testid="google-login"]`)).To(Equal("Sign in with Google"))
			screenshot(ctx, "google-unverified")

			step(ctx,
				chromedp.Navigate(portal.url+"/"),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="google-login"]`)),
			)
			Expect(location(ctx)).To(HavePrefix(portal.url + "/login"))
			Expect(string(portal.stderr.Contents())).To(ContainSubstring("google sign-in refused"))
		})
	})
})
