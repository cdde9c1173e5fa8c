package client_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// source is one way the script reaches the server's files: home is the server account's
// home directory, and the returned runner and arguments point the script at it.
type source struct {
	connect func(r runner, home string) (runner, []string)
	down    func(r runner, home string) (runner, []string)
}

var (
	fromDir = source{
		connect: func(r runner, home string) (runner, []string) { return r, []string{"--from-dir", home} },
		down: func(r runner, home string) (runner, []string) {
			return r, []string{"--from-dir", filepath.Join(home, "not-mounted")}
		},
	}
	overSSH = source{
		connect: func(r runner, home string) (runner, []string) {
			r.env = append(r.env, startSSHD(home))
			return r, nil
		},
		down: func(r runner, _ string) (runner, []string) {
			r.env = append(r.env, unreachableSSH())
			return r, []string{"--host", "data-analyst"}
		},
	}
)

const userLines = "# mine\nexport DB_PASSWORD='s3cret'\n"

// serverCases describes the server's side; each entry is checked through every source.
func serverCases(src source, shell, awk string) {
	var (
		r       runner
		project string
		home    string
		envPath string
		before  string
		old     time.Time
	)

	BeforeEach(func() {
		r = newRunner(shell, awk)
		project = GinkgoT().TempDir()
		home = GinkgoT().TempDir()
		envPath = filepath.Join(project, ".env")
		before = userLines + oldBlock + "LAST=1\n"
		writeFile(envPath, before, 0o600)
		old = time.Now().Add(-time.Hour).Truncate(time.Second)
		Expect(os.Chtimes(envPath, old, old)).To(Succeed())
		writeFile(filepath.Join(project, ".claude", "rules", "sc_old.md"), "old\n", 0o644)
	})

	expectUnchanged := func() {
		GinkgoHelper()
		Expect(readFile(envPath)).To(Equal(before))
		info, err := os.Stat(envPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.ModTime()).To(Equal(old))
		Expect(filepath.Join(project, ".claude", "rules", "sc_old.md")).To(BeAnExistingFile())
	}

	It("puts exactly the server's keys and skills into the project when it holds several", func() {
		writeFile(filepath.Join(home, ".service_env"), serverEnv, 0o600)
		writeFile(filepath.Join(home, ".claude_rules", "sc_crm.md"), "# CRM skill\n", 0o600)
		writeFile(filepath.Join(home, ".claude_rules", "sc_invoicing.md"), "# Invoicing skill\n", 0o600)
		writeFile(filepath.Join(home, ".claude_rules", "sc_purchase_orders.md"), "# PO skill\n", 0o600)
		rr, args := src.connect(r, home)
		res := rr.run(project, args...)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(outsideBlock(readFile(envPath))).To(Equal(userLines + "LAST=1\n"))
		expectServerKeysLoaded(envPath)
		Expect(readFile(filepath.Join(project, ".claude", "rules", "sc_crm.md"))).To(Equal("# CRM skill\n"))
		Expect(readFile(filepath.Join(project, ".claude", "rules", "sc_invoicing.md"))).To(Equal("# Invoicing skill\n"))
		Expect(readFile(filepath.Join(project, ".claude", "rules", "sc_purchase_orders.md"))).To(Equal("# PO skill\n"))
		Expect(filepath.Join(project, ".claude", "rules", "sc_old.md")).NotTo(BeAnExistingFile())
	})

	It("removes the block when the server file holds no keys", func() {
		writeFile(filepath.Join(home, ".service_env"), "# Service Connector: keys for the services you connected.\n", 0o600)
		rr, args := src.connect(r, home)
		res := rr.run(project, args...)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(readFile(envPath)).To(Equal(userLines + "LAST=1\n"))
		Expect(loadDotenv(envPath, "OLD_KEY", "DB_PASSWORD")).To(HaveKeyWithValue("DB_PASSWORD", HaveValue(Equal("s3cret"))))
		Expect(loadDotenv(envPath, "OLD_KEY")["OLD_KEY"]).To(BeNil())
	})

	It("removes the block and the skills when the server has no file at all", func() {
		rr, args := src.connect(r, home)
		res := rr.run(project, args...)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(ContainSubstring("no ~/.service_env"))
		Expect(readFile(envPath)).To(Equal(userLines + "LAST=1\n"))
		Expect(filepath.Join(project, ".claude", "rules", "sc_old.md")).NotTo(BeAnExistingFile())
	})

	It("keeps the old block and fails when the server file cannot be read", func() {
		// A directory cannot be read as a file even by root, which the specs may run as.
		Expect(os.MkdirAll(filepath.Join(home, ".service_env"), 0o700)).To(Succeed())
		rr, args := src.connect(r, home)
		res := rr.run(project, args...)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).To(MatchRegexp("unchanged|kept the old keys"))
		expectUnchanged()
	})

	It("keeps the old block, says so and fails when the transfer fails", func() {
		writeFile(filepath.Join(home, ".service_env"), serverEnv, 0o600)
		rr, args := src.down(r, home)
		res := rr.run(project, args...)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).NotTo(BeEmpty())
		expectUnchanged()
	})
}

var _ = Describe("Fetching from the server", func() {
	for _, shell := range shells {
		When("reading a local directory with --from-dir under "+shell, func() {
			serverCases(fromDir, shell, "original-awk")
		})
	}

	When("talking to a real sshd under dash with original-awk", Label("sshd"), func() {
		serverCases(overSSH, "/usr/bin/dash", "original-awk")
	})

	When("talking to a real sshd under bash with mawk", Label("sshd"), func() {
		serverCases(overSSH, "/bin/bash", "mawk")
	})

	It("says the old keys were kept when ssh cannot connect", Label("sshd"), func() {
		r := newRunner("/usr/bin/dash", "gawk")
		project := GinkgoT().TempDir()
		r.env = append(r.env, unreachableSSH())
		res := r.run(project)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).To(ContainSubstring("kept the old keys"))
		Expect(res.stderr).To(ContainSubstring("Connection refused"))
		Expect(filepath.Join(project, ".env")).NotTo(BeAnExistingFile())
	})
})
