package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// adminRow is the selector of one connection's row on the admin page.
func adminRow(email, serviceID string) string {
	return `[data-testid="admin-connection"][data-email="` + email + `"][data-service="` + serviceID + `"]`
}

// adminAction marks the page stale, runs actions that submit a form, and waits for the admin
// page the action redirects to, with its flash, so no step reads the page it left.
func adminAction(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) string {
	GinkgoHelper()
	all := append([]chromedp.Action[chromedp.Void]{
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.stale = "1"`),
	}, actions...)
	all = append(all, chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) [data-testid="flash"] .flash`)))
	step(ctx, all...)
	return text(ctx, `[data-testid="flash"]`)
}

// confirmAdminDisconnect clicks Disconnect in a row of the admin page and confirms it in
// the dialog that asks first.
func confirmAdminDisconnect(row string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(row + ` [data-testid="admin-disconnect"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-dialog"][open]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="confirm-ok"]`)),
	}
}

// present reports whether the page has an element matching sel.
func present(ctx context.Context, sel string) bool {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	found, err := chromedp.Run(stepCtx, chromedp.Evaluate[bool](`document.querySelector(`+"`"+sel+"`"+`) !== null`))
	Expect(err).NotTo(HaveOccurred())
	return found
}

var _ = Describe("The admin page in a real browser", Label("browser"), func() {
	It("disconnects a connection, offboards a person and retries a revocation that needs attention", func() {
		// Purchase Orders' revoke endpoint goes through a switch that can make it fail.
		var failing atomic.Bool
		var target atomic.Pointer[url.URL]
		revokeSwitch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			u := target.Load()
			(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }}).ServeHTTP(w, r)
		}))
		DeferCleanup(revokeSwitch.Close)
		data, err := os.ReadFile("../deploy/service_connectors.json")
		Expect(err).NotTo(HaveOccurred())
		const poRevoke = "http://127.0.0.1:8081/purchase_orders/api/internal/token-revoke"
		Expect(string(data)).To(ContainSubstring(poRevoke))
		registry := strings.Replace(string(data), poRevoke, revokeSwitch.URL+"/purchase_orders/api/internal/token-revoke", 1)
		file := filepath.Join(GinkgoT().TempDir(), "registry.json")
		Expect(os.WriteFile(file, []byte(registry), 0o600)).To(Succeed())
		d := startDemo(map[string]string{
			"SC_REGISTRY_FILE": file, "SC_SKILLS_DIR": "../deploy/skills",
			// One failed attempt needs attention. A short SC_RETRY_BASE lets the worker run
			// while a Disconnect delivers: the key that Disconnect queued is still its own to
			// try first, so it says "revoked" when the service confirmed it.
			"SC_ADMIN_EMAILS": "carol@example.com", "SC_REVOKE_ATTEMPTS": "1", "SC_RETRY_BASE": "100ms",
		})
		services, err := url.Parse(d.services)
		Expect(err).NotTo(HaveOccurred())
		target.Store(services)

		By("alice and bob connecting through the JSON API")
		alice, bob := d.newBrowser(), d.newBrowser()
		alice.signIn("alice@example.com")
		bob.signIn("bob@example.com")
		for _, id := range []string{"purchase_orders", "crm"} {
			Expect(alice.api("connect", id).status).To(Equal(http.StatusOK))
			Expect(bob.api("connect", id).status).To(Equal(http.StatusOK))
		}
		alicePO, aliceCRM := d.envKey("alice", "PO_API_KEY"), d.envKey("alice", "CRM_API_KEY")
		bobPO, bobCRM := d.envKey("bob", "PO_API_KEY"), d.envKey("bob", "CRM_API_KEY")
		for _, key := range []string{alicePO, aliceCRM, bobPO, bobCRM} {
			Expect(key).NotTo(BeEmpty())
		}

		By("an admin opening the admin page")
		ctx := newChromium()
		signInAs(ctx, d, "carol@example.com", `[data-testid="service-connectors"]`)
		step(ctx,
			chromedp.Navigate(d.portal+"/admin"),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-connections"]`)),
		)
		for _, row := range []string{adminRow("alice@example.com", "purchase_orders"), adminRow("alice@example.com", "crm"),
			adminRow("bob@example.com", "purchase_orders"), adminRow("bob@example.com", "crm")} {
			Expect(present(ctx, row)).To(BeTrue(), row)
		}
		Expect(text(ctx, `[data-testid="admin-service-crm"] [data-testid="admin-connections-count"]`)).To(Equal("2"))
		Expect(text(ctx, `[data-testid="registry-source"]`)).To(Equal(file))
		html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		Expect(err).NotTo(HaveOccurred())
		for _, key := range []string{alicePO, aliceCRM, bobPO, bobCRM} {
			Expect(html).NotTo(ContainSubstring(key))
		}
		screenshot(ctx, "admin-connections")

		By("disconnecting alice's CRM connection")
		flash := adminAction(ctx, confirmAdminDisconnect(adminRow("alice@example.com", "crm"))...)
		Expect(flash).To(Equal("Disconnected alice@example.com from CRM: the key is revoked and removed from their account."))
		Expect(present(ctx, adminRow("alice@example.com", "crm"))).To(BeFalse())
		Expect(present(ctx, adminRow("alice@example.com", "purchase_orders"))).To(BeTrue())
		Expect(d.whoami("crm", aliceCRM)).To(Equal(http.StatusUnauthorized))
		Expect(d.envKey("alice", "CRM_API_KEY")).To(BeEmpty())
		Expect(d.whoami("purchase_orders", alicePO)).To(Equal(http.StatusOK))

		By("offboarding bob, after reviewing who and what it affects")
		step(ctx,
			chromedp.Evaluate[chromedp.Void](`document.body.dataset.stale = "1"`),
			chromedp.SendKeys(chromedp.CSS(`[data-testid="offboard-email"]`), "bob@example.com"),
			chromedp.Click(chromedp.CSS(`[data-testid="offboard-review-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) [data-testid="offboard-plan"]`)),
		)
		Expect(text(ctx, `[data-testid="offboard-person"]`)).To(Equal("bob@example.com"))
		Expect(text(ctx, `[data-testid="offboard-account"]`)).To(Equal("bob"))
		Expect(present(ctx, `[data-testid="offboard-key"][data-service="purchase_orders"]`)).To(BeTrue())
		Expect(present(ctx, `[data-testid="offboard-key"][data-service="crm"]`)).To(BeTrue())
		Expect(d.whoami("crm", bobCRM)).To(Equal(http.StatusOK), "the review changes nothing")
		screenshot(ctx, "admin-offboard-review")
		flash = adminAction(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="offboard-confirm"]`)),
			chromedp.Click(chromedp.CSS(`[data-testid="offboard-submit"]`)),
		)
		Expect(flash).To(Equal("Offboarded bob@example.com: 2 connections removed, 2 keys revoked, files cleared."))
		Expect(present(ctx, `[data-testid="admin-connection"][data-email="bob@example.com"]`)).To(BeFalse())
		Expect(d.whoami("purchase_orders", bobPO)).To(Equal(http.StatusUnauthorized))
		Expect(d.whoami("crm", bobCRM)).To(Equal(http.StatusUnauthorized))
		env, _, ok := d.home("bob", ".service_env")
		Expect(ok).To(BeTrue())
		Expect(env).NotTo(ContainSubstring("_API_KEY"))
		skills, err := filepath.Glob(filepath.Join(d.dataDir, "homes", "bob", ".claude_rules", "sc_*.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(skills).To(BeEmpty())
		screenshot(ctx, "admin-offboarded")

		By("disconnecting alice's Purchase Orders while its revoke endpoint fails")
		failing.Store(true)
		flash = adminAction(ctx, confirmAdminDisconnect(adminRow("alice@example.com", "purchase_orders"))...)
		Expect(flash).To(ContainSubstring("queued for revocation"))
		revocation := `[data-testid="admin-revocation"][data-service="purchase_orders"]`
		Expect(text(ctx, revocation+` [data-testid="needs-attention"]`)).To(Equal("needs attention"))
		Expect(text(ctx, revocation)).To(ContainSubstring("alice@example.com"))
		Expect(d.whoami("purchase_orders", alicePO)).To(Equal(http.StatusOK), "the key is still live until the retry")
		Expect(d.envKey("alice", "PO_API_KEY")).To(BeEmpty())
		screenshot(ctx, "admin-needs-attention")

		By("retrying it once the service answers again")
		failing.Store(false)
		flash = adminAction(ctx, chromedp.Click(chromedp.CSS(revocation+` [data-testid="admin-retry"]`)))
		Expect(flash).To(HavePrefix("Revoked "))
		Expect(flash).To(HaveSuffix(" at purchase_orders; it is off the queue."))
		Expect(present(ctx, revocation)).To(BeFalse())
		Expect(present(ctx, `[data-testid="admin-no-revocations"]`)).To(BeTrue())
		Expect(d.whoami("purchase_orders", alicePO)).To(Equal(http.StatusUnauthorized))
		screenshot(ctx, "admin-retried")
	})
})
