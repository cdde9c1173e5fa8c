package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// waitFor polls a JavaScript condition in the page until it holds, for at most 10 seconds.
func waitFor(ctx context.Context, condition string) {
	GinkgoHelper()
	pollCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := chromedp.Run(pollCtx, chromedp.Poll[bool](condition, chromedp.WithPollingInterval(25*time.Millisecond)))
	Expect(err).NotTo(HaveOccurred(), "waiting for %s", condition)
	Expect(ok).To(BeTrue())
}

// tabTo presses Tab until the element matching sel has the focus, at most 60 times.
func tabTo(ctx context.Context, sel string) {
	GinkgoHelper()
	for range 60 {
		at, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement && document.activeElement.matches(`+"`"+sel+"`"+`)`))
		Expect(err).NotTo(HaveOccurred())
		if at {
			return
		}
		pressKey(ctx, kb.Tab)
	}
	Fail("Tab never reached " + sel)
}

const poCard = `[data-testid="service-card-purchase_orders"]`

// disconnectRoute is the route of Disconnect as the portal's request log names it.
const disconnectRoute = "/connectors/:id/disconnect"

var _ = Describe("The portal on a phone and on a desktop, light and dark", Label("browser"), func() {
	DescribeTable("fits the screen, has touch-sized controls on a phone, and passes axe-core on every page",
		func(vp viewport) {
			d := startDemo(nil)
			alice := d.newBrowser()
			alice.signIn("alice@example.com")
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			ctx := newChromium()
			emulate(ctx, vp, false)

			By("the sign-in page")
			step(ctx, chromedp.Navigate(d.portal+"/login"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="login"]`)))
			checkPage(ctx, vp, "login")

			By("the dashboard, right after the first Connect")
			step(ctx,
				chromedp.Click(chromedp.CSS(`[data-testid="dev-login-carol@example.com"]`)),
				chromedp.WaitVisible(chromedp.CSS(poCard)),
				chromedp.Click(chromedp.CSS(poCard+` [data-testid="connect"]`)),
				chromedp.WaitVisible(chromedp.CSS(poCard+` [data-testid="what-next"]`)),
			)
			checkPage(ctx, vp, "dashboard")

			By("the confirmation dialog before Disconnect")
			step(ctx,
				chromedp.Click(chromedp.CSS(poCard+` [data-testid="disconnect"]`)),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-dialog"][open]`)),
			)
			checkPage(ctx, vp, "dashboard-confirm-dialog")
			pressKey(ctx, kb.Escape)
			waitFor(ctx, `!document.querySelector('[data-testid="confirm-dialog"]').open`)

			By("the confirmation page, as without JavaScript")
			step(ctx, chromedp.Navigate(d.portal+"/connectors/purchase_orders/disconnect"),
				chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-disconnect"]`)))
			checkPage(ctx, vp, "confirm-disconnect")

			By("the admin page, its tables reflowing on a phone")
			step(ctx, chromedp.Navigate(d.portal+"/admin"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-connections"]`)))
			checkPage(ctx, vp, "admin")
			if vp.mobile {
				reflowed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
					const cell = document.querySelector('[data-testid="admin-connection"] td');
					return getComputedStyle(cell).display === "block" && getComputedStyle(cell, "::before").content.includes("Person");
				})()`))
				Expect(err).NotTo(HaveOccurred())
				Expect(reflowed).To(BeTrue(), "each row reads as label: value")
			}

			By("the audit log, searched by person, its table reflowing on a phone")
			step(ctx, chromedp.Navigate(d.portal+"/admin/audit?person=alice%40example.com"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-records"]`)))
			checkPage(ctx, vp, "audit")
			Expect(text(ctx, `[data-testid="audit-record"][data-kind="connect"]`)).To(ContainSubstring("crm"))
			if vp.mobile {
				reflowed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
					const cell = document.querySelector('[data-testid="audit-record"] td');
					return getComputedStyle(cell).display === "block" && getComputedStyle(cell, "::before").content.includes("Record");
				})()`))
				Expect(err).NotTo(HaveOccurred())
				Expect(reflowed).To(BeTrue(), "each record reads as label: value")
			}
		},
		Entry("390×844, a phone", phone),
		Entry("1440×900, a desktop", desktop),
	)
})

var _ = Describe("The dashboard when things fail, in a real browser", Label("browser"), func() {
	It("says what failed and what to do, offers Try again, and shows one banner for a pending delivery", func() {
		// Invoicing's token exchange fails; every delivery fails too (SC_DEMO_FAULTS).
		failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		DeferCleanup(failing.Close)
		data, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		const invExchange = "http://127.0.0.1:8081/invoicing/api/internal/token-exchange"
		Expect(string(data)).To(ContainSubstring(invExchange))
		file := filepath.Join(GinkgoT().TempDir(), "registry.json")
		Expect(os.WriteFile(file, []byte(strings.Replace(string(data), invExchange, failing.URL+"/exchange", 1)), 0o600)).To(Succeed())
		d := startDemo(map[string]string{"SC_REGISTRY_FILE": file, "SC_SKILLS_DIR": "../deploy/skills", "SC_DEMO_FAULTS": "deliver=1"})
		ctx := newChromium()
		emulate(ctx, desktop, false)
		inv := `[data-testid="service-card-invoicing"]`
		signInAs(ctx, d, "bob@example.com", inv)
		Expect(text(ctx, `[data-testid="demo-faults"]`)).To(ContainSubstring("delivery into your server account fails: every time"))
		waitFor(ctx, `document.querySelector('`+inv+` [data-testid="health"]').dataset.health === "healthy"`)

		By("Connect to a service that fails")
		step(ctx, chromedp.Click(chromedp.CSS(inv+` [data-testid="connect"]`)), chromedp.WaitVisible(chromedp.CSS(inv+` [data-testid="card-error"]`)))
		Expect(text(ctx, inv+` [data-testid="card-outcome-message"]`)).To(Equal(
			"Invoicing could not issue a key: the service answered with an error (HTTP 503)."))
		Expect(text(ctx, inv+` [data-testid="card-next-step"]`)).To(Equal(
			"Try again in a few minutes. If it keeps failing, contact the team that runs Invoicing and tell them what this card says."))
		Expect(text(ctx, inv+` [data-testid="health"]`)).To(ContainSubstring("failed just now"))
		Expect(text(ctx, inv+` [data-testid="try-again"]`)).To(Equal("Try again"))
		Expect(focused(ctx)).To(Equal("service-card-invoicing try-again"))
		Expect(text(ctx, `[data-testid="announcer"]`)).To(ContainSubstring("Invoicing could not issue a key"))

		By("Try again, from the keyboard")
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `document.activeElement && document.activeElement.dataset.testid === "try-again" && !document.activeElement.disabled`)
		Expect(focused(ctx)).To(Equal("service-card-invoicing try-again"))
		Expect(d.liveTokens("invoicing")).To(BeEmpty())

		By("Connect while deliveries fail")
		step(ctx, chromedp.Click(chromedp.CSS(poCard+` [data-testid="connect"]`)), chromedp.WaitVisible(chromedp.CSS(poCard+` [data-testid="card-error"]`)))
		Expect(text(ctx, poCard+` [data-testid="card-outcome-message"]`)).To(ContainSubstring(`We could not deliver the change to your server account "bob"`))
		Expect(text(ctx, poCard+` [data-testid="card-next-step"]`)).To(ContainSubstring("tell the platform team"))
		Expect(focused(ctx)).To(Equal("service-card-purchase_orders try-again"))
		count := func() (int, int) {
			all, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="delivery-pending"]').length`))
			Expect(err).NotTo(HaveOccurred())
			inCards, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('article [data-testid="delivery-pending"]').length`))
			Expect(err).NotTo(HaveOccurred())
			return all, inCards
		}
		all, inCards := count()
		Expect(all).To(Equal(1), "one banner for the account")
		Expect(inCards).To(BeZero(), "no badge per card")
		checkPage(ctx, desktop, "dashboard-errors")
		checkPage(ctx, phone, "dashboard-errors")

		By("reloading: the banner stays, one")
		step(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(poCard)))
		all, inCards = count()
		Expect(all).To(Equal(1))
		Expect(inCards).To(BeZero())
	})
})

var _ = Describe("The dashboard from the keyboard, in a real browser", Label("browser"), func() {
	It("keeps the focus on the card that changed, announces what happened, and asks before Disconnect", func() {
		d := startDemo(nil)
		ctx := newChromium()
		emulate(ctx, desktop, false)
		grantClipboard(ctx, d.portal)
		signInAs(ctx, d, "alice@example.com", poCard)
		watchSwaps(ctx)

		By("Tab to Connect and Enter")
		tabTo(ctx, poCard+` [data-testid="connect"]`)
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `!!document.querySelector('`+poCard+`[data-state="connected"]')`)
		Expect(focused(ctx)).To(Equal("service-card-purchase_orders disconnect"))
		Expect(focusAtSwaps(ctx)).To(Equal([]string{"service-card-purchase_orders disconnect"}),
			"the focus moves with the swap, never left on the page's body")
		Expect(text(ctx, `[data-testid="announcer"]`)).To(ContainSubstring("Purchase Orders is connected"))
		live, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="announcer"]').getAttribute("aria-live")`))
		Expect(err).NotTo(HaveOccurred())
		Expect(live).To(Equal("polite"))

		By("the next Tab going on from the card that changed")
		pressKey(ctx, kb.Tab)
		Expect(focused(ctx)).To(Equal("service-card-invoicing connect"))
		step(ctx, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
		Expect(focused(ctx)).To(Equal("service-card-purchase_orders disconnect"))

		By("the card naming its key as the service does, and what happens next")
		tokens := d.liveTokens("purchase_orders")
		Expect(tokens).To(HaveLen(1))
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('`+poCard+` [data-testid="card-token-id"]').dataset.tokenId`))
		Expect(err).NotTo(HaveOccurred())
		Expect(shown).To(Equal(tokens[0]))
		Expect(text(ctx, poCard+` [data-testid="card-token-id"]`)).To(Equal(tokens[0][:12] + "…" + tokens[0][len(tokens[0])-4:]))
		Expect(text(ctx, poCard+` [data-testid="card-issued"]`)).To(HaveSuffix(" UTC"))
		command := text(ctx, poCard+` [data-testid="sync-command"]`)
		Expect(command).To(Equal("sh deploy/client/sync-service-env.sh --from-dir " + filepath.Join(d.dataDir, "homes", "alice")))
		Expect(text(ctx, poCard+` [data-testid="what-next-env"]`)).To(Equal("PO_API_KEY"))
		step(ctx, chromedp.Click(chromedp.CSS(poCard+` [data-testid="copy-sync-command"]`)))
		waitFor(ctx, `document.querySelector('`+poCard+` [data-testid="copy-sync-command"]').textContent === "Copied"`)
		copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		Expect(err).NotTo(HaveOccurred())
		Expect(copied).To(Equal(command))
		screenshot(ctx, "keyboard-connected")

		By("Disconnect, then Escape: the dialog closes and nothing changes")
		step(ctx, chromedp.Focus(chromedp.CSS(poCard+` [data-testid="disconnect"]`)))
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `document.querySelector('[data-testid="confirm-dialog"]').open`)
		Expect(text(ctx, `[data-testid="confirm-title"]`)).To(Equal("Disconnect Purchase Orders?"))
		Expect(text(ctx, `[data-testid="confirm-body"]`)).To(ContainSubstring("removes the key PO_API_KEY from your server account and revokes it"))
		Expect(focused(ctx)).To(Equal("confirm-cancel"), "the safe choice has the focus")
		screenshot(ctx, "keyboard-confirm-dialog")
		pressKey(ctx, kb.Escape)
		waitFor(ctx, `!document.querySelector('[data-testid="confirm-dialog"]').open`)
		Expect(focused(ctx)).To(Equal("service-card-purchase_orders disconnect"))
		Expect(d.liveTokens("purchase_orders")).To(HaveLen(1))
		Expect(present(ctx, poCard+`[data-state="connected"]`)).To(BeTrue())

		By("Disconnect, confirmed from the keyboard")
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `document.querySelector('[data-testid="confirm-dialog"]').open`)
		pressKey(ctx, kb.Tab)
		Expect(focused(ctx)).To(Equal("confirm-ok"))
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `!!document.querySelector('`+poCard+`[data-state="not_connected"]')`)
		Expect(d.requests(http.MethodPost, disconnectRoute)).To(Equal(1), "one Disconnect, sent once")
		Expect(present(ctx, `[data-testid="confirm-dialog"][open]`)).To(BeFalse())
		Expect(focused(ctx)).To(Equal("service-card-purchase_orders connect"))
		Expect(focusAtSwaps(ctx)).To(Equal([]string{"service-card-purchase_orders disconnect", "service-card-purchase_orders connect"}))
		Expect(text(ctx, `[data-testid="announcer"]`)).To(ContainSubstring("Purchase Orders is disconnected"))
		Expect(text(ctx, poCard+` [data-testid="card-next-step"]`)).To(ContainSubstring("it removes PO_API_KEY from your project's .env"))
		Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
		screenshot(ctx, "keyboard-disconnected")
	})
})

var _ = Describe("The dashboard without JavaScript, in a real browser", Label("browser"), func() {
	It("connects with a plain form, and disconnects in two plain steps", func() {
		d := startDemo(nil)
		ctx := newChromium()
		noScript(ctx)
		signInAs(ctx, d, "alice@example.com", poCard)
		scripts, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof htmx === "undefined"`))
		Expect(err).NotTo(HaveOccurred())
		Expect(scripts).To(BeTrue(), "no script ran")

		By("Connect: a form post, then the dashboard with the result and what next in the card")
		step(ctx, chromedp.Click(chromedp.CSS(poCard+` [data-testid="connect"]`)), chromedp.WaitVisible(chromedp.CSS(poCard+`[data-state="connected"]`)))
		Expect(text(ctx, poCard+` [data-testid="card-message"]`)).To(ContainSubstring("Purchase Orders is connected"))
		Expect(present(ctx, poCard+` [data-testid="what-next"]`)).To(BeTrue())
		Expect(present(ctx, poCard+` [data-testid="copy-sync-command"][hidden]`)).To(BeTrue(), "no copy button without JavaScript")
		waitForFocus(ctx, "service-card-purchase_orders card-message")
		Expect(d.envKey("alice", "PO_API_KEY")).NotTo(BeEmpty())

		By("Disconnect: the confirmation page first, which changes nothing")
		step(ctx, chromedp.Click(chromedp.CSS(poCard+` [data-testid="disconnect"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-disconnect"]`)))
		Expect(location(ctx)).To(Equal(d.portal + "/connectors/purchase_orders/disconnect?"))
		Expect(d.liveTokens("purchase_orders")).To(HaveLen(1))
		screenshot(ctx, "nojs-confirm")

		By("then the confirmed post")
		step(ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-disconnect-submit"]`)), chromedp.WaitVisible(chromedp.CSS(poCard+`[data-state="not_connected"]`)))
		Expect(location(ctx)).To(Equal(d.portal + "/"))
		Expect(text(ctx, poCard+` [data-testid="card-next-step"]`)).To(ContainSubstring("it removes PO_API_KEY"))
		waitForFocus(ctx, "service-card-purchase_orders card-message")
		Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
		Expect(d.envKey("alice", "PO_API_KEY")).To(BeEmpty())
		screenshot(ctx, "nojs-disconnected")
	})
})

// The browser tells that a <dialog> closed in a task of its own, after the key or click
// that closed it: a person typing ahead, or a busy page, can answer the next question
// before that close event arrives. These specs make that happen on purpose, with two
// clicks in one script.
var _ = Describe("The Disconnect dialog, answered quickly, in a real browser", Label("browser"), func() {
	const dialogOpen = `document.querySelector('[data-testid="confirm-dialog"]').open`
	var (
		d   *demo
		ctx context.Context
	)

	BeforeEach(func() {
		d = startDemo(nil)
		ctx = newChromium()
		emulate(ctx, desktop, false)
		signInAs(ctx, d, "alice@example.com", poCard)
		step(ctx,
			chromedp.Click(chromedp.CSS(poCard+` [data-testid="connect"]`)),
			chromedp.WaitVisible(chromedp.CSS(poCard+`[data-state="connected"]`)),
			chromedp.Click(chromedp.CSS(poCard+` [data-testid="disconnect"]`)),
		)
		waitFor(ctx, dialogOpen)
	})

	// clickTwice clicks first, then second, in one script, and waits for the close event
	// the first click caused, so that it arrives after the second.
	clickTwice := func(first, second string) {
		GinkgoHelper()
		step(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const dialog = document.querySelector('[data-testid="confirm-dialog"]');
			window.specDialogClosed = false;
			dialog.addEventListener("close", () => { window.specDialogClosed = true; }, { once: true });
			document.querySelector('`+first+`').click();
			document.querySelector('`+second+`').click();
		})()`))
		waitFor(ctx, `window.specDialogClosed`)
	}

	It("asks again after Cancel and Disconnect at once, and disconnects once on the new confirm", func() {
		clickTwice(`[data-testid="confirm-cancel"]`, poCard+` [data-testid="disconnect"]`)
		Expect(present(ctx, `[data-testid="confirm-dialog"][open]`)).To(BeTrue(), "the second Disconnect asks again")
		Expect(focused(ctx)).To(Equal("confirm-cancel"))
		Expect(d.liveTokens("purchase_orders")).To(HaveLen(1), "Cancel changed nothing")

		pressKey(ctx, kb.Tab)
		Expect(focused(ctx)).To(Equal("confirm-ok"))
		pressKey(ctx, kb.Enter)
		waitFor(ctx, `!!document.querySelector('`+poCard+`[data-state="not_connected"]')`)
		Expect(d.requests(http.MethodPost, disconnectRoute)).To(Equal(1))
		Expect(present(ctx, `[data-testid="confirm-dialog"][open]`)).To(BeFalse())
		Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
	})

	It("disconnects once on confirm, and a Disconnect pressed right after does not ask again", func() {
		clickTwice(`[data-testid="confirm-ok"]`, poCard+` [data-testid="disconnect"]`)
		waitFor(ctx, `!!document.querySelector('`+poCard+`[data-state="not_connected"]')`)
		Expect(present(ctx, `[data-testid="confirm-dialog"][open]`)).To(BeFalse(), "the confirmed Disconnect is under way")
		Expect(d.requests(http.MethodPost, disconnectRoute)).To(Equal(1))
		Expect(d.liveTokens("purchase_orders")).To(BeEmpty())
	})
})
