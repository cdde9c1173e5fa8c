package client_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The command line", func() {
	var (
		r       runner
		project string
		server  string
	)

	BeforeEach(func() {
		r = newRunner("/bin/bash", "mawk")
		project = GinkgoT().TempDir()
		server = GinkgoT().TempDir()
		writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
	})

	It("prints its usage with --help", func() {
		res := r.run(project, "--help")
		Expect(res.code).To(Equal(0))
		for _, opt := range []string{"--host", "--env", "--rules", "--from-dir", "--keys-file", "--no-agent-settings", "--dry-run", "--quiet", "SC_SSH_OPTS", "SC_PYTHON"} {
			Expect(res.stdout).To(ContainSubstring(opt))
		}
	})

	It("refuses an unknown option with a one-line reason", func() {
		res := r.run(project, "--frobnicate")
		Expect(res.code).NotTo(Equal(0))
		Expect(strings.Count(res.stderr, "\n")).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("--frobnicate"))
	})

	It("writes the .env named by --env with mode 600 whatever the umask", func() {
		r.openUmask = true
		before := takeSnapshot(project)
		res := r.run(project, "--from-dir", server, "--env", "sub/.env.local")
		Expect(res.code).NotTo(Equal(0), "the directory does not exist yet")
		before.expectUnchanged(project)
		Expect(os.Mkdir(filepath.Join(project, "sub"), 0o755)).To(Succeed())
		res = r.run(project, "--from-dir", server, "--env", "sub/.env.local")
		Expect(res.code).To(Equal(0), res.stderr)
		expectServerKeysLoaded(filepath.Join(project, "sub", ".env.local"))
		leftovers, err := filepath.Glob(filepath.Join(project, "sub", ".env.sc-sync.*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(leftovers).To(BeEmpty())
	})

	It("prints nothing but warnings with --quiet", func() {
		res := r.run(project, "--from-dir", server, "--quiet")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(BeEmpty())
	})

	It("refuses a damaged server file and changes nothing", func() {
		writeFile(filepath.Join(server, ".service_env"), "PO_API_KEY=pk live with spaces\n", 0o600)
		writeFile(filepath.Join(project, ".env"), "A=1\n", 0o644)
		res := r.run(project, "--from-dir", server)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).To(ContainSubstring("damaged"))
		Expect(res.stderr).NotTo(ContainSubstring("pk live"))
		Expect(readFile(filepath.Join(project, ".env"))).To(Equal("A=1\n"))
	})

	It("warns when a line of the analyst's after the block hides a synced key", func() {
		writeFile(filepath.Join(project, ".env"), oldBlock+"export PO_API_KEY=mine\n", 0o644)
		res := r.run(project, "--from-dir", server)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stderr).To(ContainSubstring("PO_API_KEY is also set on line"))
		Expect(res.stderr).NotTo(ContainSubstring("mine"))
	})

	It("refuses to replace a symlinked .env and changes nothing", func() {
		real := filepath.Join(project, "real.env")
		writeFile(real, "A=1\n", 0o644)
		Expect(os.Symlink(real, filepath.Join(project, ".env"))).To(Succeed())
		before := takeSnapshot(project)
		res := r.run(project, "--from-dir", server)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).To(ContainSubstring("symlink"))
		before.expectUnchanged(project)
		Expect(readFile(real)).To(Equal("A=1\n"))
		target, err := os.Readlink(filepath.Join(project, ".env"))
		Expect(err).NotTo(HaveOccurred())
		Expect(target).To(Equal(real))
	})
})
