package registry_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/registry"
)

var _ = Describe("A skill file the delivery would refuse", func() {
	var skillsDir string

	BeforeEach(func() {
		skillsDir = GinkgoT().TempDir()
		writeFile(skillsDir, "sc_crm.md", "# CRM\n")
	})

	parse := func() error {
		_, err := registry.Parse("reg.json", []byte(reg(po, crm)), os.DirFS(skillsDir))
		return err
	}

	It("is refused when it holds a NUL byte, with where the byte is", func() {
		writeFile(skillsDir, "sc_po.md", "# PO\nab\x00cd\n")
		Expect(parse()).To(MatchError(`reg.json:2:159: services[0].skill_file: "sc_po.md" contains a NUL byte (line 2, column 3)`))
	})

	DescribeTable("is refused exactly when the delivery refuses it",
		func(content string) {
			writeFile(skillsDir, "sc_po.md", content)
			deliveryErr := delivery.Bundle{Skills: []delivery.Skill{{Name: "sc_po.md", Content: content}}}.Validate()

			registryErr := parse()

			if deliveryErr == nil {
				Expect(registryErr).NotTo(HaveOccurred())
			} else {
				Expect(registryErr).To(MatchError(HavePrefix(`reg.json:2:159: services[0].skill_file: "sc_po.md" `)))
			}
		},
		Entry("plain markdown", "# PO\n\nGET /api/orders\n"),
		Entry("a NUL byte", "# PO\x00\n"),
		Entry("a NUL byte at the end", "# PO\n\x00"),
		Entry("bytes that are not UTF-8", "# caf\xe9\n"),
		Entry("a truncated UTF-8 sequence", "# PO \xe2\x82"),
		Entry("exactly 256 KiB", "#"+strings.Repeat("a", delivery.MaxSkillSize-1)),
		Entry("one byte over 256 KiB", "#"+strings.Repeat("a", delivery.MaxSkillSize)),
		Entry("CRLF line ends", "# PO\r\n\r\nGET /api/orders\r\n"),
	)

	It("is refused by a live reload, which keeps the skill in service and says where the problem is", func() {
		writeFile(skillsDir, "sc_po.md", "# PO\n")
		dir := GinkgoT().TempDir()
		file := writeFile(dir, "service_connectors.json", reg(po, crm))
		live, err := registry.OpenLive(file, skillsDir, slog.New(slog.DiscardHandler), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Rename(writeFile(skillsDir, ".edit", "# PO\n\x00\n"), filepath.Join(skillsDir, "sc_po.md"))).To(Succeed())

		_, err = live.Reload()

		Expect(err).To(HaveOccurred())
		Expect(live.Status().Problems).To(Equal([]string{
			file + `:2:159: services[0].skill_file: "sc_po.md" contains a NUL byte (line 2, column 1)`,
		}))
		skill, ok := live.Skill("sc_po.md")
		Expect(ok).To(BeTrue())
		Expect(skill).To(Equal("# PO\n"), "the last good skill stays in service")
	})

	It("is refused when the skills of all services together could not be delivered to one person", func() {
		big := "#" + strings.Repeat("a", delivery.MaxSkillSize-1)
		var entries []string
		for _, id := range []string{"a", "b", "c", "d", "e"} {
			writeFile(skillsDir, "sc_"+id+".md", big)
			entries = append(entries, strings.NewReplacer(`"po"`, `"`+id+`"`, "PO_KEY", strings.ToUpper(id)+"_KEY", "sc_po.md", "sc_"+id+".md").Replace(po))
		}
		_, err := registry.Parse("reg.json", []byte(reg(entries...)), os.DirFS(skillsDir))
		Expect(err).To(MatchError(`reg.json:1:14: services: a person connected to every service could not be delivered to: invalid delivery bundle: the whole bundle is larger than 1024 KiB as JSON`))

		_, err = registry.Parse("reg.json", []byte(reg(entries[:3]...)), os.DirFS(skillsDir))
		Expect(err).NotTo(HaveOccurred(), "three of them fit")
	})
})
