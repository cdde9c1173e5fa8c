package registry_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/registry"
)

// goodSkill lints clean for the po entry (env var PO_KEY); broken skills are variations of it.
const goodSkill = "# Purchase Orders API\n" + // 1
	"\n" +
	"## Authentication\n" + // 3
	"\n" +
	"The key is in .env as PO_KEY. Run Python as `sc-run -- python3 SCRIPT.py`.\n" + // 5
	"\n" +
	"## Endpoints\n" + // 7
	"\n" +
	"GET /api/orders\n" + // 9
	"\n" +
	"## Examples\n" + // 11
	"\n" +
	"```python\n" + // 13
	"import os\n" +
	"key = os.environ[\"PO_KEY\"]\n" + // 15
	"```\n" +
	"\n" +
	"```sh\n" + // 18
	"sc-run -- sh -c 'curl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api/orders'\n" + // 19
	"```\n"

var _ = Describe("Skill lint", func() {
	var skillsDir string

	BeforeEach(func() {
		skillsDir = GinkgoT().TempDir()
	})

	lint := func(skill string) error {
		GinkgoHelper()
		writeFile(skillsDir, "sc_po.md", skill)
		_, err := registry.Parse("reg.json", []byte(reg(po)), os.DirFS(skillsDir), registry.LintSkills("skills"))
		return err
	}

	It("accepts a skill that uses the registry's env var and has every section", func() {
		Expect(lint(goodSkill)).To(Succeed())
	})

	It("is off unless asked for, so Parse alone only checks the registry", func() {
		writeFile(skillsDir, "sc_po.md", "no headings, and PO_API_KEY\n")
		_, err := registry.Parse("reg.json", []byte(reg(po)), os.DirFS(skillsDir))
		Expect(err).NotTo(HaveOccurred())
	})

	It("names the skill file by the skills directory the caller gave", func() {
		writeFile(skillsDir, "sc_po.md", strings.Replace(goodSkill, "## Examples", "## Usage", 1))
		_, err := registry.Parse("reg.json", []byte(reg(po)), os.DirFS(skillsDir), registry.LintSkills("/etc/sc/skills"))
		Expect(err).To(MatchError(`/etc/sc/skills/sc_po.md:1:1: missing the section "## Examples"`))
	})

	DescribeTable("rejects a broken skill with every problem, located in the skill file",
		func(skill string, want ...string) {
			Expect(lint(skill)).To(MatchError(strings.Join(want, "\n")))
		},
		Entry("another service's key variable in prose",
			strings.Replace(goodSkill, "in .env as PO_KEY", "in .env as PO_API_KEY", 1),
			`skills/sc_po.md:5:23: uses env var "PO_API_KEY", but the registry's env_var_name for "po" is "PO_KEY"`),
		Entry("a wrong name read with os.environ",
			strings.Replace(goodSkill, `os.environ["PO_KEY"]`, `os.environ["PURCHASE_KEY"]`, 1),
			`skills/sc_po.md:15:19: uses env var "PURCHASE_KEY", but the registry's env_var_name for "po" is "PO_KEY"`),
		Entry("a wrong name read with os.getenv",
			strings.Replace(goodSkill, `os.environ["PO_KEY"]`, `os.getenv('PO_TOKEN')`, 1),
			`skills/sc_po.md:15:18: uses env var "PO_TOKEN", but the registry's env_var_name for "po" is "PO_KEY"`),
		Entry("a wrong $VAR in a shell example",
			strings.Replace(goodSkill, "$PO_KEY", "${PO_SECRET}", 1),
			`skills/sc_po.md:19:51: uses env var "PO_SECRET", but the registry's env_var_name for "po" is "PO_KEY"`),
		Entry("a *_API_KEY name read with os.environ, reported once",
			strings.Replace(goodSkill, `os.environ["PO_KEY"]`, `os.environ["CRM_API_KEY"]`, 1),
			`skills/sc_po.md:15:19: uses env var "CRM_API_KEY", but the registry's env_var_name for "po" is "PO_KEY"`),
		Entry("a live key pasted into code, not echoed",
			strings.Replace(goodSkill, `os.environ["PO_KEY"]`, `"po_live_AbC123xyz789"`, 1),
			`skills/sc_po.md:15:8: contains a key-like literal; load the key from the environment as PO_KEY instead`),
		Entry("a long token after Bearer, not echoed",
			strings.Replace(goodSkill, "$PO_KEY", "eyJhbGciOiJIUzI1NiJ9abcdefghijklmnop", 1),
			`skills/sc_po.md:19:49: contains a key-like literal after "Bearer "; use the PO_KEY variable instead`),
		Entry("no title",
			strings.Replace(goodSkill, "# Purchase Orders API\n", "Purchase Orders API\n", 1),
			`skills/sc_po.md:1:1: missing a title: the first heading must be "# <service> API"`),
		Entry("no Authentication section",
			strings.Replace(goodSkill, "## Authentication", "## Keys", 1),
			`skills/sc_po.md:1:1: missing the section "## Authentication"`),
		Entry("no Endpoints section",
			strings.Replace(goodSkill, "## Endpoints", "## Routes", 1),
			`skills/sc_po.md:1:1: missing the section "## Endpoints"`),
		Entry("no Examples section",
			strings.Replace(goodSkill, "## Examples", "Examples:", 1),
			`skills/sc_po.md:1:1: missing the section "## Examples"`),
		Entry("a section heading only inside a code block",
			strings.Replace(strings.Replace(goodSkill, "## Examples\n", "", 1), "import os\n", "## Examples\nimport os\n", 1),
			`skills/sc_po.md:1:1: missing the section "## Examples"`),
		Entry("a hard-coded 127.0.0.1 address",
			strings.Replace(goodSkill, "https://po.test/api/orders", "http://127.0.0.1:8081/api/orders", 1),
			`skills/sc_po.md:19:65: hard-codes the loopback address "127.0.0.1:8081"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("a hard-coded localhost URL in Python",
			strings.Replace(goodSkill, "import os\n", "import os\nBASE = 'http://localhost:3000'\n", 1),
			`skills/sc_po.md:15:16: hard-codes the loopback address "localhost:3000"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("localhost without a scheme, in prose",
			strings.Replace(goodSkill, "GET /api/orders\n", "GET localhost:8080/api/orders\n", 1),
			`skills/sc_po.md:9:5: hard-codes the loopback address "localhost:8080"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("an IPv6 loopback address",
			strings.Replace(goodSkill, "https://po.test/api/orders", "http://[::1]:8081/api/orders", 1),
			`skills/sc_po.md:19:65: hard-codes the loopback address "[::1]:8081"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("another address in 127.0.0.0/8, without a port",
			strings.Replace(goodSkill, "https://po.test/api/orders", "http://127.1.2.3/api/orders", 1),
			`skills/sc_po.md:19:65: hard-codes the loopback address "127.1.2.3"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("the any address",
			strings.Replace(goodSkill, "https://po.test/api/orders", "http://0.0.0.0:80/api/orders", 1),
			`skills/sc_po.md:19:65: hard-codes the loopback address "0.0.0.0:80"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`),
		Entry("several problems at once, registry and skill, in order",
			strings.Replace(strings.Replace(goodSkill, "## Endpoints", "## Routes", 1), "$PO_KEY", "$HOME", 1),
			`skills/sc_po.md:1:1: missing the section "## Endpoints"`,
			`skills/sc_po.md:19:50: uses env var "HOME", but the registry's env_var_name for "po" is "PO_KEY"`),
	)

	// withExample is goodSkill with its shell example (lines 18-20) replaced by a block of lang
	// holding code, which starts on line 19.
	withExample := func(lang, code string) string {
		example := "```sh\nsc-run -- sh -c 'curl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api/orders'\n```\n"
		Expect(goodSkill).To(HaveSuffix(example))
		return strings.TrimSuffix(goodSkill, example) + "```" + lang + "\n" + code + "```\n"
	}
	const outsideSCRun = `$PO_KEY is expanded outside sc-run, where there is no key and nothing is masked; write the command as sc-run -- sh -c '...' with $PO_KEY inside the single quotes`

	DescribeTable("accepts a shell example that leaves the key to the shell sc-run starts",
		func(lang, code string) {
			Expect(lint(withExample(lang, code))).To(Succeed())
		},
		Entry("in single quotes spread over lines", "sh",
			"sc-run -- sh -c 'curl -fsS -H \"Authorization: Bearer $PO_KEY\" \\\n  \"https://po.test/api/orders?status=open&per_page=5\"'\n"),
		Entry("in a bash block, with ${PO_KEY}", "bash", "sc-run -- bash -c 'curl -H \"Authorization: Bearer ${PO_KEY}\" https://po.test/api'\n"),
		Entry("after a pipe, in a command of its own", "sh", "sc-run -- sh -c 'curl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api' | head -5\n"),
		Entry("with sc-run named by its path, after an assignment", "sh", "LC_ALL=C ~/.local/bin/sc-run -- sh -c 'echo \"$PO_KEY\"'\n"),
		Entry("in a here-document with a quoted delimiter", "sh",
			"sc-run -- sh <<'EOF'\ncurl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\nEOF\n"),
		Entry("in a here-document with <<- and a quoted delimiter", "sh",
			"sc-run -- sh <<-\"EOF\"\n\tcurl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\n\tEOF\n"),
		Entry("named with an escaped $, or in a comment", "sh", "echo \"sc-run gives \\$PO_KEY\" # $PO_KEY: never here\n"),
		Entry("in a block that is not shell", "text", "curl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\n"),
	)

	DescribeTable("refuses a shell example whose own shell expands the key, at the $",
		func(lang, code string, want ...string) {
			Expect(lint(withExample(lang, code))).To(MatchError(strings.Join(want, "\n")))
		},
		Entry("the .env loaded into the agent's shell", "sh",
			"set -a; . ./.env; set +a\ncurl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\n",
			"skills/sc_po.md:20:32: "+outsideSCRun),
		Entry("sc-run with the key in double quotes, which the agent's shell expands to nothing", "sh",
			"sc-run -- curl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\n",
			"skills/sc_po.md:19:42: "+outsideSCRun),
		Entry("single quotes, but no sc-run", "bash",
			"bash -c 'curl -H \"Authorization: Bearer ${PO_KEY}\" https://po.test/api'\n",
			"skills/sc_po.md:19:41: "+outsideSCRun),
		Entry("the single quotes closed around the key", "sh",
			"sc-run -- sh -c 'curl -H \"Authorization: Bearer '\"$PO_KEY\"'\" https://po.test/api'\n",
			"skills/sc_po.md:19:51: "+outsideSCRun),
		Entry("a second command on the line, not run by sc-run", "sh",
			"sc-run -- true; sh -c 'echo $PO_KEY'\n",
			"skills/sc_po.md:19:29: "+outsideSCRun),
		Entry("a line after the sc-run command", "shell",
			"sc-run -- sh -c 'true'\necho '$PO_KEY'\n",
			"skills/sc_po.md:20:7: "+outsideSCRun),
		Entry("a line after a here-string, which is no here-document", "bash",
			"sc-run -- sh -c 'cat' <<< 'x'\necho '$PO_KEY'\n",
			"skills/sc_po.md:20:7: "+outsideSCRun),
		Entry("a here-document the agent's shell expands", "sh",
			"sc-run -- sh <<EOF\ncurl -H \"Authorization: Bearer $PO_KEY\" https://po.test/api\nEOF\necho done\n",
			"skills/sc_po.md:20:32: "+outsideSCRun),
		Entry("every place, in order", "zsh",
			"echo $PO_KEY; sc-run -- sh -c 'echo $PO_KEY' \"$PO_KEY\"\n",
			"skills/sc_po.md:19:6: "+outsideSCRun, "skills/sc_po.md:19:47: "+outsideSCRun),
	)

	It("refuses Python examples that read the key when the skill never says to run them through sc-run", func() {
		skill := strings.Replace(goodSkill, " Run Python as `sc-run -- python3 SCRIPT.py`.", "", 1)
		Expect(lint(skill)).To(MatchError(`skills/sc_po.md:15:19: reads PO_KEY in Python, but the skill never says to run its Python through sc-run; tell the agent to run it with sc-run -- python3 SCRIPT.py`))
		Expect(lint(strings.Replace(skill, "```python", "```text", 1))).To(Succeed(), "only Python examples are run")
	})

	It("lets prose mention localhost, as long as it is not an address", func() {
		Expect(lint(strings.Replace(goodSkill, "GET /api/orders\n", "GET /api/orders (never call localhost: it is your laptop)\n", 1))).To(Succeed())
	})

	It("reports skill problems after the registry's own", func() {
		writeFile(skillsDir, "sc_po.md", strings.Replace(goodSkill, "## Endpoints", "## Routes", 1))
		doc := reg(strings.Replace(po, `"name":"PO"`, `"name":" "`, 1))
		_, err := registry.Parse("reg.json", []byte(doc), os.DirFS(skillsDir), registry.LintSkills("skills"))
		Expect(err).To(MatchError("reg.json:2:19: services[0].name: must not be blank\n" +
			`skills/sc_po.md:1:1: missing the section "## Endpoints"`))
	})

	It("lints the shipped skills clean", func() {
		deploy := filepath.Join("..", "..", "deploy")
		skills := filepath.Join(deploy, "skills")
		loaded, err := registry.LoadFile(filepath.Join(deploy, "service_connectors.json"), skills, registry.LintSkills(skills))
		Expect(err).NotTo(HaveOccurred())
		Expect(loaded.Services()).To(HaveLen(3))
	})
})
