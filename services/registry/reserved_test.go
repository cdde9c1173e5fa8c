package registry_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/registry"
)

var _ = Describe("An env var name that changes how programs run", func() {
	var skillsDir string

	BeforeEach(func() {
		skillsDir = GinkgoT().TempDir()
		writeFile(skillsDir, "sc_po.md", "# PO\n")
		writeFile(skillsDir, "sc_crm.md", "# CRM\n")
	})

	// withEnv is the crm entry under name, and where its env_var_name value starts on line 3.
	withEnv := func(name string) (string, int) {
		entry := strings.Replace(crm, `"CRM_KEY"`, `"`+name+`"`, 1)
		return entry, 1 + utf8.RuneCountInString(entry[:strings.Index(entry, `"`+name+`"`)])
	}

	DescribeTable("is refused, naming the entry, the field and why, at its line and column, in either form of the registry",
		func(name, why string) {
			entry, col := withEnv(name)
			object := reg(po, entry)
			bare, _ := bareForm(object)
			for _, doc := range []string{object, bare} {
				_, err := registry.Parse("reg.json", []byte(doc), os.DirFS(skillsDir))
				var verr *registry.ValidationError
				Expect(errors.As(err, &verr)).To(BeTrue(), "want a *ValidationError, got %v", err)
				Expect(strings.Split(err.Error(), "\n")).To(Equal([]string{
					fmt.Sprintf(`reg.json:3:%d: services[1].env_var_name: %q is reserved: %s`, col, name, why),
				}), doc)
			}
		},
		Entry("BASH_ENV", "BASH_ENV", "bash runs the file it names before every script"),
		Entry("ENV", "ENV", "sh and bash run the file it names when they start"),
		Entry("PATH", "PATH", "it decides which program a command runs"),
		Entry("LD_PRELOAD", "LD_PRELOAD", "like every name matching LD_*, it changes which libraries programs load"),
		Entry("DYLD_INSERT_LIBRARIES", "DYLD_INSERT_LIBRARIES", "like every name matching DYLD_*, it changes which libraries programs load on macOS"),
		Entry("PYTHONSTARTUP", "PYTHONSTARTUP", "like every name matching PYTHON*, it changes how Python starts and which code it loads"),
		Entry("NODE_OPTIONS", "NODE_OPTIONS", "it adds options, such as code to preload, to every Node.js program"),
		Entry("HTTPS_PROXY", "HTTPS_PROXY", "like every name matching *_PROXY, it sends programs' connections through another host"),
		Entry("NO_PROXY", "NO_PROXY", "like every name matching *_PROXY, it sends programs' connections through another host"),
		Entry("REQUESTS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "it changes which certificate authorities Python's requests trusts"),
		Entry("GIT_SSH_COMMAND", "GIT_SSH_COMMAND", "like every name matching GIT_*, it changes how git runs, which commands it starts and where it connects"),
		Entry("SSH_AUTH_SOCK", "SSH_AUTH_SOCK", "like every name matching SSH_*, it changes how ssh authenticates and which agent it uses"),
		Entry("LC_ALL", "LC_ALL", "like every name matching LC_*, it changes how programs read and print text"),
		Entry("SC_SSH_OPTS", "SC_SSH_OPTS", "like every name matching SC_*, Service Connector's own tools read it, the laptop sync among them (SC_SSH_OPTS adds ssh options)"),
	)

	It("is refused once, not also as the name the skill should use", func() {
		writeFile(skillsDir, "sc_po.md", goodSkill)
		writeFile(skillsDir, "sc_crm.md", "# CRM API\n\n## Authentication\n\n## Endpoints\n\n## Examples\n\n```sh\necho \"$CRM_KEY\"\n```\n")
		entry, col := withEnv("LD_PRELOAD")
		_, err := registry.Parse("reg.json", []byte(reg(po, entry)), os.DirFS(skillsDir), registry.LintSkills("skills"))
		Expect(err).To(MatchError(fmt.Sprintf(`reg.json:3:%d: services[1].env_var_name: "LD_PRELOAD" is reserved: like every name matching LD_*, it changes which libraries programs load`, col)))
	})

	It("is refused by a live reload, which keeps the last good registry and shows where the problem is", func() {
		dir := GinkgoT().TempDir()
		file := writeFile(dir, "service_connectors.json", reg(po, crm))
		live, err := registry.OpenLive(file, skillsDir, slog.New(slog.DiscardHandler), nil)
		Expect(err).NotTo(HaveOccurred())
		entry, col := withEnv("BASH_ENV")
		Expect(os.Rename(writeFile(dir, ".edit", reg(po, entry)), file)).To(Succeed())

		_, err = live.Reload()

		Expect(err).To(HaveOccurred())
		svc, ok := live.Service("crm")
		Expect(ok).To(BeTrue())
		Expect(svc.EnvVarName).To(Equal("CRM_KEY"), "the last good registry stays in service")
		Expect(live.Status().Problems).To(Equal([]string{
			fmt.Sprintf(`%s:3:%d: services[1].env_var_name: "BASH_ENV" is reserved: bash runs the file it names before every script`, filepath.Clean(file), col),
		}))
	})
})
