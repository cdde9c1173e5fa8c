package delivery_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

// A home owner may plant anything in their home before a delivery. Each attack must be
// refused as a whole: an error, and not one byte, mode, link or timestamp changed, inside
// the home or in what the plant points to.
var _ = Describe("WriteHome against a hostile home", func() {
	var base, home, rules, elsewhere string

	BeforeEach(func() {
		base = GinkgoT().TempDir()
		home = filepath.Join(base, "mallory")
		rules = filepath.Join(home, ".claude_rules")
		elsewhere = filepath.Join(base, "elsewhere")

		writeFile(filepath.Join(rules, "km_notes.md"), "mine\n", 0o644)
		writeFile(filepath.Join(rules, "sc_stale.md"), "# would be removed\n", 0o600)
		writeFile(filepath.Join(home, ".service_env"), "OLD_KEY=old_key_value\n", 0o600)
		writeFile(filepath.Join(elsewhere, "sc_victim.md"), "# not yours\n", 0o644)
		writeFile(filepath.Join(elsewhere, "secret.txt"), "root only\n", 0o600)
		Expect(os.Chmod(rules, 0o755)).To(Succeed())
	})

	replace := func(path string, plant func(string)) {
		GinkgoHelper()
		Expect(os.RemoveAll(path)).To(Succeed())
		plant(path)
	}
	symlinkTo := func(target string) func(string) {
		return func(path string) { Expect(os.Symlink(target, path)).To(Succeed()) }
	}
	fifo := func(path string) { Expect(unix.Mkfifo(path, 0o600)).To(Succeed()) }
	dir := func(path string) { Expect(os.Mkdir(path, 0o700)).To(Succeed()) }
	regular := func(path string) { writeFile(path, "plain\n", 0o600) }
	nothing := func(string) {}

	DescribeTable("refuses the whole bundle and changes nothing",
		func(plant func()) {
			plant()
			before := snapshot(base)

			done := make(chan error, 1)
			go func() { done <- delivery.WriteHome(home, validBundle()) }()
			var err error
			// A FIFO opened for reading would block forever; delivery must never wait on one.
			Eventually(done).WithTimeout(5 * time.Second).Should(Receive(&err))

			expectSafeError(err, services.EInvalid)
			Expect(snapshot(base)).To(Equal(before))
		},
		Entry("~/.claude_rules is a symlink to another directory", func() {
			replace(rules, symlinkTo(elsewhere))
		}),
		Entry("~/.claude_rules is a dangling symlink", func() {
			replace(rules, symlinkTo(filepath.Join(base, "nowhere")))
		}),
		Entry("~/.claude_rules is a regular file", func() { replace(rules, regular) }),
		Entry("~/.claude_rules is a FIFO", func() { replace(rules, fifo) }),
		Entry("~/.service_env is a symlink to another file", func() {
			replace(filepath.Join(home, ".service_env"), symlinkTo(filepath.Join(elsewhere, "secret.txt")))
		}),
		Entry("~/.service_env is a dangling symlink", func() {
			replace(filepath.Join(home, ".service_env"), symlinkTo(filepath.Join(base, "nowhere")))
		}),
		Entry("~/.service_env is a FIFO", func() { replace(filepath.Join(home, ".service_env"), fifo) }),
		Entry("~/.service_env is a directory", func() { replace(filepath.Join(home, ".service_env"), dir) }),
		Entry("a skill the bundle delivers is a symlink", func() {
			replace(filepath.Join(rules, "sc_purchase_orders.md"), symlinkTo(filepath.Join(elsewhere, "sc_victim.md")))
		}),
		Entry("a stale skill is a symlink", func() {
			replace(filepath.Join(rules, "sc_stale.md"), symlinkTo(filepath.Join(elsewhere, "sc_victim.md")))
		}),
		Entry("a stale skill is a directory", func() {
			replace(filepath.Join(rules, "sc_stale.md"), dir)
			writeFile(filepath.Join(rules, "sc_stale.md", "inside"), "x\n", 0o600)
		}),
		Entry("a skill the bundle delivers is a FIFO", func() {
			replace(filepath.Join(rules, "sc_invoicing.md"), fifo)
		}),
		Entry("the home is a symlink to another directory", func() { replace(home, symlinkTo(elsewhere)) }),
		Entry("the home is a regular file", func() { replace(home, regular) }),
		Entry("the home is missing", func() { replace(home, nothing) }),
		Entry("the home belongs to another user", func() {
			if os.Geteuid() == 0 {
				Expect(os.Chown(home, 4242, 4242)).To(Succeed())
			} else {
				home = "/" // owned by root, not by whoever runs the spec
			}
		}),
	)
})
