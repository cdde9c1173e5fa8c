package app_test

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Offboarding an email whose account is another person's", func() {
	var (
		d     *demo
		alice *browser
		env   map[string]string
		// before is alice's state before the attempt: her files and her keys.
		beforeEnv, beforeSkill string
		poKey, crmKey          string
	)

	const refusal = `The server account "alice" holds the keys of another person, alice@example.com: offboarding alice@other.example there would clear that person's files, so nothing was changed.`

	BeforeEach(func() {
		d = startDemo(map[string]string{"SC_ADMIN_EMAILS": "carol@example.com"})
		env = map[string]string{"SC_DATA_DIR": d.dataDir}
		alice = d.newBrowser()
		alice.signIn("alice@example.com")
		for _, id := range []string{"purchase_orders", "crm"} {
			Expect(alice.api("connect", id).status).To(Equal(http.StatusOK))
		}
		beforeEnv, _, _ = d.home("alice", ".service_env")
		beforeSkill, _, _ = d.home("alice", ".claude_rules/sc_crm.md")
		poKey, crmKey = d.envKey("alice", "PO_API_KEY"), d.envKey("alice", "CRM_API_KEY")
		Expect(poKey).NotTo(BeEmpty())
		Expect(crmKey).NotTo(BeEmpty())
	})

	// aliceUntouched checks that alice's files, connections and keys are as they were.
	aliceUntouched := func() {
		GinkgoHelper()
		content, _, _ := d.home("alice", ".service_env")
		Expect(content).To(Equal(beforeEnv))
		skill, _, _ := d.home("alice", ".claude_rules/sc_crm.md")
		Expect(skill).To(Equal(beforeSkill))
		Expect(d.recorded("alice@example.com")).To(HaveLen(2))
		Expect(d.whoami("purchase_orders", poKey)).To(Equal(http.StatusOK))
		Expect(d.whoami("crm", crmKey)).To(Equal(http.StatusOK))
		Expect(d.recorded("alice@other.example")).To(BeEmpty())
	}

	It("is refused by the offboard command, which changes nothing", func() {
		code, stdout, stderr := run(env, "offboard", "--demo", "alice@other.example")

		Expect(code).To(Equal(1))
		Expect(stdout).To(BeEmpty())
		Expect(stderr).To(ContainSubstring("service-connector offboard: " + refusal + "\n"))
		aliceUntouched()
	})

	// Lower-cased the Unicode way, the dotted capital I makes this alice@example.com.
	It("refuses a look-alike of alice's address outside ASCII, on the command and the admin page", func() {
		lookAlike := "AL\u0130CE@example.com"
		code, _, stderr := run(env, "offboard", "--demo", lookAlike)
		Expect(code).NotTo(Equal(0))
		Expect(stderr).To(ContainSubstring("is not a valid email address"))
		aliceUntouched()

		admin := d.newBrowser()
		admin.signIn("carol@example.com")
		a := admin.do(http.MethodPost, "/admin/offboard", "application/x-www-form-urlencoded",
			url.Values{"email": {lookAlike}, "confirm": {"yes"}}.Encode())
		Expect(a.status).To(Equal(http.StatusBadRequest))
		aliceUntouched()
	})

	When("an admin uses the admin page", func() {
		var admin *browser

		BeforeEach(func() {
			admin = d.newBrowser()
			admin.signIn("carol@example.com")
		})

		It("shows why before any confirmation, and offers none", func() {
			a := admin.do(http.MethodGet, "/admin/offboard?email="+url.QueryEscape("alice@other.example"), "", "")

			Expect(a.status).To(Equal(http.StatusConflict))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
			Expect(err).NotTo(HaveOccurred())
			Expect(doc.Find(`[data-testid="offboard-refusal"]`).Text()).To(Equal(refusal))
			Expect(doc.Find(`input[name="confirm"]`).Length()).To(BeZero())
			aliceUntouched()
		})

		It("refuses the confirmed offboarding too, and changes nothing", func() {
			a := admin.do(http.MethodPost, "/admin/offboard", "application/x-www-form-urlencoded",
				url.Values{"email": {"alice@other.example"}, "confirm": {"yes"}}.Encode())

			Expect(a.status).To(Equal(http.StatusSeeOther))
			page := admin.do(http.MethodGet, "/admin", "", "")
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(page.body))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.TrimSpace(doc.Find(`[data-testid="flash"]`).Text())).To(Equal("Could not offboard alice@other.example: " + refusal))
			aliceUntouched()
		})

		It("shows alice herself, her account, each key and what becomes of it before the confirmation", func() {
			a := admin.do(http.MethodGet, "/admin/offboard?email="+url.QueryEscape("Alice@Example.com"), "", "")

			Expect(a.status).To(Equal(http.StatusOK))
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
			Expect(err).NotTo(HaveOccurred())
			Expect(doc.Find(`[data-testid="offboard-person"]`).Text()).To(Equal("alice@example.com"))
			Expect(doc.Find(`[data-testid="offboard-account"]`).Text()).To(Equal("alice"))
			Expect(doc.Find(`[data-testid="offboard-key"]`).Length()).To(Equal(2))
			for _, id := range []string{"purchase_orders", "crm"} {
				fate := doc.Find(`[data-testid="offboard-key"][data-service="` + id + `"] [data-testid="offboard-key-fate"]`).Text()
				Expect(fate).To(HavePrefix("Revoked at "))
			}
			Expect(doc.Find(`[data-testid="offboard-review"] form input[name="confirm"][required]`).Length()).To(Equal(1))
			Expect(a.body).NotTo(ContainSubstring(poKey))
			Expect(a.body).NotTo(ContainSubstring(crmKey))
			aliceUntouched()
		})
	})
})
