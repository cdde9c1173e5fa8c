package registry_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/registry"
)

// poWithBase is the po entry with an api_base_url.
func poWithBase(base string) string {
	return strings.Replace(po, `"env_var_name"`, `"api_base_url":"`+base+`","env_var_name"`, 1)
}

var _ = Describe("The API base URL placeholder", func() {
	var skillsDir string

	BeforeEach(func() {
		skillsDir = GinkgoT().TempDir()
		writeFile(skillsDir, "sc_crm.md", "# CRM\n")
	})

	parse := func(entries ...string) (*registry.Registry, error) {
		return registry.Parse("reg.json", []byte(reg(entries...)), os.DirFS(skillsDir))
	}

	It("is filled in with the service's api_base_url, everywhere in the skill, as delivered", func() {
		skill := "# PO API\n\nBase URL: `@@API_BASE_URL@@`\n\n```sh\ncurl \"@@API_BASE_URL@@/api/whoami\"\n```\n"
		writeFile(skillsDir, "sc_po.md", skill)

		loaded, err := parse(poWithBase("https://po.example.com/v1"), crm)

		Expect(err).NotTo(HaveOccurred())
		svc, _ := loaded.Service("po")
		Expect(svc.APIBaseURL).To(Equal("https://po.example.com/v1"))
		delivered, ok := loaded.Skill("sc_po.md")
		Expect(ok).To(BeTrue())
		Expect(delivered).To(Equal("# PO API\n\nBase URL: `https://po.example.com/v1`\n\n```sh\ncurl \"https://po.example.com/v1/api/whoami\"\n```\n"))
		Expect(os.ReadFile(skillsDir+"/sc_po.md")).To(Equal([]byte(skill)), "the file itself is not changed")
	})

	It("is optional: a skill without it is delivered as written, with or without an api_base_url", func() {
		writeFile(skillsDir, "sc_po.md", "# PO\n\nGET https://po.example.com/api\n")
		for _, entry := range []string{po, poWithBase("https://po.example.com")} {
			loaded, err := parse(entry, crm)
			Expect(err).NotTo(HaveOccurred())
			delivered, _ := loaded.Skill("sc_po.md")
			Expect(delivered).To(Equal("# PO\n\nGET https://po.example.com/api\n"))
		}
	})

	DescribeTable("leaves text that only looks a little like it alone",
		func(text string) {
			writeFile(skillsDir, "sc_po.md", "# PO\n\n"+text+"\n")
			loaded, err := parse(po, crm)
			Expect(err).NotTo(HaveOccurred())
			delivered, _ := loaded.Skill("sc_po.md")
			Expect(delivered).To(Equal("# PO\n\n" + text + "\n"))
		},
		Entry("a diff hunk header", "@@ -1,2 +1,3 @@"),
		Entry("SQL system variables", "SELECT @@VERSION, @@ROWCOUNT;"),
		Entry("a Python decorator", "@app.get('/x')"),
		Entry("an email address", "ask po-team@example.com"),
		Entry("shell's $@ and arrays", `for a in "$@" "${xs[@]}"; do :; done`),
		Entry("template syntax a skill may show", "{{ api_base_url }} ${{ secrets.X }} {API_BASE_URL}"),
	)

	It("lets services share a skill file when they fill it alike", func() {
		writeFile(skillsDir, "sc_po.md", "# PO\n\n@@API_BASE_URL@@\n")
		twin := strings.NewReplacer(`"id":"po"`, `"id":"po2"`, "PO_KEY", "PO2_KEY").Replace(poWithBase("https://po.example.com"))
		loaded, err := parse(poWithBase("https://po.example.com"), twin)
		Expect(err).NotTo(HaveOccurred())
		delivered, _ := loaded.Skill("sc_po.md")
		Expect(delivered).To(Equal("# PO\n\nhttps://po.example.com\n"))
	})

	DescribeTable("is refused with a located problem, in either form of the registry",
		func(skill string, entries []string, want func(entries []string) []string) {
			writeFile(skillsDir, "sc_po.md", skill)
			object := reg(entries...)
			bare, _ := bareForm(object)
			for _, doc := range []string{object, bare} {
				_, err := registry.Parse("reg.json", []byte(doc), os.DirFS(skillsDir), registry.LintSkills("skills"))
				var verr *registry.ValidationError
				Expect(errors.As(err, &verr)).To(BeTrue(), "want a *ValidationError, got %v", err)
				Expect(strings.Split(err.Error(), "\n")).To(Equal(want(entries)), doc)
			}
		},
		Entry("for a service without an api_base_url, once however often it is used",
			goodSkill+"\n@@API_BASE_URL@@ and @@API_BASE_URL@@\n", []string{po},
			func([]string) []string {
				return []string{`skills/sc_po.md:22:1: uses @@API_BASE_URL@@, but services[0] ("po") has no api_base_url in the registry`}
			}),
		Entry("when it is not the one placeholder",
			goodSkill+"\nBase: @@API_URL@@, @@api_base_url@@\n", []string{poWithBase("https://po.example.com")},
			func([]string) []string {
				return []string{
					`skills/sc_po.md:22:7: unknown placeholder "@@API_URL@@"; the one placeholder is @@API_BASE_URL@@`,
					`skills/sc_po.md:22:20: unknown placeholder "@@api_base_url@@"; the one placeholder is @@API_BASE_URL@@`,
				}
			}),
		Entry("when two services share the skill but fill it differently",
			goodSkill+"\n@@API_BASE_URL@@\n",
			[]string{poWithBase("https://po.example.com"), strings.NewReplacer(`"id":"po"`, `"id":"po2"`, "PO_KEY", "PO2_KEY").Replace(poWithBase("https://po2.example.com"))},
			func(e []string) []string {
				// The second entry's lint also complains about the skill's PO_KEY; the fill problem
				// is the registry's own, so it comes first.
				return []string{
					fmt.Sprintf(`reg.json:3:%d: services[1].skill_file: "sc_po.md" is also the skill of services[0], whose api_base_url fills it differently; give each service its own skill file`, colOf(e[1], `"sc_po.md"`)),
					`skills/sc_po.md:15:19: uses env var "PO_KEY", but the registry's env_var_name for "po2" is "PO2_KEY"`,
					`skills/sc_po.md:19:50: uses env var "PO_KEY", but the registry's env_var_name for "po2" is "PO2_KEY"`,
				}
			}),
		Entry("when the filled skill would be larger than the delivery takes",
			goodSkill+strings.Repeat("@@API_BASE_URL@@", (delivery.MaxSkillSize-len(goodSkill))/len("@@API_BASE_URL@@")), []string{poWithBase("https://po.example.com/a/much/longer/path")},
			func(e []string) []string {
				return []string{fmt.Sprintf(`reg.json:2:%d: services[0].skill_file: "sc_po.md" is larger than 256 KiB once @@API_BASE_URL@@ is filled in`, colOf(e[0], `"sc_po.md"`))}
			}),
	)

	DescribeTable("refuses an api_base_url that cannot be pasted into a skill's code",
		func(base, problem string) {
			writeFile(skillsDir, "sc_po.md", "# PO\n")
			entry := poWithBase(base)
			_, err := parse(entry, crm)
			Expect(err).To(MatchError(fmt.Sprintf(`reg.json:2:%d: services[0].api_base_url: %s`, colOf(entry, `"`+base+`"`), problem)))
		},
		Entry("a trailing slash", "https://po.example.com/", `"https://po.example.com/" must not end with /: skills add paths such as /api/whoami to it`),
		Entry("a query", "https://po.example.com/api?v=1", `"https://po.example.com/api?v=1" may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code`),
		Entry("a $ that a shell would expand", "https://po.example.com/$(id)", `"https://po.example.com/$(id)" may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code`),
		Entry("a backtick", "https://po.example.com/`id`", "\"https://po.example.com/`id`\" may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code"),
		Entry("a quote", `https://po.example.com/x\"y`, `"https://po.example.com/x\"y" may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code`),
		Entry("braces a Python f-string would read", "https://po.example.com/{x}", `"https://po.example.com/{x}" may hold only letters, digits and . _ ~ : / - [ ] (no query): skills paste it into shell and Python code`),
		Entry("plain http to a host that is not loopback", "http://po.example.com", `"http://po.example.com" may use http only for a loopback host; use https`),
		Entry("user info, which is not echoed", "https://u:p@po.example.com", `must not contain user info; credentials belong in the service's shared secret`),
		Entry("an empty value", "", `must not be empty`),
		Entry("no scheme", "po.example.com", `"po.example.com" must be an absolute URL such as https://host/path`),
	)

	It("accepts http on loopback, an IPv6 host and a port", func() {
		writeFile(skillsDir, "sc_po.md", "# PO\n")
		for _, base := range []string{"http://127.0.0.1:8081/po", "http://[::1]:8081", "https://po.example.com:8443/api/v2"} {
			_, err := parse(poWithBase(base), crm)
			Expect(err).NotTo(HaveOccurred(), base)
		}
	})
})

// colOf is the 1-based character column of needle in entry.
func colOf(entry, needle string) int {
	GinkgoHelper()
	i := strings.Index(entry, needle)
	Expect(i).To(BeNumerically(">=", 0), "%q is not in %s", needle, entry)
	return 1 + utf8.RuneCountInString(entry[:i])
}
