package app_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// adminRows are the (email, service) of the connections the admin page shows, in order.
func adminRows(ctx context.Context) []string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rows, err := chromedp.Run(stepCtx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="admin-connection"]')]
		.map((tr) => tr.dataset.email + "/" + tr.dataset.service)`))
	Expect(err).NotTo(HaveOccurred())
	return rows
}

// adminGo follows a link or submits a form of the admin page and waits for the page it
// leads to, so no step reads the page it left.
func adminGo(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	all := append([]chromedp.Action[chromedp.Void]{chromedp.Evaluate[chromedp.Void](`document.body.dataset.stale = "1"`)}, actions...)
	step(ctx, append(all, chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) [data-testid="admin-connections-total"]`)))...)
}

// pageQuery is the admin page's query as the browser's address bar has it.
func pageQuery(ctx context.Context) url.Values {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	loc, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](`location.href`))
	Expect(err).NotTo(HaveOccurred())
	u, err := url.Parse(loc)
	Expect(err).NotTo(HaveOccurred())
	Expect(u.Path).To(Equal("/admin"))
	return u.Query()
}

// title is the page's title.
func title(ctx context.Context) string {
	GinkgoHelper()
	stepCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, err := chromedp.Run(stepCtx, chromedp.Evaluate[string](`document.title`))
	Expect(err).NotTo(HaveOccurred())
	return t
}

var _ = Describe("The admin page at 100,000 connections, in a real browser", Label("browser"), Ordered, func() {
	const connections, waiting = 100_000, 25
	var d *demo

	BeforeAll(func() {
		dir := GinkgoT().TempDir()
		conns := storetest.People(connections/len(storetest.DemoServices) + 1)[:connections]
		// Keys the demo's services never minted, waiting for an admin: revoking an unknown
		// token is confirmed by the protocol, so Retry all empties the queue.
		var revocations []store.Revocation
		now := time.Now().UTC().Truncate(time.Second)
		for i := range waiting {
			revocations = append(revocations, store.Revocation{ServiceID: "crm", TokenID: fmt.Sprintf("tok_gone_%02d", i), UserEmail: "gone@example.com",
				Reason: "disconnected", QueuedAt: now.Add(time.Duration(i) * time.Second),
				Retry: store.Retry{Attempts: 10, LastError: "CRM is unavailable."}, NeedsAttention: true})
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		Expect(storetest.Seed(ctx, store.Config{DataDir: dir, Log: discardLog(), TxTimeout: 3 * time.Minute}, conns, revocations)).To(Succeed())
		d = startDemo(map[string]string{"SC_DATA_DIR": dir, "SC_ADMIN_EMAILS": "carol@example.com"})
	})

	It("pages through the connections, searches and filters them, keeps its place through Disconnect, and Retry all empties the queue", func() {
		ctx := newChromium()
		emulate(ctx, desktop, false)
		signInAs(ctx, d, "carol@example.com", `[data-testid="service-connectors"]`)
		adminGo(ctx, chromedp.Navigate(d.portal+"/admin"))

		By("the queue first, with its count in the title")
		Expect(title(ctx)).To(Equal(fmt.Sprintf("(%d) Admin · Service Connector", waiting)))
		Expect(text(ctx, `[data-testid="admin-connections-total"]`)).To(Equal("100,000 connections in all."))
		Expect(present(ctx, `[data-testid="admin-revocations-section"] ~ [data-testid="admin-connections-section"]`)).To(BeTrue(), "the queue comes before the connections")
		Expect(text(ctx, `[data-testid="admin-queue-page"]`)).To(Equal(fmt.Sprintf("Page 1 of %d", (waiting+connector.AdminQueueSize-1)/connector.AdminQueueSize)))
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-queue-next"]`)))
		Expect(text(ctx, `[data-testid="admin-queue-page"]`)).To(Equal(fmt.Sprintf("Page 2 of %d", (waiting+connector.AdminQueueSize-1)/connector.AdminQueueSize)))
		Expect(pageQuery(ctx)).To(Equal(url.Values{"qpage": {"2"}}))
		Expect(text(ctx, `[data-testid="admin-revocation"]`)).To(ContainSubstring(fmt.Sprintf("tok_gone_%02d", connector.AdminQueueSize)))
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-queue-prev"]`)))

		By("paging forward, back, to the last page and to the first")
		first := adminRows(ctx)
		Expect(first).To(HaveLen(50))
		Expect(first[0]).To(Equal(storetest.Person(0).Email + "/crm"))
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-next"]`)))
		second := adminRows(ctx)
		Expect(second).To(HaveLen(50))
		Expect(second[0] > first[49]).To(BeTrue(), "the next page starts after the first: %s, %s", first[49], second[0])
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-next"]`)))
		third := adminRows(ctx)
		Expect(third[0] > second[49]).To(BeTrue())
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-prev"]`)))
		Expect(adminRows(ctx)).To(Equal(second))
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-last"]`)))
		last := adminRows(ctx)
		Expect(last).To(HaveLen(50))
		Expect(last[49]).To(Equal(storetest.Person(connections/3).Email + "/crm"))
		Expect(text(ctx, `[data-testid="admin-page-next"]`)).To(Equal("Next"))
		Expect(present(ctx, `a[data-testid="admin-page-next"]`)).To(BeFalse(), "nothing follows the last page")
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-first"]`)))
		Expect(adminRows(ctx)).To(Equal(first))

		By("searching and filtering, the query in the URL")
		adminGo(ctx,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="admin-search-q"]`), "person01234"),
			chromedp.SetValue(chromedp.CSS(`[data-testid="admin-filter-service"]`), "invoicing"),
			chromedp.Click(chromedp.CSS(`[data-testid="admin-search-submit"]`)),
		)
		Expect(pageQuery(ctx)).To(Equal(url.Values{"q": {"person01234"}, "service": {"invoicing"}, "status": {""}}))
		found := adminRows(ctx)
		Expect(found).To(HaveLen(10))
		for _, row := range found {
			Expect(row).To(MatchRegexp(`^person01234\d@example\.com/invoicing$`))
		}
		Expect(text(ctx, `[data-testid="admin-connections-total"]`)).To(Equal("10 connections match."))

		By("a deep page of a search, then Disconnect confirmed in the dialog: back at the same place")
		adminGo(ctx, chromedp.Navigate(d.portal+"/admin?q=person02&service=crm&after="+url.QueryEscape(storetest.Person(20500).Email+" crm")))
		here := pageQuery(ctx)
		page := adminRows(ctx)
		Expect(page[0]).To(Equal(storetest.Person(20501).Email + "/crm"))
		row := adminRow(storetest.Person(20502).Email, "crm")
		step(ctx,
			chromedp.Click(chromedp.CSS(row+` [data-testid="admin-disconnect"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="confirm-dialog"][open]`)),
		)
		Expect(text(ctx, `[data-testid="confirm-title"]`)).To(Equal("Disconnect " + storetest.Person(20502).Email + " from CRM?"))
		flash := adminAction(ctx, chromedp.Click(chromedp.CSS(`[data-testid="confirm-ok"]`)))
		Expect(flash).To(HavePrefix("Disconnected " + storetest.Person(20502).Email + " from CRM"))
		Expect(pageQuery(ctx)).To(Equal(here))
		Expect(present(ctx, row)).To(BeFalse())
		Expect(adminRows(ctx)[0]).To(Equal(page[0]), "the same page, less the row")

		By("Retry all, which the services confirm: the queue is empty and the title says so")
		flash = adminAction(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-retry-all"]`)))
		Expect(flash).To(Equal(fmt.Sprintf("Retried %d queued revocations: %d revoked, 0 still pending.", waiting, waiting)))
		Expect(pageQuery(ctx)).To(Equal(here))
		Expect(title(ctx)).To(Equal("Admin · Service Connector"))
		Expect(present(ctx, `[data-testid="admin-no-revocations"]`)).To(BeTrue())
	})

	It("asks on a page of its own without JavaScript, and comes back to the same place", func() {
		ctx := newChromium()
		emulate(ctx, desktop, false)
		signInAs(ctx, d, "carol@example.com", `[data-testid="service-connectors"]`)
		noScript(ctx)
		adminGo(ctx, chromedp.Navigate(d.portal+"/admin?q=person03&status=connected"))
		adminGo(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-page-next"]`)))
		here := pageQuery(ctx)
		Expect(here.Get("after")).NotTo(BeEmpty())
		target := adminRows(ctx)[1]
		step(ctx,
			chromedp.Evaluate[chromedp.Void](`document.body.dataset.stale = "1"`),
			chromedp.Click(chromedp.CSS(`[data-testid="admin-connection"]:nth-child(2) [data-testid="admin-disconnect"]`)),
			chromedp.WaitVisible(chromedp.CSS(`body:not([data-stale]) [data-testid="admin-confirm-disconnect"]`)),
		)
		Expect(text(ctx, `[data-testid="admin-confirm-disconnect"] h1`)).To(HavePrefix("Disconnect "))
		flash := adminAction(ctx, chromedp.Click(chromedp.CSS(`[data-testid="admin-confirm-submit"]`)))
		Expect(flash).To(HavePrefix("Disconnected "))
		Expect(pageQuery(ctx)).To(Equal(here))
		Expect(adminRows(ctx)).NotTo(ContainElement(target))
	})

	DescribeTable("fits a phone and a desktop, light and dark, and passes axe-core, at 100,000 connections",
		func(vp viewport) {
			ctx := newChromium()
			emulate(ctx, vp, false)
			signInAs(ctx, d, "carol@example.com", `[data-testid="service-connectors"]`)
			adminGo(ctx, chromedp.Navigate(d.portal+"/admin?after="+url.QueryEscape(storetest.Person(30000).Email+" crm")))
			Expect(adminRows(ctx)).To(HaveLen(50))
			checkPage(ctx, vp, "admin-100k")
		},
		Entry("390×844, a phone", phone),
		Entry("1440×900, a desktop", desktop),
	)
})
