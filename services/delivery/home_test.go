package delivery_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services/delivery"
)

// plainFile plants a small regular file of the person's at path.
func plainFile(path string) {
	GinkgoHelper()
	writeFile(path, "mine\n", 0o600)
}

var _ = Describe("WriteHome", func() {
	var (
		home, rules, serviceEnv string
		bundle                  delivery.Bundle
	)

	BeforeEach(func() {
		home = filepath.Join(GinkgoT().TempDir(), "alice")
		Expect(os.Mkdir(home, 0o755)).To(Succeed())
		rules = filepath.Join(home, ".claude_rules")
		serviceEnv = filepath.Join(home, ".service_env")
		bundle = validBundle()
	})

	When("a delivery was killed mid-write and left its temp files", func() {
		// leftover is a name delivery itself gives a temp file: the prefix, then 26 characters
		// of the RFC 4648 base32 alphabet.
		const leftover = ".sc-tmp-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		const leftover2 = ".sc-tmp-234567ABCDEFGHIJKLMNOPQRST"

		It("removes them on the next delivery", func() {
			Expect(delivery.WriteHome(home, bundle)).To(Succeed())
			writeFile(filepath.Join(home, leftover), "PO_API_KEY=po_live_leftover\n", 0o600)
			writeFile(filepath.Join(rules, leftover2), "# half a skill", 0o600)

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			Expect(filepath.Join(home, leftover)).NotTo(BeAnExistingFile())
			Expect(filepath.Join(rules, leftover2)).NotTo(BeAnExistingFile())
		})

		It("recognises every temp name it makes", func() {
			Expect(delivery.WriteHome(home, bundle)).To(Succeed())
			for range 200 {
				name := delivery.TempName()
				Expect(name).To(MatchRegexp(`^\.sc-tmp-[A-Z2-7]{26}$`))
				writeFile(filepath.Join(rules, name), "# half a skill", 0o600)
			}

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			entries, err := os.ReadDir(rules)
			Expect(err).NotTo(HaveOccurred())
			Expect(entries).To(HaveLen(len(bundle.Skills)))
		})

		DescribeTable("leaves every file of the person's alone, however much its name looks like one",
			func(name string, plant func(path string)) {
				Expect(delivery.WriteHome(home, bundle)).To(Succeed())
				plant(filepath.Join(home, name))
				plant(filepath.Join(rules, name))
				before := snapshot(home)

				Expect(delivery.WriteHome(home, bundle)).To(Succeed())

				Expect(snapshot(home)).To(Equal(before))
			},
			Entry("a name that only starts like one", ".sc-tmp-notes", plainFile),
			Entry("a name with too few characters", ".sc-tmp-ABCDEF", plainFile),
			Entry("a name with one character too many", leftover+"A", plainFile),
			Entry("a name with a suffix", leftover+".bak", plainFile),
			Entry("a name in lower case", ".sc-tmp-abcdefghijklmnopqrstuvwxyz", plainFile),
			Entry("a name with a digit outside base32", ".sc-tmp-ABCDEFGHIJKLMNOPQRSTUVWXY1", plainFile),
			Entry("a name that shares the first letters", ".sc-tmpfile-of-the-person", plainFile),
			Entry("a name without the dot", "sc-tmp-ABCDEFGHIJKLMNOPQRSTUVWXYZ", plainFile),
			Entry("a directory with the exact name", leftover, func(path string) {
				Expect(os.Mkdir(path, 0o700)).To(Succeed())
				writeFile(filepath.Join(path, "inside"), "mine\n", 0o600)
			}),
			Entry("a symlink with the exact name", leftover, func(path string) {
				Expect(os.Symlink("notes.txt", path)).To(Succeed())
			}),
			Entry("a FIFO with the exact name", leftover, func(path string) {
				Expect(unix.Mkfifo(path, 0o600)).To(Succeed())
			}),
		)
	})

	When("the home is fresh", func() {
		DescribeTable("delivers every file with its exact content and private modes, whatever the umask",
			func(mask int) {
				withUmask(mask)

				Expect(delivery.WriteHome(home, bundle)).To(Succeed())

				Expect(readFile(serviceEnv)).To(Equal(string(delivery.RenderServiceEnv(bundle))))
				Expect(lstat(serviceEnv).Mode()).To(Equal(os.FileMode(0o600)))
				Expect(lstat(rules).Mode()).To(Equal(os.ModeDir | 0o700))
				for _, s := range bundle.Skills {
					path := filepath.Join(rules, s.Name)
					Expect(readFile(path)).To(Equal(s.Content))
					Expect(lstat(path).Mode()).To(Equal(os.FileMode(0o600)))
				}
				names, err := os.ReadDir(rules)
				Expect(err).NotTo(HaveOccurred())
				Expect(names).To(HaveLen(len(bundle.Skills)), "no temp files are left behind")
			},
			Entry("umask 000", 0o000),
			Entry("umask 022", 0o022),
			Entry("umask 077", 0o077),
			Entry("umask 277, which would strip the owner's write bit", 0o277),
		)

		It("writes a header-only ~/.service_env and no skills for an empty bundle", func() {
			Expect(delivery.WriteHome(home, delivery.Bundle{})).To(Succeed())

			Expect(readFile(serviceEnv)).To(Equal(header))
			Expect(lstat(serviceEnv).Mode()).To(Equal(os.FileMode(0o600)))
			Expect(filepath.Glob(filepath.Join(rules, "sc_*.md"))).To(BeEmpty())
		})
	})

	When("the home already holds the person's own files and older deliveries", func() {
		var others []string

		BeforeEach(func() {
			Expect(os.Mkdir(rules, 0o755)).To(Succeed())
			writeFile(filepath.Join(rules, "sc_purchase_orders.md"), "# old skill\n", 0o644)
			writeFile(filepath.Join(rules, "sc_crm.md"), "# disconnected\n", 0o600)
			writeFile(serviceEnv, "OLD_KEY=old_key_value\n", 0o644)
			others = []string{
				filepath.Join(rules, "km_notes.md"),
				filepath.Join(rules, "notes.txt"),
				filepath.Join(rules, "sc_Draft.md"),
				filepath.Join(home, ".bashrc"),
				filepath.Join(home, ".env"),
			}
			for _, p := range others {
				writeFile(p, "mine: "+filepath.Base(p)+"\n", 0o640)
			}
			Expect(os.Symlink("/etc/passwd", filepath.Join(rules, "km_link.md"))).To(Succeed())
			others = append(others, filepath.Join(rules, "km_link.md"))
			backdate(others...)
		})

		It("replaces the managed files, removes stale skills and leaves everything else alone", func() {
			before := snapshot(home)

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			after := snapshot(home)
			for _, p := range others {
				Expect(after).To(HaveKeyWithValue(p, before[p]))
			}
			Expect(readFile(filepath.Join(rules, "sc_purchase_orders.md"))).To(Equal(bundle.Skills[0].Content))
			Expect(lstat(filepath.Join(rules, "sc_purchase_orders.md")).Mode()).To(Equal(os.FileMode(0o600)))
			Expect(filepath.Join(rules, "sc_crm.md")).NotTo(BeAnExistingFile())
			Expect(readFile(serviceEnv)).To(Equal(string(delivery.RenderServiceEnv(bundle))))
			Expect(lstat(serviceEnv).Mode()).To(Equal(os.FileMode(0o600)))
			Expect(lstat(rules).Mode()).To(Equal(os.ModeDir | 0o700))
		})

		It("removes every managed skill for an empty bundle", func() {
			Expect(delivery.WriteHome(home, delivery.Bundle{})).To(Succeed())

			Expect(filepath.Glob(filepath.Join(rules, "sc_*.md"))).To(ConsistOf(filepath.Join(rules, "sc_Draft.md")))
			Expect(readFile(serviceEnv)).To(Equal(header))
		})
	})

	When("the same bundle is delivered twice", func() {
		var delivered []string

		BeforeEach(func() {
			Expect(delivery.WriteHome(home, bundle)).To(Succeed())
			delivered = []string{home, rules, serviceEnv,
				filepath.Join(rules, bundle.Skills[0].Name), filepath.Join(rules, bundle.Skills[1].Name)}
			backdate(delivered...)
		})

		It("writes nothing the second time", func() {
			before := snapshot(home)

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			Expect(snapshot(home)).To(Equal(before))
		})

		It("still repairs a loosened mode", func() {
			Expect(os.Chmod(serviceEnv, 0o644)).To(Succeed())
			Expect(os.Chmod(rules, 0o755)).To(Succeed())

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			Expect(lstat(serviceEnv).Mode()).To(Equal(os.FileMode(0o600)))
			Expect(lstat(rules).Mode()).To(Equal(os.ModeDir | 0o700))
			Expect(readFile(serviceEnv)).To(Equal(string(delivery.RenderServiceEnv(bundle))))
		})

		It("rewrites a file whose content was edited", func() {
			writeFile(filepath.Join(rules, bundle.Skills[1].Name), "# edited\n", 0o600)

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			Expect(readFile(filepath.Join(rules, bundle.Skills[1].Name))).To(Equal(bundle.Skills[1].Content))
		})
	})

	When("~/.service_env is a hard link to a file elsewhere", func() {
		var victim string

		BeforeEach(func() {
			victim = filepath.Join(filepath.Dir(home), "victim")
			// Identical content and mode, so only the link count gives the trap away.
			writeFile(victim, string(delivery.RenderServiceEnv(bundle)), 0o600)
			Expect(os.Link(victim, serviceEnv)).To(Succeed())
			backdate(victim)
		})

		It("replaces the link and never writes through it", func() {
			before := snapshot(victim)

			Expect(delivery.WriteHome(home, bundle)).To(Succeed())

			Expect(snapshot(victim)).To(Equal(before))
			Expect(os.SameFile(lstat(victim), lstat(serviceEnv))).To(BeFalse())
			Expect(readFile(serviceEnv)).To(Equal(string(delivery.RenderServiceEnv(bundle))))
		})
	})
})
