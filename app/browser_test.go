package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// chromiumPath is Debian's Chromium binary; `make test` installs it when it is missing.
const chromiumPath = "/usr/lib/chromium/chromium"

// newChromium starts a headless Chromium for one spec and returns its context.
func newChromium() context.Context {
	GinkgoHelper()
	Expect(chromiumPath).To(BeAnExistingFile(), "Chromium is missing: run `make test-deps`")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(GinkgoT().TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	DeferCleanup(func() { cancelCtx(); cancelAlloc() })
	// Start the browser on the spec-long context: a browser first started under a step's
	// deadline would be closed when that deadline's context ends.
	Expect(chromedp.Do(ctx)).To(Succeed())
	return ctx
}

// step runs browser actions with a deadline, so a stuck page fails the spec instead of hanging it.
func step(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	Expect(chromedp.Do(stepCtx, actions...)).To(Succeed())
}

func text(ctx context.Context, sel string) string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(stepCtx, chromedp.Text(chromedp.CSS(sel)))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// screenshot keeps a PNG of the page in $SC_SPEC_SCREENSHOTS, when set, for a person to look at.
func screenshot(ctx context.Context, name string) {
	GinkgoHelper()
	dir := os.Getenv("SC_SPEC_SCREENSHOTS")
	if dir == "" {
		return
	}
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(stepCtx, chromedp.FullScreenshot(100))
	Expect(err).NotTo(HaveOccurred())
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)).To(Succeed())
}

// signInAs opens the portal and signs in through the demo's one-click sign-in.
func signInAs(ctx context.Context, d *demo, email, waitFor string) {
	GinkgoHelper()
	step(ctx,
		chromedp.Navigate(d.portal+"/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dev-login-`+email+`"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="dev-login-`+email+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

var _ = Describe("The portal in a real browser", Label("browser"), func() {
	It("signs in, connects Purchase Orders, then disconnects it", func() {
		d := startDemo(nil)
		ctx := newChromium()
		card := `[data-testid="service-card-purchase_orders"]`

		By("signing in as a demo person")
		signInAs(ctx, d, "alice@example.com", card)
		Expect(text(ctx, `[data-testid="user-email"]`)).To(Equal("alice@example.com"))
		Expect(text(ctx, card+` [data-testid="status-badge"]`)).To(Equal("Not connected"))

		By("clicking Connect, which swaps only that card")
		step(ctx,
			chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="service-card-crm"]').dataset.marker = "untouched"`),
			chromedp.Click(chromedp.CSS(card+` [data-testid="connect"]`)),
			chromedp.WaitVisible(chromedp.CSS(card+`[data-state="connected"]`)),
		)
		Expect(text(ctx, card+` [data-testid="status-badge"]`)).To(Equal("Connected"))
		env, _, _ := d.home("alice", ".service_env")
		expiresAt := regexp.MustCompile(`# purchase_orders expires (\S+)`).FindStringSubmatch(env)
		Expect(expiresAt).To(HaveLen(2))
		expiry, err := time.Parse(time.RFC3339, expiresAt[1])
		Expect(err).NotTo(HaveOccurred())
		Expect(expiry).To(BeTemporally("~", time.Now().AddDate(0, 0, 365), time.Hour))
		Expect(text(ctx, card+` [data-testid="card-detail"] time`)).To(Equal(expiry.Format("2 Jan 2006")))
		Expect(text(ctx, card+` [data-testid="card-message"]`)).To(ContainSubstring("Purchase Orders is connected"))
		marker, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="service-card-crm"]').dataset.marker || ""`))
		Expect(err).NotTo(HaveOccurred())
		Expect(marker).To(Equal("untouched"))
		screenshot(ctx, "dashboard-connected")

		By("finding the key and the skill in the home, and the key working")
		key := d.envKey("alice", "PO_API_KEY")
		Expect(key).NotTo(BeEmpty())
		_, _, ok := d.home("alice", ".claude_rules/sc_purchase_orders.md")
		Expect(ok).To(BeTrue())
		Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusOK))
		html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		Expect(err).NotTo(HaveOccurred())
		Expect(html).NotTo(ContainSubstring(key))

		By("clicking Disconnect, and confirming it")
		step(ctx,
			chromedp.Click(chromedp.CSS(card+` [data-testid="disconnect"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-ok"]`)),
			chromedp.Click(chromedp.CSS(`[data-testid="confirm-ok"]`)),
			chromedp.WaitVisible(chromedp.CSS(card+`[data-state="not_connected"]`)),
		)
		Expect(text(ctx, card+` [data-testid="status-badge"]`)).To(Equal("Not connected"))
		screenshot(ctx, "dashboard-disconnected")
		Expect(d.envKey("alice", "PO_API_KEY")).To(BeEmpty())
		_, _, ok = d.home("alice", ".claude_rules/sc_purchase_orders.md")
		Expect(ok).To(BeFalse())
		Expect(d.whoami("purchase_orders", key)).To(Equal(http.StatusUnauthorized))
	})
})

var _ = Describe("A service card in a real browser", Label("browser"), func() {
	It("shows a spinner and disables the button while the request is in flight, then the error in the card", func() {
		// Invoicing's token exchange answers slowly, and with an error.
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(1500 * time.Millisecond)
			w.WriteHeader(http.StatusInternalServerError)
		}))
		DeferCleanup(slow.Close)
		data, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		registry := strings.Replace(string(data), "http://127.0.0.1:8081/invoicing/api/internal/token-exchange", slow.URL+"/exchange", 1)
		file := filepath.Join(GinkgoT().TempDir(), "registry.json")
		Expect(os.WriteFile(file, []byte(registry), 0o600)).To(Succeed())
		d := startDemo(map[string]string{"SC_REGISTRY_FILE": file, "SC_SKILLS_DIR": "../deploy/skills"})
		ctx := newChromium()
		card := `[data-testid="service-card-invoicing"]`
		signInAs(ctx, d, "bob@example.com", card)

		step(ctx, chromedp.Click(chromedp.CSS(card+` [data-testid="connect"]`)))
		inFlight := `(() => {
			const card = document.querySelector('[data-testid="service-card-invoicing"]');
			const button = card.querySelector('[data-testid="connect"]');
			const spinner = card.querySelector('[data-testid="spinner"]');
			return button.disabled && getComputedStyle(spinner).display !== "none";
		})()`
		pollCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		seen, err := chromedp.Run(pollCtx, chromedp.Poll[bool](inFlight, chromedp.WithPollingInterval(20*time.Millisecond)))
		Expect(err).NotTo(HaveOccurred())
		Expect(seen).To(BeTrue())
		screenshot(ctx, "card-in-flight")

		step(ctx, chromedp.WaitVisible(chromedp.CSS(card+` [data-testid="card-error"]`)))
		Expect(text(ctx, card+` [data-testid="card-outcome-message"]`)).To(Equal(
			"Invoicing could not issue a key: the service answered with an error (HTTP 500)."))
		Expect(text(ctx, card+` [data-testid="status-badge"]`)).To(Equal("Not connected"))
		settled := `(() => {
			const card = document.querySelector('[data-testid="service-card-invoicing"]');
			return !card.querySelector('[data-testid="try-again"]').disabled &&
				getComputedStyle(card.querySelector('[data-testid="spinner"]')).display === "none";
		})()`
		settleCtx, cancelSettle := context.WithTimeout(ctx, 5*time.Second)
		defer cancelSettle()
		done, err := chromedp.Run(settleCtx, chromedp.Poll[bool](settled, chromedp.WithPollingInterval(20*time.Millisecond)))
		Expect(err).NotTo(HaveOccurred())
		Expect(done).To(BeTrue())
		screenshot(ctx, "card-error")
		_, _, delivered := d.home("bob", ".service_env")
		Expect(delivered).To(BeFalse())
	})
})

var _ = Describe("A cross-origin form in a real browser", Label("browser"), func() {
	It("is refused with 403 and changes nothing, although the browser sends the session cookie", func() {
		d := startDemo(nil)
		ctx := newChromium()
		signInAs(ctx, d, "alice@example.com", `[data-testid="service-card-purchase_orders"]`)

		// Another port on the same loopback host: the same site, so the Lax session cookie goes
		// along, but another origin, which only the cross-origin protection stops.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, `<!DOCTYPE html><form method="post" action="`+d.portal+`/connectors/purchase_orders/connect"></form>`+
				`<script>document.forms[0].submit()</script>`)
		}))
		DeferCleanup(evil.Close)
		step(ctx,
			chromedp.Navigate(evil.URL),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-page"]`)),
		)
		Expect(text(ctx, `[data-testid="error-message"]`)).To(ContainSubstring("came from another site"))
		_, _, delivered := d.home("alice", ".service_env")
		Expect(delivered).To(BeFalse())
		Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
		Expect(string(d.stderr.Contents())).To(ContainSubstring("cross-origin request refused"))
	})
})
