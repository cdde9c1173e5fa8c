package registry_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/registry"
)

var _ = Describe("Registry", func() {
	var skillsDir string

	BeforeEach(func() {
		skillsDir = GinkgoT().TempDir()
		writeFile(skillsDir, "sc_po.md", "# Purchase orders\n")
		writeFile(skillsDir, "sc_crm.md", "# CRM\n")
		writeFile(skillsDir, "sc_empty.md", " \n")
		writeFile(skillsDir, "sc_latin1.md", "caf\xe9\n")
		writeFile(skillsDir, "sc_big.md", strings.Repeat("x", 256<<10+1))
		Expect(os.Mkdir(filepath.Join(skillsDir, "sc_dir.md"), 0o755)).To(Succeed())
	})

	parse := func(doc string) (*registry.Registry, error) {
		return registry.Parse("reg.json", []byte(doc), os.DirFS(skillsDir))
	}

	Describe("the example registry in deploy/", func() {
		var (
			loaded *registry.Registry
			err    error
		)

		BeforeEach(func() {
			for _, name := range []string{"sc_purchase_orders.md", "sc_invoicing.md", "sc_crm.md"} {
				writeFile(skillsDir, name, "# "+name+"\n")
			}
			loaded, err = registry.LoadFile(filepath.Join("..", "..", "deploy", "service_connectors.json"), skillsDir)
		})

		It("is valid", func() {
			Expect(err).NotTo(HaveOccurred())
		})

		It("holds the three demo services, enabled, in file order", func() {
			Expect(loaded.Services()).To(HaveExactElements(
				HaveField("ID", "purchase_orders"),
				HaveField("ID", "invoicing"),
				HaveField("ID", "crm"),
			))
			for _, svc := range loaded.Services() {
				Expect(svc.Enabled).To(BeTrue(), svc.ID)
				Expect(svc.TTLDays).To(Equal(365), svc.ID)
				Expect(svc.Description).NotTo(BeEmpty(), svc.ID)
				Expect(svc.TokenExchangeURL).To(Equal("http://127.0.0.1:8081/" + svc.ID + "/api/internal/token-exchange"))
				Expect(svc.TokenRevokeURL).To(Equal("http://127.0.0.1:8081/" + svc.ID + "/api/internal/token-revoke"))
				Expect(svc.HealthURL).To(Equal("http://127.0.0.1:8081/" + svc.ID + "/health"))
				Expect(svc.APIBaseURL).To(Equal("http://127.0.0.1:8081/" + svc.ID))
			}
		})

		It("names each service's key and skill", func() {
			want := map[string][2]string{
				"purchase_orders": {"PO_API_KEY", "sc_purchase_orders.md"},
				"invoicing":       {"INVOICING_API_KEY", "sc_invoicing.md"},
				"crm":             {"CRM_API_KEY", "sc_crm.md"},
			}
			for id, names := range want {
				svc, ok := loaded.Service(id)
				Expect(ok).To(BeTrue(), id)
				Expect([2]string{svc.EnvVarName, svc.SkillFile}).To(Equal(names), id)
				skill, ok := loaded.Skill(svc.SkillFile)
				Expect(ok).To(BeTrue(), id)
				Expect(skill).To(Equal("# " + svc.SkillFile + "\n"))
			}
			Expect(loaded.Services()).To(HaveExactElements(
				HaveField("Name", "Purchase Orders"),
				HaveField("Name", "Invoicing"),
				HaveField("Name", "CRM"),
			))
		})
	})

	Describe("a valid registry", func() {
		var loaded *registry.Registry

		BeforeEach(func() {
			var err error
			loaded, err = parse(reg(po, strings.Replace(crm, `"skill_file"`, `"enabled":false,"ttl_days":30,"health_url":"https://crm.test/health","skill_file"`, 1)))
			Expect(err).NotTo(HaveOccurred())
		})

		It("enables a service that does not say otherwise", func() {
			svc, ok := loaded.Service("po")
			Expect(ok).To(BeTrue())
			Expect(svc.Enabled).To(BeTrue())
		})

		It("leaves the TTL to the portal when the entry has none", func() {
			svc, _ := loaded.Service("po")
			Expect(svc.TTLDays).To(BeZero())
			Expect(svc.HealthURL).To(BeEmpty())
		})

		It("keeps what an entry says", func() {
			svc, ok := loaded.Service("crm")
			Expect(ok).To(BeTrue())
			Expect(svc.Enabled).To(BeFalse())
			Expect(svc.TTLDays).To(Equal(30))
			Expect(svc.HealthURL).To(Equal("https://crm.test/health"))
		})

		It("does not find a service it does not list", func() {
			_, ok := loaded.Service("invoicing")
			Expect(ok).To(BeFalse())
		})

		It("holds the skill files as they were when it was parsed", func() {
			writeFile(skillsDir, "sc_po.md", "changed later\n")
			skill, ok := loaded.Skill("sc_po.md")
			Expect(ok).To(BeTrue())
			Expect(skill).To(Equal("# Purchase orders\n"))
			_, ok = loaded.Skill("sc_empty.md")
			Expect(ok).To(BeFalse(), "a skill file no service names")
		})

		It("hands out copies, so a caller cannot change it", func() {
			list := loaded.Services()
			list[0].Enabled = false
			list[0].TokenExchangeURL = "https://evil.test/x"
			Expect(loaded.Services()[0].Enabled).To(BeTrue())
			Expect(loaded.Services()[0].TokenExchangeURL).To(Equal("https://po.test/x"))
			svc, _ := loaded.Service("po")
			Expect(svc.TokenExchangeURL).To(Equal("https://po.test/x"))
		})
	})

	DescribeTable("accepts service URLs that are https, or http on loopback",
		func(url string) {
			_, err := parse(reg(strings.Replace(po, "https://po.test/x", url, 1)))
			Expect(err).NotTo(HaveOccurred())
		},
		Entry("https with a port and query", "https://po.test:8443/x?v=1"),
		Entry("http on localhost", "http://localhost:8081/x"),
		Entry("http on 127.0.0.1", "http://127.0.0.1:8081/x"),
		Entry("http elsewhere in 127.0.0.0/8", "http://127.1.2.3/x"),
		Entry("http on ::1", "http://[::1]:8081/x"),
		Entry("an upper-case scheme", "HTTPS://po.test/x"),
	)

	// expectProblems parses doc and expects exactly the problem lines want.
	expectProblems := func(doc string, want []string) {
		GinkgoHelper()
		_, err := parse(doc)
		var verr *registry.ValidationError
		Expect(errors.As(err, &verr)).To(BeTrue(), "want a *ValidationError, got %v", err)
		Expect(verr.File).To(Equal("reg.json"))
		Expect(strings.Split(err.Error(), "\n")).To(Equal(want))
	}

	DescribeTable("rejects a broken registry with every problem, located, in the object and the bare list form alike",
		func(doc string, want ...string) {
			expectProblems(doc, want)
			// The same entries as a bare list sit on the same lines and columns, so every
			// problem of theirs must read exactly the same.
			if bare, ok := bareForm(doc); ok {
				By("the same entries as a bare list")
				expectProblems(bare, want)
			}
		},
		Entry("a JSON syntax error", `{"services": [}`,
			`reg.json:1:15: syntax error: invalid character '}' looking for beginning of value`),
		Entry("a truncated file", "{\"services\": [\n"+po+",\n",
			`reg.json:2:171: syntax error: unexpected end of file`),
		Entry("an empty file", "\n",
			`reg.json:1:1: syntax error: the file is empty; expected a JSON list or object`),
		Entry("data after the object", `{"services": []} []`,
			`reg.json:1:18: syntax error: unexpected data after the top-level value`),
		// Windows Notepad saves one; encoding/json would call it "invalid character 'ï'".
		Entry("a byte-order mark", "\xef\xbb\xbf{\"services\": []}",
			`reg.json:1:1: syntax error: the file starts with a byte-order mark; save it as UTF-8 without one`),
		Entry("bytes that are not UTF-8", "{\"services\": [],\n\"x\xff\": 1}",
			`reg.json:2:3: syntax error: the file is not valid UTF-8`),
		Entry("a document that is neither a list nor an object", `"po"`,
			`reg.json:1:1: top level: must be a list of services [...] or an object such as {"services": [...]}, not a string`),
		Entry("a document that is a number", `42`,
			`reg.json:1:1: top level: must be a list of services [...] or an object such as {"services": [...]}, not a number`),
		Entry("a bare list holding a string", `["po"]`,
			`reg.json:1:2: services[0]: must be an object, not a string`),
		Entry("a bare list with data after it", `[] {}`,
			`reg.json:1:4: syntax error: unexpected data after the top-level value`),
		Entry("a bare list cut short", "[\n"+po+",\n",
			`reg.json:2:171: syntax error: unexpected end of file`),
		Entry("a bare list holding a list", "[\n[]\n]",
			`reg.json:2:1: services[0]: must be an object, not an array`),
		Entry("no services field", `{}`,
			`reg.json:1:1: services: required field is missing`),
		Entry("services that are not a list", `{"services": {"po": {}}}`,
			`reg.json:1:14: services: must be an array, not an object`),
		Entry("an unknown top-level field", `{"services": [], "version": 2}`,
			`reg.json:1:18: top level: unknown field "version"`),
		Entry("an entry that is not an object", reg(po, `"crm"`),
			`reg.json:3:1: services[1]: must be an object, not a string`),
		Entry("an unknown entry field",
			reg(`{"id":"po","colour":"red","name":"PO","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`),
			`reg.json:2:12: services[0]: unknown field "colour"`),
		Entry("a field given twice",
			reg(`{"id":"po","name":"PO","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md","id":"crm"}`),
			`reg.json:2:170: services[0]: duplicate field "id"`),
		Entry("a missing id", reg(po, `{"name":"CRM","description":"d","token_exchange_url":"https://crm.test/x","token_revoke_url":"https://crm.test/r","env_var_name":"CRM_KEY","skill_file":"sc_crm.md"}`),
			`reg.json:3:1: services[1].id: required field is missing`),
		Entry("a missing name", reg(`{"id":"po","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`),
			`reg.json:2:1: services[0].name: required field is missing`),
		Entry("a missing description", reg(`{"id":"po","name":"PO","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`),
			`reg.json:2:1: services[0].description: required field is missing`),
		Entry("a missing token exchange URL", reg(`{"id":"po","name":"PO","description":"d","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`),
			`reg.json:2:1: services[0].token_exchange_url: required field is missing`),
		Entry("a missing token revoke URL", reg(`{"id":"po","name":"PO","description":"d","token_exchange_url":"https://po.test/x","env_var_name":"PO_KEY","skill_file":"sc_po.md"}`),
			`reg.json:2:1: services[0].token_revoke_url: required field is missing`),
		Entry("a missing env var name", reg(`{"id":"po","name":"PO","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","skill_file":"sc_po.md"}`),
			`reg.json:2:1: services[0].env_var_name: required field is missing`),
		Entry("a missing skill file", reg(`{"id":"po","name":"PO","description":"d","token_exchange_url":"https://po.test/x","token_revoke_url":"https://po.test/r","env_var_name":"PO_KEY"}`),
			`reg.json:2:1: services[0].skill_file: required field is missing`),
		Entry("an empty entry", reg(`{}`),
			`reg.json:2:1: services[0].id: required field is missing`,
			`reg.json:2:1: services[0].name: required field is missing`,
			`reg.json:2:1: services[0].description: required field is missing`,
			`reg.json:2:1: services[0].token_exchange_url: required field is missing`,
			`reg.json:2:1: services[0].token_revoke_url: required field is missing`,
			`reg.json:2:1: services[0].env_var_name: required field is missing`,
			`reg.json:2:1: services[0].skill_file: required field is missing`),
		Entry("a malformed id", reg(strings.Replace(po, `"id":"po"`, `"id":"Purchase-Orders"`, 1)),
			`reg.json:2:7: services[0].id: "Purchase-Orders" must match ^[a-z][a-z0-9_]*$`),
		Entry("an id used twice", reg(po, strings.Replace(crm, `"id":"crm"`, `"id":"po"`, 1)),
			`reg.json:3:7: services[1].id: "po" is already used by services[0]`),
		Entry("a name of the wrong type", reg(strings.Replace(po, `"name":"PO"`, `"name":42`, 1)),
			`reg.json:2:19: services[0].name: must be a string, not a number`),
		Entry("a blank name", reg(strings.Replace(po, `"name":"PO"`, `"name":"  "`, 1)),
			`reg.json:2:19: services[0].name: must not be blank`),
		Entry("a malformed env var name", reg(po, strings.Replace(crm, `"CRM_KEY"`, `"crm_key"`, 1)),
			`reg.json:3:141: services[1].env_var_name: "crm_key" must match ^[A-Z][A-Z0-9_]*$`),
		Entry("an env var name used twice", reg(po, strings.Replace(crm, `"CRM_KEY"`, `"PO_KEY"`, 1)),
			`reg.json:3:141: services[1].env_var_name: "PO_KEY" is already used by services[0]`),
		Entry("a skill file name outside sc_*.md", reg(strings.Replace(po, `"sc_po.md"`, `"../po.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "../po.md" must match ^sc_[a-z0-9_]+\.md$`),
		Entry("a skill file that does not exist", reg(strings.Replace(po, `"sc_po.md"`, `"sc_nope.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "sc_nope.md" is not in the skills directory`),
		Entry("a skill file that is a directory", reg(strings.Replace(po, `"sc_po.md"`, `"sc_dir.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "sc_dir.md" is a directory, not a file`),
		Entry("a skill file that is empty", reg(strings.Replace(po, `"sc_po.md"`, `"sc_empty.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "sc_empty.md" is empty`),
		Entry("a skill file over 256 KiB", reg(strings.Replace(po, `"sc_po.md"`, `"sc_big.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "sc_big.md" is larger than 256 KiB`),
		Entry("a skill file that is not UTF-8", reg(strings.Replace(po, `"sc_po.md"`, `"sc_latin1.md"`, 1)),
			`reg.json:2:159: services[0].skill_file: "sc_latin1.md" is not valid UTF-8 (line 1, column 4)`),
		Entry("plain http to a host that is not loopback", reg(strings.Replace(po, "https://po.test/x", "http://po.test/x", 1)),
			`reg.json:2:63: services[0].token_exchange_url: "http://po.test/x" may use http only for a loopback host; use https`),
		Entry("plain http to a name that merely starts like loopback", reg(strings.Replace(po, "https://po.test/r", "http://127.0.0.1.po.test/r", 1)),
			`reg.json:2:102: services[0].token_revoke_url: "http://127.0.0.1.po.test/r" may use http only for a loopback host; use https`),
		Entry("an ftp URL", reg(strings.Replace(po, "https://po.test/x", "ftp://po.test/x", 1)),
			`reg.json:2:63: services[0].token_exchange_url: "ftp://po.test/x" must use https`),
		Entry("a relative URL", reg(strings.Replace(po, "https://po.test/x", "/api/internal/token-exchange", 1)),
			`reg.json:2:63: services[0].token_exchange_url: "/api/internal/token-exchange" must be an absolute URL such as https://host/path`),
		Entry("a URL without a host", reg(strings.Replace(po, "https://po.test/x", "https:///x", 1)),
			`reg.json:2:63: services[0].token_exchange_url: "https:///x" must name a host`),
		Entry("a URL with user info, which is not echoed", reg(strings.Replace(po, "https://po.test/x", "https://admin:hunter2@po.test/x", 1)),
			`reg.json:2:63: services[0].token_exchange_url: must not contain user info; credentials belong in the service's shared secret`),
		Entry("a URL with a fragment", reg(strings.Replace(po, "https://po.test/r", "https://po.test/r#top", 1)),
			`reg.json:2:102: services[0].token_revoke_url: "https://po.test/r#top" must not contain a fragment`),
		Entry("an empty health URL", reg(strings.Replace(po, `"skill_file"`, `"health_url":"","skill_file"`, 1)),
			`reg.json:2:159: services[0].health_url: must not be empty`),
		Entry("a TTL of 0 days", reg(strings.Replace(po, `"skill_file"`, `"ttl_days":0,"skill_file"`, 1)),
			`reg.json:2:157: services[0].ttl_days: must be a whole number of days from 1 to 3650, not 0`),
		Entry("a negative TTL", reg(strings.Replace(po, `"skill_file"`, `"ttl_days":-1,"skill_file"`, 1)),
			`reg.json:2:157: services[0].ttl_days: must be a whole number of days from 1 to 3650, not -1`),
		Entry("a TTL over ten years", reg(strings.Replace(po, `"skill_file"`, `"ttl_days":5000,"skill_file"`, 1)),
			`reg.json:2:157: services[0].ttl_days: must be a whole number of days from 1 to 3650, not 5000`),
		Entry("a fractional TTL", reg(strings.Replace(po, `"skill_file"`, `"ttl_days":1.5,"skill_file"`, 1)),
			`reg.json:2:157: services[0].ttl_days: must be a whole number of days from 1 to 3650, not 1.5`),
		Entry("a TTL given as a string", reg(strings.Replace(po, `"skill_file"`, `"ttl_days":"x","skill_file"`, 1)),
			`reg.json:2:157: services[0].ttl_days: must be a whole number of days from 1 to 3650, not a string`),
		Entry(`enabled given as "yes"`, reg(strings.Replace(po, `"skill_file"`, `"enabled":"yes","skill_file"`, 1)),
			`reg.json:2:156: services[0].enabled: must be true or false, not a string`),
		Entry("a problem after non-ASCII text, counted in characters", reg(strings.Replace(po, `"description":"d"`, `"description":"Bestellungen für Einkäufer","id":"x"`, 1)),
			`reg.json:2:67: services[0]: duplicate field "id"`),
		Entry("several problems at once, in file order",
			"{\"services\": [\n"+
				"  {\"id\":\"PO\",\"name\":\"PO\",\"description\":\"d\",\"token_exchange_url\":\"http://po.test/x\",\"token_revoke_url\":\"https://po.test/r\",\"env_var_name\":\"PO_KEY\",\"skill_file\":\"sc_po.md\"},\n"+
				"  "+strings.Replace(crm, `"CRM_KEY"`, `"PO_KEY"`, 1)+",\n"+
				"  {\"id\":\"crm\",\"enabled\":\"yes\"}\n"+
				"], \"owner\": \"platform\"}\n",
			`reg.json:2:9: services[0].id: "PO" must match ^[a-z][a-z0-9_]*$`,
			`reg.json:2:65: services[0].token_exchange_url: "http://po.test/x" may use http only for a loopback host; use https`,
			`reg.json:3:143: services[1].env_var_name: "PO_KEY" is already used by services[0]`,
			`reg.json:4:3: services[2].name: required field is missing`,
			`reg.json:4:3: services[2].description: required field is missing`,
			`reg.json:4:3: services[2].token_exchange_url: required field is missing`,
			`reg.json:4:3: services[2].token_revoke_url: required field is missing`,
			`reg.json:4:3: services[2].env_var_name: required field is missing`,
			`reg.json:4:3: services[2].skill_file: required field is missing`,
			`reg.json:4:9: services[2].id: "crm" is already used by services[1]`,
			`reg.json:4:25: services[2].enabled: must be true or false, not a string`,
			`reg.json:5:4: top level: unknown field "owner"`),
	)

	Describe("the bare list form", func() {
		It("holds the same services as the object form, in file order", func() {
			fromObject, err := parse(reg(po, crm))
			Expect(err).NotTo(HaveOccurred())
			bare, _ := bareForm(reg(po, crm))
			fromList, err := parse(bare)
			Expect(err).NotTo(HaveOccurred())
			Expect(fromList.Services()).To(Equal(fromObject.Services()))
			Expect(fromList.Services()).To(HaveExactElements(HaveField("ID", "po"), HaveField("ID", "crm")))
			skill, ok := fromList.Skill("sc_po.md")
			Expect(ok).To(BeTrue())
			Expect(skill).To(Equal("# Purchase orders\n"))
		})

		It("accepts the platform's example as written, and an empty list", func() {
			writeFile(skillsDir, "sc_purchase_orders.md", "# PO\n")
			loaded, err := parse(`[
  {"id": "purchase_orders", "name": "Purchase Order System", "description": "...",
   "token_exchange_url": "https://po.internal.example.com/api/internal/token-exchange",
   "token_revoke_url": "https://po.internal.example.com/api/internal/token-revoke",
   "env_var_name": "PO_API_KEY", "skill_file": "sc_purchase_orders.md", "enabled": true}
]`)
			Expect(err).NotTo(HaveOccurred())
			Expect(loaded.Services()).To(HaveExactElements(HaveField("Name", "Purchase Order System")))

			empty, err := parse("[]\n")
			Expect(err).NotTo(HaveOccurred())
			Expect(empty.Services()).To(BeEmpty())
		})
	})

	Describe("LoadFile", func() {
		It("names the file in every problem", func() {
			path := writeFile(GinkgoT().TempDir(), "service_connectors.json", `{"services": 1}`)
			_, err := registry.LoadFile(path, skillsDir)
			Expect(err).To(MatchError(path + ":1:14: services: must be an array, not a number"))
		})

		It("reports a file it cannot read as an error, not as problems", func() {
			_, err := registry.LoadFile(filepath.Join(skillsDir, "missing.json"), skillsDir)
			Expect(err).To(MatchError(os.ErrNotExist))
			var verr *registry.ValidationError
			Expect(errors.As(err, &verr)).To(BeFalse())
		})
	})
})
