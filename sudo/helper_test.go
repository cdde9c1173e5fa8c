package main_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
)

const header = "# Service Connector: keys for the services you connected. Managed by the portal; edits are overwritten.\n"

var _ = Describe("install-service-env", func() {
	var (
		acct  account
		rules string
	)

	BeforeEach(func() {
		acct = newAccount()
		rules = filepath.Join(acct.Home, ".claude_rules")
	})

	Describe("delivering a bundle", func() {
		var before map[string]node

		BeforeEach(func() {
			acct.plantDir(rules, 0o755)
			acct.plant(filepath.Join(rules, "km_notes.md"), "my own notes\n", 0o644)
			acct.plant(filepath.Join(rules, "sc_stale.md"), "an old skill\n", 0o600)
			acct.plant(filepath.Join(acct.Home, "notes.txt"), "keep me\n", 0o640)
			before = snapshot(acct.Home)
		})

		It("writes ~/.service_env and the skills as the account, with private modes, byte for byte", func() {
			session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

			Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
			Expect(session.Err.Contents()).To(BeEmpty())
			envPath := filepath.Join(acct.Home, ".service_env")
			expectOwned(envPath, acct, 0, 0o600)
			Expect(readFile(envPath)).To(Equal(header +
				"# purchase_orders expires 2027-11-22T12:00:00Z\nPO_API_KEY=pk_live_abc123\n" +
				"# invoicing (no expiry)\nINV_API_KEY=inv_key_9876543\n"))
			expectOwned(rules, acct, fs.ModeDir, 0o700)
			for _, s := range validBundle().Skills {
				expectOwned(filepath.Join(rules, s.Name), acct, 0, 0o600)
				Expect(readFile(filepath.Join(rules, s.Name))).To(Equal(s.Content))
			}
		})

		It("removes stale sc_*.md files and leaves every other file alone", func() {
			session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

			Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
			Expect(filepath.Join(rules, "sc_stale.md")).NotTo(BeAnExistingFile())
			after := snapshot(acct.Home)
			for _, kept := range []string{filepath.Join(rules, "km_notes.md"), filepath.Join(acct.Home, "notes.txt")} {
				Expect(after[kept]).To(Equal(before[kept]), kept)
			}
			entries, err := os.ReadDir(rules)
			Expect(err).NotTo(HaveOccurred())
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			Expect(names).To(ConsistOf("km_notes.md", "sc_invoicing.md", "sc_purchase_orders.md"))
		})

		It("sweeps only its own leftover temp files, never the account's files that merely start alike", func() {
			const leftover = ".sc-tmp-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			acct.plant(filepath.Join(acct.Home, leftover), "PO_API_KEY=pk_live_leftover1\n", 0o600)
			acct.plant(filepath.Join(rules, leftover), "# half a skill\n", 0o600)
			mine := []string{
				filepath.Join(acct.Home, ".sc-tmp-notes"),
				filepath.Join(rules, ".sc-tmp-draft.md"),
				filepath.Join(acct.Home, leftover+".bak"),
				filepath.Join(rules, ".sc-tmp-abcdefghijklmnopqrstuvwxyz"),
			}
			for _, path := range mine {
				acct.plant(path, "mine\n", 0o600)
			}
			before := snapshot(acct.Home)

			session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

			Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
			Expect(filepath.Join(acct.Home, leftover)).NotTo(BeAnExistingFile())
			Expect(filepath.Join(rules, leftover)).NotTo(BeAnExistingFile())
			after := snapshot(acct.Home)
			for _, path := range mine {
				Expect(after[path]).To(Equal(before[path]), path)
			}
		})

		It("leaves a header-only ~/.service_env and no skills for an empty bundle", func() {
			session := runHelper(bins.Helper, `{"env":[],"skills":[]}`, acct.Name)

			Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
			Expect(readFile(filepath.Join(acct.Home, ".service_env"))).To(Equal(header))
			expectOwned(filepath.Join(acct.Home, ".service_env"), acct, 0, 0o600)
			Expect(filepath.Join(rules, "sc_stale.md")).NotTo(BeAnExistingFile())
			Expect(filepath.Join(rules, "km_notes.md")).To(BeARegularFile())
		})

		It("changes nothing when the same bundle is delivered again", func() {
			Expect(runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name).ExitCode()).To(Equal(0))
			first := snapshot(acct.Home)

			session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

			Expect(session.ExitCode()).To(Equal(0))
			Expect(snapshot(acct.Home)).To(Equal(first))
		})
	})

	It("creates ~/.claude_rules with mode 700 when the account has none", func() {
		session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

		Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
		expectOwned(rules, acct, fs.ModeDir, 0o700)
	})

	It("replaces a hard link to a root-owned file rather than writing through it", func() {
		area := rootArea()
		secret := filepath.Join(area, "secret")
		Expect(os.Link(secret, filepath.Join(acct.Home, ".service_env"))).To(Succeed())

		session := runHelper(bins.Helper, bundleJSON(validBundle()), acct.Name)

		Expect(session.ExitCode()).To(Equal(0), "stderr: %s", session.Err.Contents())
		Expect(readFile(secret)).To(Equal("root only\n"))
		expectOwned(filepath.Join(acct.Home, ".service_env"), acct, 0, 0o600)
	})

	It("refuses to run when it is not root, and says so", func() {
		cmd := exec.Command(bins.Helper, acct.Name)
		cmd.Stdin = strings.NewReader(bundleJSON(validBundle()))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(acct.UID), Gid: uint32(acct.GID)}}
		before := snapshot(acct.Home)

		session := start(cmd)

		expectRefused(session)
		Expect(string(session.Err.Contents())).To(ContainSubstring("root"))
		Expect(snapshot(acct.Home)).To(Equal(before))
	})

	It("refuses an account below the minimum uid set at build time", func() {
		before := snapshot(acct.Home)

		session := runHelper(bins.StrictBuild, bundleJSON(validBundle()), acct.Name)

		expectRefused(session)
		Expect(string(session.Err.Contents())).To(ContainSubstring("below the minimum 60001"))
		Expect(snapshot(acct.Home)).To(Equal(before))
	})

	// Every attack leaves the account's home and the root-owned targets exactly as they were.
	Describe("an attack", func() {
		var area string

		BeforeEach(func() {
			area = rootArea()
		})

		DescribeTable("is refused and changes nothing",
			func(setup setupFunc) {
				args, stdin := setup(acct, area)
				before := snapshot(acct.Home, area)

				session := runHelper(bins.Helper, stdin, args...)

				expectRefused(session)
				Expect(snapshot(acct.Home, area)).To(Equal(before))
			},
			Entry("~/.claude_rules is a symlink to a root-owned directory", func(a account, area string) ([]string, string) {
				symlink(a, filepath.Join(area, "rules"), filepath.Join(a.Home, ".claude_rules"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("~/.service_env is a symlink to a root-owned file", func(a account, area string) ([]string, string) {
				symlink(a, filepath.Join(area, "secret"), filepath.Join(a.Home, ".service_env"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("a delivered sc_*.md is a symlink to a root-owned file", func(a account, area string) ([]string, string) {
				a.plantDir(filepath.Join(a.Home, ".claude_rules"), 0o700)
				symlink(a, filepath.Join(area, "secret"), filepath.Join(a.Home, ".claude_rules", "sc_invoicing.md"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("a stale sc_*.md is a symlink to a root-owned file", func(a account, area string) ([]string, string) {
				a.plantDir(filepath.Join(a.Home, ".claude_rules"), 0o700)
				symlink(a, filepath.Join(area, "secret"), filepath.Join(a.Home, ".claude_rules", "sc_gone.md"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("~/.service_env is a FIFO", func(a account, area string) ([]string, string) {
				fifo(a, filepath.Join(a.Home, ".service_env"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("an sc_*.md is a FIFO", func(a account, area string) ([]string, string) {
				a.plantDir(filepath.Join(a.Home, ".claude_rules"), 0o700)
				fifo(a, filepath.Join(a.Home, ".claude_rules", "sc_invoicing.md"))
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("~/.claude_rules is a file", func(a account, area string) ([]string, string) {
				a.plant(filepath.Join(a.Home, ".claude_rules"), "not a dir\n", 0o600)
				return []string{a.Name}, bundleJSON(validBundle())
			}),
			Entry("an sc_*.md is a directory", func(a account, area string) ([]string, string) {
				a.plantDir(filepath.Join(a.Home, ".claude_rules"), 0o700)
				a.plantDir(filepath.Join(a.Home, ".claude_rules", "sc_invoicing.md"), 0o700)
				return []string{a.Name}, bundleJSON(validBundle())
			}),

			Entry("the username is root", named("root")),
			Entry("the username is daemon", named("daemon")),
			Entry("the username is nobody", named("nobody")),
			Entry("the username is ../x", named("../x")),
			Entry("the username is -x", named("-x")),
			Entry("the username is empty", named("")),
			Entry("the username is unknown", named("sctnobodyhere")),
			Entry("the username is 40 characters", named(strings.Repeat("a", 40))),
			Entry("the username has a space", named("alice bob")),
			Entry("there is no username", func(a account, area string) ([]string, string) {
				return nil, bundleJSON(validBundle())
			}),
			Entry("there are two usernames", func(a account, area string) ([]string, string) {
				return []string{a.Name, a.Name}, bundleJSON(validBundle())
			}),

			Entry("an env name has a newline", withEnv("PO\nAPI", poKey)),
			Entry("an env name has a quote", withEnv(`PO"KEY`, poKey)),
			Entry("an env name has a $", withEnv("PO$KEY", poKey)),
			Entry("an env name has a backtick", withEnv("PO`id`", poKey)),
			Entry("an env name has =", withEnv("PO=KEY", poKey)),
			Entry("an env name has a NUL", withEnv("PO\x00KEY", poKey)),
			Entry("an env name has a space", withEnv("PO KEY", poKey)),
			Entry("an env name is lower case", withEnv("po_key", poKey)),
			Entry("an env value has a newline", withEnv("PO_KEY", "pk_live_abc\nEVIL=1")),
			Entry("an env value has a quote", withEnv("PO_KEY", `pk_live_"abc`)),
			Entry("an env value has a $", withEnv("PO_KEY", "pk_live_$HOME")),
			Entry("an env value has a backtick", withEnv("PO_KEY", "pk_live_`id`")),
			Entry("an env value has a NUL", withEnv("PO_KEY", "pk_live_\x00abc")),
			Entry("an env value has a space", withEnv("PO_KEY", "pk_live abc")),
			Entry("an env value is too short", withEnv("PO_KEY", "short")),

			Entry("a skill name climbs out with ../", withSkill("../sc_x.md")),
			Entry("a skill name ends in a slash", withSkill("sc_x.md/")),
			Entry("a skill name lacks the sc_ prefix", withSkill("x.md")),
			Entry("a skill name is a path", withSkill("sub/sc_x.md")),
			Entry("a skill name is ~/.service_env", withSkill("../.service_env")),

			Entry("the JSON is larger than 1 MiB", withStdin(`{"env":[],"skills":[]}`+strings.Repeat(" ", delivery.MaxBundleSize))),
			Entry("a skill is larger than its limit", func(a account, area string) ([]string, string) {
				b := validBundle()
				b.Skills[0].Content = strings.Repeat("x", delivery.MaxSkillSize+1)
				return []string{a.Name}, bundleJSON(b)
			}),
			Entry("the JSON is truncated", withStdin(`{"env":[`)),
			Entry("the JSON is empty", withStdin(``)),
			Entry("the JSON is an array", withStdin(`[]`)),
			Entry("the JSON has an unknown field", withStdin(`{"env":[],"skills":[],"home":"/root"}`)),
			Entry("the JSON has trailing data", withStdin(`{"env":[],"skills":[]} {}`)),
			Entry("the JSON is not UTF-8", withStdin("{\"env\":[],\"skills\":[{\"name\":\"sc_a.md\",\"content\":\"\xff\"}]}")),
			Entry("an env name is duplicated", func(a account, area string) ([]string, string) {
				b := validBundle()
				b.Env[1].Name = b.Env[0].Name
				return []string{a.Name}, bundleJSON(b)
			}),
			Entry("a skill name is duplicated", func(a account, area string) ([]string, string) {
				b := validBundle()
				b.Skills[1].Name = b.Skills[0].Name
				return []string{a.Name}, bundleJSON(b)
			}),
		)
	})

	DescribeTable("a bundle with an env name that changes how programs run is refused, saying why, and changes nothing",
		func(name, why string) {
			acct.plant(filepath.Join(acct.Home, ".service_env"), "PO_API_KEY=pk_live_old12345\n", 0o600)
			before := snapshot(acct.Home)
			args, stdin := withEnv(name, "pk_live_value99")(acct, "")

			session := runHelper(bins.Helper, stdin, args...)

			expectRefused(session, "pk_live_value99")
			Expect(string(session.Err.Contents())).To(And(ContainSubstring(`env[2].name "`+name+`" is reserved: `), ContainSubstring(why)))
			Expect(snapshot(acct.Home)).To(Equal(before))
		},
		Entry("BASH_ENV", "BASH_ENV", "bash runs the file it names before every script"),
		Entry("ENV", "ENV", "sh and bash run the file it names when they start"),
		Entry("PATH", "PATH", "it decides which program a command runs"),
		Entry("LD_PRELOAD", "LD_PRELOAD", "like every name matching LD_*"),
		Entry("PYTHONSTARTUP", "PYTHONSTARTUP", "like every name matching PYTHON*"),
		Entry("NODE_OPTIONS", "NODE_OPTIONS", "Node.js"),
		Entry("HTTPS_PROXY", "HTTPS_PROXY", "like every name matching *_PROXY"),
		Entry("CURL_CA_BUNDLE", "CURL_CA_BUNDLE", "certificate authorities"),
		Entry("GIT_SSH_COMMAND", "GIT_SSH_COMMAND", "like every name matching GIT_*"),
	)

	DescribeTable("an account whose home is not a real directory is refused",
		func(makeHome func(dir string) (home string, theirs bool)) {
			dir, err := os.MkdirTemp("", "sct-home-")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(os.RemoveAll, dir)
			Expect(os.Chmod(dir, 0o755)).To(Succeed())
			home, theirs := makeHome(dir)
			odd := newAccount("-M", "-d", home)
			if theirs {
				odd.give(home)
			}
			before := snapshot(dir)

			session := runHelper(bins.Helper, bundleJSON(validBundle()), odd.Name)

			expectRefused(session)
			Expect(snapshot(dir)).To(Equal(before))
		},
		Entry("a regular file", func(dir string) (string, bool) {
			path := filepath.Join(dir, "home")
			Expect(os.WriteFile(path, []byte("a file\n"), 0o600)).To(Succeed())
			return path, true
		}),
		Entry("a symlink to a directory", func(dir string) (string, bool) {
			Expect(os.Mkdir(filepath.Join(dir, "real"), 0o755)).To(Succeed())
			Expect(os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "home"))).To(Succeed())
			return filepath.Join(dir, "home"), true
		}),
		Entry("missing", func(dir string) (string, bool) {
			return filepath.Join(dir, "home"), false
		}),
		Entry("a directory owned by root", func(dir string) (string, bool) {
			Expect(os.Mkdir(filepath.Join(dir, "home"), 0o777)).To(Succeed())
			Expect(os.Chmod(filepath.Join(dir, "home"), 0o777)).To(Succeed())
			return filepath.Join(dir, "home"), false
		}),
	)
})

func symlink(a account, target, link string) {
	GinkgoHelper()
	Expect(os.Symlink(target, link)).To(Succeed())
	a.give(link)
}

func fifo(a account, path string) {
	GinkgoHelper()
	Expect(unix.Mkfifo(path, 0o600)).To(Succeed())
	a.give(path)
}

// setupFunc prepares one attack and returns the helper's arguments and standard input.
type setupFunc = func(a account, area string) ([]string, string)

func named(username string) setupFunc {
	return func(account, string) ([]string, string) { return []string{username}, bundleJSON(validBundle()) }
}

func withEnv(name, value string) setupFunc {
	return func(a account, _ string) ([]string, string) {
		b := validBundle()
		b.Env = append(b.Env, delivery.EnvEntry{Name: name, Value: services.Secret(value), Service: "crm"})
		return []string{a.Name}, bundleJSON(b)
	}
}

func withSkill(name string) setupFunc {
	return func(a account, _ string) ([]string, string) {
		b := validBundle()
		b.Skills = append(b.Skills, delivery.Skill{Name: name, Content: "# x\n"})
		return []string{a.Name}, bundleJSON(b)
	}
}

func withStdin(stdin string) setupFunc {
	return func(a account, _ string) ([]string, string) { return []string{a.Name}, stdin }
}
