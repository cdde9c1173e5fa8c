package client_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const keysHeader = "# Service Connector keys, written by sync-service-env.sh --keys-file. Run commands with sc-run; edits are overwritten.\n"

var _ = Describe("Keeping the keys out of the project with --keys-file", func() {
	for _, shell := range shells {
		When("run by "+shell, func() {
			var (
				r        runner
				project  string
				server   string
				outside  string
				keys     string
				envPath  string
				settings string
			)

			BeforeEach(func() {
				r = newRunner(shell, "mawk")
				project = GinkgoT().TempDir()
				server = GinkgoT().TempDir()
				outside = GinkgoT().TempDir()
				keys = filepath.Join(outside, "keys")
				envPath = filepath.Join(project, ".env")
				settings = filepath.Join(project, ".claude", "settings.json")
				writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
				writeFile(envPath, userLines+oldBlock+"LAST=1\n", 0o644)
			})

			It("writes the keys to the file, only its path to .env, and denies the agent both", func() {
				res := r.run(project, "--from-dir", server, "--keys-file", keys)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(res.stdout).To(ContainSubstring("wrote 2 key(s) into " + keys))
				Expect(res.stdout + res.stderr).NotTo(ContainSubstring("pk_live_abc123"))

				env := readFile(envPath)
				Expect(outsideBlock(env)).To(Equal(userLines + "LAST=1\n"))
				Expect(blockKeys(env)).To(Equal([]string{"SC_KEYS_FILE=" + keys}))
				Expect(env).NotTo(ContainSubstring("pk_live_abc123"))
				Expect(env).NotTo(ContainSubstring("old_value"))
				loaded := loadDotenv(envPath, "PO_API_KEY", "CRM_API_KEY", "DB_PASSWORD")
				Expect(loaded["PO_API_KEY"]).To(BeNil())
				Expect(loaded["CRM_API_KEY"]).To(BeNil())
				Expect(loaded["DB_PASSWORD"]).To(HaveValue(Equal("s3cret")))

				Expect(readFile(keys)).To(Equal(keysHeader + serverEnv))
				info, err := os.Stat(keys)
				Expect(err).NotTo(HaveOccurred())
				Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
				Expect(loadDotenv(keys, "PO_API_KEY")["PO_API_KEY"]).To(HaveValue(Equal("pk_live_abc123")))

				Expect(parseJSON(readFile(settings))).To(Equal(parseJSON(`{"permissions":{"deny":["Read(./.env)","Read(/` + keys + `)"]}}`)))
			})

			It("lets sc-run give a command the keys, masked in its output", func() {
				Expect(r.run(project, "--from-dir", server, "--keys-file", keys).code).To(Equal(0))
				res := r.runScript(scRunPath(), project, nil, "--", "sh", "-c", `echo "$PO_API_KEY $CRM_API_KEY"; test "$PO_API_KEY" = pk_live_abc123 && echo same`)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(res.stdout).To(Equal("<PO_API_KEY> <CRM_API_KEY>\nsame\n"))
			})

			It("changes nothing when run a second time, and follows the server's changes after", func() {
				Expect(r.run(project, "--from-dir", server, "--keys-file", keys).code).To(Equal(0))
				before := takeSnapshot(project)
				old := time.Now().Add(-time.Hour).Truncate(time.Second)
				Expect(os.Chtimes(keys, old, old)).To(Succeed())
				res := r.run(project, "--from-dir", server, "--keys-file", keys)
				Expect(res.code).To(Equal(0), res.stderr)
				before.expectUnchanged(project)
				info, err := os.Stat(keys)
				Expect(err).NotTo(HaveOccurred())
				Expect(info.ModTime()).To(Equal(old))

				writeFile(filepath.Join(server, ".service_env"), serverHeader+"PO_API_KEY=pk_live_new4567\n", 0o600)
				res = r.run(project, "--from-dir", server, "--keys-file", keys)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(readFile(keys)).To(Equal(keysHeader + serverHeader + "PO_API_KEY=pk_live_new4567\n"))
				Expect(blockKeys(readFile(envPath))).To(Equal([]string{"SC_KEYS_FILE=" + keys}))
			})

			It("puts the keys back into .env when run without --keys-file", func() {
				Expect(r.run(project, "--from-dir", server, "--keys-file", keys).code).To(Equal(0))
				res := r.run(project, "--from-dir", server)
				Expect(res.code).To(Equal(0), res.stderr)
				expectServerKeysLoaded(envPath)
			})

			It("overwrites an empty file at that path", func() {
				writeFile(keys, "", 0o644)
				res := r.run(project, "--from-dir", server, "--keys-file", keys)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(readFile(keys)).To(Equal(keysHeader + serverEnv))
				info, err := os.Stat(keys)
				Expect(err).NotTo(HaveOccurred())
				Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
			})

			DescribeTable("refuses a keys file the agent could read or that is not ours, and changes nothing",
				func(shape func() string, reason string) {
					path := shape()
					beforeProject := takeSnapshot(project)
					beforeOutside := takeSnapshot(outside)
					res := r.run(project, "--from-dir", server, "--keys-file", path)
					Expect(res.code).NotTo(Equal(0))
					Expect(res.stderr).To(ContainSubstring(reason))
					Expect(res.stderr).To(ContainSubstring("nothing changed"))
					Expect(res.stderr).NotTo(ContainSubstring("pk_live_abc123"))
					beforeProject.expectUnchanged(project)
					beforeOutside.expectUnchanged(outside)
				},
				Entry("a file in the project", func() string { return "keys" }, "inside the project"),
				Entry("a file below the project", func() string {
					Expect(os.Mkdir(filepath.Join(project, "private"), 0o700)).To(Succeed())
					return filepath.Join(project, "private", "keys")
				}, "inside the project"),
				Entry("a path into the project through a symlinked directory", func() string {
					Expect(os.Mkdir(filepath.Join(project, "private"), 0o700)).To(Succeed())
					Expect(os.Symlink(filepath.Join(project, "private"), filepath.Join(outside, "link"))).To(Succeed())
					return filepath.Join(outside, "link", "keys")
				}, "inside the project"),
				Entry("a path out of the project through a symlinked directory in it", func() string {
					Expect(os.Symlink(outside, filepath.Join(project, "out"))).To(Succeed())
					return "out/keys"
				}, "inside the project"),
				Entry("a file elsewhere in the git work tree around the project", func() string {
					repo := filepath.Join(outside, "repo")
					Expect(os.MkdirAll(filepath.Join(repo, "other"), 0o700)).To(Succeed())
					out, err := exec.Command("git", "init", "-q", repo).CombinedOutput()
					Expect(err).NotTo(HaveOccurred(), string(out))
					Expect(os.Rename(project, filepath.Join(repo, "project"))).To(Succeed())
					project = filepath.Join(repo, "project")
					envPath = filepath.Join(project, ".env")
					return filepath.Join(repo, "other", "keys")
				}, "inside the project"),
				Entry("a file of the analyst's", func() string {
					writeFile(keys, "export AWS_SECRET_ACCESS_KEY=mine\n", 0o600)
					return keys
				}, "was not written by sync-service-env.sh"),
				Entry("a symlink", func() string {
					writeFile(filepath.Join(outside, "real"), keysHeader, 0o600)
					Expect(os.Symlink(filepath.Join(outside, "real"), keys)).To(Succeed())
					return keys
				}, "symlink"),
				Entry("a directory", func() string {
					Expect(os.Mkdir(keys, 0o700)).To(Succeed())
					return keys
				}, "not a regular file"),
				Entry("a directory that does not exist", func() string { return filepath.Join(outside, "missing", "keys") }, "does not exist"),
				Entry("a path with a space", func() string {
					Expect(os.Mkdir(filepath.Join(outside, "a b"), 0o700)).To(Succeed())
					return filepath.Join(outside, "a b", "keys")
				}, "use a path of letters"),
				Entry("a path with a quote", func() string { return filepath.Join(outside, "k'eys") }, "use a path of letters"),
			)

			It("says what it would do with --dry-run and does nothing", func() {
				before := takeSnapshot(project)
				res := r.run(project, "--from-dir", server, "--keys-file", keys, "--dry-run")
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(res.stdout).To(ContainSubstring("would write 2 key(s) into " + keys))
				Expect(res.stdout).To(ContainSubstring("would point ./.env at " + keys))
				before.expectUnchanged(project)
				Expect(keys).NotTo(BeAnExistingFile())
			})
		})
	}

	It("is passed on by the sync_data.sh snippet from SC_KEYS_FILE", func() {
		r := newRunner("/usr/bin/dash", "gawk")
		platform, project, home := GinkgoT().TempDir(), GinkgoT().TempDir(), GinkgoT().TempDir()
		keys := filepath.Join(GinkgoT().TempDir(), "keys")
		writeFile(filepath.Join(platform, "sync_data.sh"), "#!/bin/sh\n"+
			strings.ReplaceAll(readFile("sync_data.snippet.sh"), `--host "${SC_HOST:-data-analyst}"`, `--host "${SC_HOST:-data-analyst}" --from-dir "$SPEC_HOME"`), 0o755)
		writeFile(filepath.Join(platform, "sync-service-env.sh"), readFile("sync-service-env.sh"), 0o755)
		writeFile(filepath.Join(home, ".service_env"), serverEnv, 0o600)
		cmd := exec.Command(r.shell, filepath.Join(platform, "sync_data.sh"))
		cmd.Dir = project
		cmd.Env = []string{"PATH=" + r.path, "HOME=" + project, "SPEC_HOME=" + home, "SC_KEYS_FILE=" + keys}
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).NotTo(ContainSubstring("not updated"))
		Expect(blockKeys(readFile(filepath.Join(project, ".env")))).To(Equal([]string{"SC_KEYS_FILE=" + keys}))
		Expect(readFile(keys)).To(Equal(keysHeader + serverEnv))
	})
})
