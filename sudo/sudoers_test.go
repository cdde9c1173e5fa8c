package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

const shippedHelperPath = "/usr/local/bin/install-service-env"

var _ = Describe("the sudoers snippet", func() {
	It("passes visudo -cf", func() {
		out, err := exec.Command("visudo", "-cf", "sudoers-service-connector").CombinedOutput()

		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	It("names the web user and the installed helper, with no password and no other command", func() {
		rules := activeLines(readFile("sudoers-service-connector"))

		Expect(rules).To(ConsistOf(
			`Cmnd_Alias SC_INSTALL_ENV = `+shippedHelperPath+` ^[a-z_][a-z0-9_-]{0\,31}$`,
			"Defaults!SC_INSTALL_ENV !requiretty, env_reset",
			"service-connector ALL = (root) NOPASSWD: SC_INSTALL_ENV",
		))
	})

	Describe("installed for a web user, through the real sudo", func() {
		var web, analyst account

		// sudoAs runs sudo -n with args as the web user, as the portal would.
		sudoAs := func(stdin string, args ...string) *gexec.Session {
			GinkgoHelper()
			cmd := exec.Command("/usr/bin/sudo", append([]string{"-n"}, args...)...)
			cmd.Stdin = strings.NewReader(stdin)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "LD_PRELOAD=/nonexistent.so", "GODEBUG=panicnil=1"}
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
				Uid: uint32(web.UID), Gid: uint32(web.GID), Groups: []uint32{}}}
			return start(cmd)
		}

		BeforeEach(func() {
			web = newAccount("-M", "-d", "/nonexistent")
			analyst = newAccount()
			// The shipped snippet, pointed at this web user and this build of the helper.
			snippet := strings.NewReplacer("service-connector ALL", web.Name+" ALL",
				shippedHelperPath, bins.Helper).Replace(readFile("sudoers-service-connector"))
			dropIn := filepath.Join("/etc/sudoers.d", "sctest-"+web.Name)
			staged := filepath.Join(GinkgoT().TempDir(), "snippet")
			Expect(os.WriteFile(staged, []byte(snippet), 0o440)).To(Succeed())
			out, err := exec.Command("visudo", "-cf", staged).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), string(out))
			Expect(os.WriteFile(dropIn, []byte(snippet), 0o440)).To(Succeed())
			DeferCleanup(os.Remove, dropIn)
		})

		It("lets the web user deliver to an analyst", func() {
			session := sudoAs(bundleJSON(validBundle()), bins.Helper, analyst.Name)

			Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
			expectOwned(filepath.Join(analyst.Home, ".service_env"), analyst, 0, 0o600)
			Expect(readFile(filepath.Join(analyst.Home, ".service_env"))).To(ContainSubstring("PO_API_KEY=" + poKey + "\n"))
			expectOwned(filepath.Join(analyst.Home, ".claude_rules", "sc_invoicing.md"), analyst, 0, 0o600)
		})

		It("carries the helper's one-line refusal back through sudo", func() {
			session := sudoAs(`{"env":[`, bins.Helper, analyst.Name)

			expectRefused(session)
			Expect(string(session.Err.Contents())).To(ContainSubstring("malformed JSON"))
		})

		DescribeTable("refuses every other command line without running anything",
			func(argsFor func(helper string, analyst account) []string) {
				before := snapshot(analyst.Home)

				session := sudoAs(bundleJSON(validBundle()), argsFor(bins.Helper, analyst)...)

				Expect(session.ExitCode()).NotTo(Equal(0))
				// sudo itself refuses (no password may be asked); the helper never starts.
				Expect(string(session.Err.Contents())).To(HavePrefix("sudo: "))
				Expect(string(session.Err.Contents())).NotTo(ContainSubstring("install-service-env:"))
				Expect(snapshot(analyst.Home)).To(Equal(before))
			},
			Entry("another command", func(string, account) []string { return []string{"/usr/bin/id"} }),
			Entry("a shell", func(string, account) []string { return []string{"/bin/sh", "-c", "id"} }),
			Entry("the helper without a user", func(h string, _ account) []string { return []string{h} }),
			Entry("the helper with two users", func(h string, a account) []string { return []string{h, a.Name, a.Name} }),
			Entry("the helper with a path", func(h string, _ account) []string { return []string{h, "../x"} }),
			Entry("the helper with an option", func(h string, _ account) []string { return []string{h, "-x"} }),
			Entry("the helper with a 40-character name", func(h string, _ account) []string { return []string{h, strings.Repeat("a", 40)} }),
			Entry("the helper as another user", func(h string, a account) []string { return []string{"-u", a.Name, h, a.Name} }),
			Entry("the helper with an environment variable", func(h string, a account) []string {
				return []string{"SC_MIN_UID=0", h, a.Name}
			}),
		)
	})
})

// activeLines returns the non-blank, non-comment lines of a sudoers file.
func activeLines(text string) []string {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}
