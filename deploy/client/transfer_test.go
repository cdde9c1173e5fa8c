package client_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

// brokenTransferCases are server homes the sync must treat as a failed transfer: it keeps
// the old keys and skills, names what it refused and exits non-zero.
func brokenTransferCases(src source, shell, awk string) {
	var (
		r       runner
		project string
		home    string
		outside string
	)

	BeforeEach(func() {
		r = newRunner(shell, awk)
		project = GinkgoT().TempDir()
		home = GinkgoT().TempDir()
		outside = GinkgoT().TempDir()
		writeFile(filepath.Join(project, ".env"), userLines+oldBlock+"LAST=1\n", 0o600)
		writeFile(filepath.Join(project, ".claude", "rules", "sc_old.md"), "old\n", 0o600)
		writeFile(filepath.Join(outside, "id_ed25519"), privateKey, 0o600)
		writeFile(filepath.Join(home, ".service_env"), serverEnv, 0o600)
		writeFile(filepath.Join(home, ".claude_rules", "sc_crm.md"), "# CRM\n", 0o600)
	})

	DescribeTable("keeps the old keys and skills and fails",
		func(shape func(home, outside string), named string) {
			shape(home, outside)
			before := takeSnapshot(project)
			rr, args := src.connect(r, home)
			res := rr.run(project, args...)
			Expect(res.code).NotTo(Equal(0), res.stdout+res.stderr)
			Expect(res.stderr).To(ContainSubstring(named))
			Expect(res.stderr).To(ContainSubstring("kept the old keys"))
			Expect(res.stdout + res.stderr).NotTo(ContainSubstring("PRIVATE KEY"))
			before.expectUnchanged(project)
		},
		Entry("a skill that is a symlink to a private key", func(home, outside string) {
			Expect(os.Symlink(filepath.Join(outside, "id_ed25519"), filepath.Join(home, ".claude_rules", "sc_notes.md"))).To(Succeed())
		}, "sc_notes.md"),
		Entry("a skill that is a symlink to the skill beside it", func(home, _ string) {
			Expect(os.Symlink("sc_crm.md", filepath.Join(home, ".claude_rules", "sc_copy.md"))).To(Succeed())
		}, "sc_copy.md"),
		Entry("~/.service_env that is a symlink", func(home, outside string) {
			writeFile(filepath.Join(outside, "service_env"), serverEnv, 0o600)
			Expect(os.Remove(filepath.Join(home, ".service_env"))).To(Succeed())
			Expect(os.Symlink(filepath.Join(outside, "service_env"), filepath.Join(home, ".service_env"))).To(Succeed())
		}, ".service_env"),
		Entry("~/.claude_rules that is a symlink to a directory of skills", func(home, outside string) {
			writeFile(filepath.Join(outside, "rules", "sc_crm.md"), "# CRM\n", 0o600)
			Expect(os.RemoveAll(filepath.Join(home, ".claude_rules"))).To(Succeed())
			Expect(os.Symlink(filepath.Join(outside, "rules"), filepath.Join(home, ".claude_rules"))).To(Succeed())
		}, ".claude_rules"),
		Entry("~/.claude_rules that is a dangling symlink", func(home, outside string) {
			Expect(os.RemoveAll(filepath.Join(home, ".claude_rules"))).To(Succeed())
			Expect(os.Symlink(filepath.Join(outside, "nowhere"), filepath.Join(home, ".claude_rules"))).To(Succeed())
		}, ".claude_rules"),
		Entry("~/.claude_rules that is a file, so it cannot be listed", func(home, _ string) {
			Expect(os.RemoveAll(filepath.Join(home, ".claude_rules"))).To(Succeed())
			writeFile(filepath.Join(home, ".claude_rules"), "not a directory\n", 0o600)
		}, ".claude_rules"),
		Entry("a skill that is a directory", func(home, _ string) {
			Expect(os.MkdirAll(filepath.Join(home, ".claude_rules", "sc_dir.md"), 0o700)).To(Succeed())
		}, "sc_dir.md"),
		Entry("a skill that is a FIFO", func(home, _ string) {
			Expect(syscall.Mkfifo(filepath.Join(home, ".claude_rules", "sc_fifo.md"), 0o600)).To(Succeed())
		}, "sc_fifo.md"),
		Entry("~/.service_env larger than the portal ever writes", func(home, _ string) {
			writeFile(filepath.Join(home, ".service_env"), serverHeader+strings.Repeat("# padding padding padding padding\n", 40000)+"PO_API_KEY=pk_live_abc123\n", 0o600)
		}, ".service_env is larger than"),
		Entry("a skill larger than the portal ever writes", func(home, _ string) {
			writeFile(filepath.Join(home, ".claude_rules", "sc_big.md"), strings.Repeat("x", 3<<20), 0o600)
		}, "sc_big.md is larger than"),
		// The portal delivers at most 256 KiB of UTF-8 without a NUL byte per skill and 1 MiB
		// in all: anything else did not come from it, and may be a binary planted for a
		// variable to load (a jar, a library).
		Entry("a skill larger than the portal's 256 KiB", func(home, _ string) {
			writeFile(filepath.Join(home, ".claude_rules", "sc_big.md"), strings.Repeat("x", 256<<10+1), 0o600)
		}, "sc_big.md is larger than"),
		Entry("skills larger in all than the portal ever delivers", func(home, _ string) {
			for _, name := range []string{"sc_a.md", "sc_b.md", "sc_c.md", "sc_d.md", "sc_e.md"} {
				writeFile(filepath.Join(home, ".claude_rules", name), strings.Repeat("x", 250<<10), 0o600)
			}
		}, "more than"),
		Entry("more skills than the portal ever delivers", func(home, _ string) {
			for i := range 1001 {
				writeFile(filepath.Join(home, ".claude_rules", "sc_"+strings.Repeat("n", i%7+1)+strconv.Itoa(i)+".md"), "# n\n", 0o600)
			}
		}, "more than 1000 skills"),
		Entry("a skill holding a NUL byte", func(home, _ string) {
			writeFile(filepath.Join(home, ".claude_rules", "sc_nul.md"), "# Notes\n\x00after\n", 0o600)
		}, "sc_nul.md"),
		Entry("a skill that is not UTF-8, such as a library", func(home, _ string) {
			writeFile(filepath.Join(home, ".claude_rules", "sc_lib.md"), "\x7fELF\xff\xfe\xfd binary", 0o600)
		}, "sc_lib.md"),
		Entry("~/.service_env that is a FIFO", func(home, _ string) {
			Expect(os.Remove(filepath.Join(home, ".service_env"))).To(Succeed())
			Expect(syscall.Mkfifo(filepath.Join(home, ".service_env"), 0o600)).To(Succeed())
		}, ".service_env"),
	)
}

var _ = Describe("A broken transfer", func() {
	for _, shell := range shells {
		When("reading a local directory with --from-dir under "+shell, func() {
			brokenTransferCases(fromDir, shell, "mawk")
		})
	}

	When("talking to a real sshd under dash with gawk", Label("sshd"), func() {
		brokenTransferCases(overSSH, "/usr/bin/dash", "gawk")
	})
})
