package client_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Mirroring the skills", func() {
	var (
		r       runner
		project string
		server  string
		rules   string
	)

	BeforeEach(func() {
		r = newRunner("/usr/bin/dash", "original-awk")
		project = GinkgoT().TempDir()
		server = GinkgoT().TempDir()
		rules = filepath.Join(project, ".claude", "rules")
		writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
		writeFile(filepath.Join(server, ".claude_rules", "sc_crm.md"), "# CRM v2\n", 0o600)
		writeFile(filepath.Join(server, ".claude_rules", "sc_invoicing.md"), "# Invoicing\n", 0o600)
		writeFile(filepath.Join(server, ".claude_rules", "km_server_only.md"), "not a skill of ours\n", 0o600)
		writeFile(filepath.Join(rules, "sc_crm.md"), "# CRM v1\n", 0o644)
		writeFile(filepath.Join(rules, "sc_stale.md"), "# gone\n", 0o644)
		writeFile(filepath.Join(rules, "km_mine.md"), "mine\n", 0o644)
		writeFile(filepath.Join(rules, "notes.txt"), "mine too\n", 0o644)
	})

	It("makes the set of sc_*.md exactly the server's and touches no other file", func() {
		res := r.run(project, "--from-dir", server)
		Expect(res.code).To(Equal(0), res.stderr)
		entries, err := os.ReadDir(rules)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf("sc_crm.md", "sc_invoicing.md", "km_mine.md", "notes.txt"))
		Expect(readFile(filepath.Join(rules, "sc_crm.md"))).To(Equal("# CRM v2\n"))
		Expect(readFile(filepath.Join(rules, "sc_invoicing.md"))).To(Equal("# Invoicing\n"))
		Expect(readFile(filepath.Join(rules, "km_mine.md"))).To(Equal("mine\n"))
		Expect(readFile(filepath.Join(rules, "notes.txt"))).To(Equal("mine too\n"))
	})

	It("creates the rules directory when the project has none", func() {
		Expect(os.RemoveAll(filepath.Join(project, ".claude"))).To(Succeed())
		res := r.run(project, "--from-dir", server, "--rules", "custom/rules")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(readFile(filepath.Join(project, "custom", "rules", "sc_crm.md"))).To(Equal("# CRM v2\n"))
	})

	DescribeTable("stops, naming it, when a directory sits where a skill goes",
		func(shape func() string) {
			writeFile(filepath.Join(project, ".env"), "A=1\n", 0o600)
			outside := shape()
			before := takeSnapshot(project)
			beforeOutside := takeSnapshot(outside)
			res := r.run(project, "--from-dir", server)
			Expect(res.code).NotTo(Equal(0))
			Expect(res.stderr).To(ContainSubstring(filepath.Join(".claude", "rules", "sc_crm.md")))
			Expect(res.stderr).To(ContainSubstring("nothing changed"))
			Expect(res.stdout).NotTo(ContainSubstring("installed"))
			before.expectUnchanged(project)
			beforeOutside.expectUnchanged(outside)
		},
		Entry("a directory", func() string {
			Expect(os.Remove(filepath.Join(rules, "sc_crm.md"))).To(Succeed())
			writeFile(filepath.Join(rules, "sc_crm.md", "keep.txt"), "mine\n", 0o644)
			return GinkgoT().TempDir()
		}),
		Entry("a symlink to a directory", func() string {
			outside := GinkgoT().TempDir()
			writeFile(filepath.Join(outside, "keep.txt"), "mine\n", 0o644)
			Expect(os.Remove(filepath.Join(rules, "sc_crm.md"))).To(Succeed())
			Expect(os.Symlink(outside, filepath.Join(rules, "sc_crm.md"))).To(Succeed())
			return outside
		}),
	)

	// The portal writes only sc_ names of letters, digits, ., _ and -: a file of the
	// analyst's (or a checked-out repository's) with any other name is theirs, however it
	// starts. A newline in a name must not make the script remove a file named by the line
	// after it.
	DescribeTable("leaves alone local files whose names the portal never writes",
		func(odd string) {
			for _, shell := range shells {
				for _, awk := range awks {
					writeFile(filepath.Join(rules, "km_notes.md"), "mine\n", 0o644)
					writeFile(filepath.Join(rules, odd), "mine, oddly named\n", 0o644)
					res := newRunner(shell, awk).run(project, "--from-dir", server)
					Expect(res.code).To(Equal(0), "%s %s: %s", shell, awk, res.stderr)
					Expect(readFile(filepath.Join(rules, "km_notes.md"))).To(Equal("mine\n"), "%s %s", shell, awk)
					Expect(readFile(filepath.Join(rules, odd))).To(Equal("mine, oddly named\n"), "%s %s", shell, awk)
					Expect(readFile(filepath.Join(rules, "sc_crm.md"))).To(Equal("# CRM v2\n"), "%s %s", shell, awk)
					Expect(filepath.Join(rules, "sc_stale.md")).NotTo(BeAnExistingFile())
					writeFile(filepath.Join(rules, "sc_stale.md"), "# gone\n", 0o644)
				}
			}
		},
		Entry("a newline, then the name of another file of the analyst's", "sc_x\nkm_notes.md"),
		Entry("a newline, then a name that is a skill of the server's", "sc_x\nsc_crm.md"),
		Entry("a space", "sc_my notes.md"),
		Entry("a tab", "sc_my\tnotes.md"),
		Entry("a carriage return", "sc_x\r.md"),
		Entry("a byte that is not ASCII", "sc_caf\xc3\xa9.md"),
		Entry("a leading dot after sc_", "sc_..md"),
	)

	It("replaces a symlink where a skill goes by the skill, leaving its target alone", func() {
		outside := GinkgoT().TempDir()
		writeFile(filepath.Join(outside, "target.md"), "mine\n", 0o644)
		Expect(os.Remove(filepath.Join(rules, "sc_crm.md"))).To(Succeed())
		Expect(os.Symlink(filepath.Join(outside, "target.md"), filepath.Join(rules, "sc_crm.md"))).To(Succeed())
		res := r.run(project, "--from-dir", server)
		Expect(res.code).To(Equal(0), res.stderr)
		info, err := os.Lstat(filepath.Join(rules, "sc_crm.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().IsRegular()).To(BeTrue())
		Expect(readFile(filepath.Join(rules, "sc_crm.md"))).To(Equal("# CRM v2\n"))
		Expect(readFile(filepath.Join(outside, "target.md"))).To(Equal("mine\n"))
	})

	When("run with --dry-run", func() {
		It("says what would change and changes nothing", func() {
			writeFile(filepath.Join(project, ".env"), "A=1\n", 0o644)
			res := r.run(project, "--from-dir", server, "--dry-run")
			Expect(res.code).To(Equal(0), res.stderr)
			Expect(res.stdout).To(ContainSubstring("would write 2 key(s)"))
			Expect(res.stdout).To(ContainSubstring("would install skill"))
			Expect(res.stdout).To(ContainSubstring("would remove skill"))
			Expect(res.stdout).NotTo(ContainSubstring("pk_live_abc123"))
			Expect(readFile(filepath.Join(project, ".env"))).To(Equal("A=1\n"))
			Expect(readFile(filepath.Join(rules, "sc_crm.md"))).To(Equal("# CRM v1\n"))
			Expect(filepath.Join(rules, "sc_stale.md")).To(BeAnExistingFile())
			Expect(filepath.Join(rules, "sc_invoicing.md")).NotTo(BeAnExistingFile())
		})
	})
})
