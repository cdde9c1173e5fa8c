package client_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// parseJSON is the value a settings file holds.
func parseJSON(text string) map[string]any {
	GinkgoHelper()
	var v map[string]any
	Expect(json.Unmarshal([]byte(text), &v)).To(Succeed(), text)
	return v
}

var _ = Describe("Denying the agent the files that hold keys", func() {
	for _, shell := range shells {
		When("run by "+shell, func() {
			var (
				r        runner
				project  string
				server   string
				settings string
			)

			BeforeEach(func() {
				r = newRunner(shell, "original-awk")
				project = GinkgoT().TempDir()
				server = GinkgoT().TempDir()
				settings = filepath.Join(project, ".claude", "settings.json")
				writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
				writeFile(filepath.Join(project, ".env"), "A=1\n", 0o600)
			})

			DescribeTable("merges Read(./.env) into permissions.deny, keeping every other setting",
				func(existing *string, want string) {
					if existing != nil {
						writeFile(settings, *existing, 0o640)
					}
					res := r.run(project, "--from-dir", server)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(res.stdout).To(ContainSubstring("added Read(./.env) to permissions.deny in ./.claude/settings.json"))
					got := readFile(settings)
					Expect(parseJSON(got)).To(Equal(parseJSON(want)))
					info, err := os.Stat(settings)
					Expect(err).NotTo(HaveOccurred())
					if existing != nil {
						Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o640)), "the file keeps its mode")
					} else {
						Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o644)))
					}
					expectServerKeysLoaded(filepath.Join(project, ".env"))
				},
				Entry("no settings file", nil, `{"permissions":{"deny":["Read(./.env)"]}}`),
				Entry("an empty object", ptr("{}\n"), `{"permissions":{"deny":["Read(./.env)"]}}`),
				Entry("other settings and permissions",
					ptr(`{"model": "opus", "permissions": {"allow": ["Bash(ls)"], "deny": ["Bash(rm *)"], "defaultMode": "default"}, "env": {"X": "1"}, "n": 12345678901234567890, "f": 1.5, "u": "caf\u00e9 \ud83d\ude00"}`),
					`{"model": "opus", "permissions": {"allow": ["Bash(ls)"], "deny": ["Bash(rm *)", "Read(./.env)"], "defaultMode": "default"}, "env": {"X": "1"}, "n": 12345678901234567890, "f": 1.5, "u": "café 😀"}`),
				Entry("permissions without a deny list", ptr(`{"permissions": {"allow": ["Read"]}}`), `{"permissions": {"allow": ["Read"], "deny": ["Read(./.env)"]}}`),
				Entry("a deny list holding other rules", ptr(`{"permissions": {"deny": ["Read(./.env.*)", 7]}}`), `{"permissions": {"deny": ["Read(./.env.*)", 7, "Read(./.env)"]}}`),
			)

			It("keeps the order and the exact numbers of the settings it rewrites", func() {
				writeFile(settings, `{"z": 12345678901234567890, "permissions": {"deny": []}, "a": 2.5}`, 0o644)
				res := r.run(project, "--from-dir", server)
				Expect(res.code).To(Equal(0), res.stderr)
				got := readFile(settings)
				Expect(got).To(ContainSubstring("12345678901234567890"))
				Expect(got).To(ContainSubstring("2.5"))
				Expect(strings.Index(got, `"z"`)).To(BeNumerically("<", strings.Index(got, `"permissions"`)))
				Expect(strings.Index(got, `"permissions"`)).To(BeNumerically("<", strings.Index(got, `"a"`)))
			})

			It("leaves a file whose deny list already holds the rule byte for byte alone", func() {
				original := "{\n    \"permissions\":{\"deny\":[ \"Read(./.env)\" ]},\n    \"model\":\"opus\"\n}"
				writeFile(settings, original, 0o600)
				old := time.Now().Add(-time.Hour).Truncate(time.Second)
				Expect(os.Chtimes(settings, old, old)).To(Succeed())
				res := r.run(project, "--from-dir", server)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(res.stdout).NotTo(ContainSubstring("permissions.deny"))
				Expect(readFile(settings)).To(Equal(original))
				info, err := os.Stat(settings)
				Expect(err).NotTo(HaveOccurred())
				Expect(info.ModTime()).To(Equal(old))
			})

			It("denies the file --env names, relative to the project", func() {
				Expect(os.Mkdir(filepath.Join(project, "sub"), 0o700)).To(Succeed())
				res := r.run(project, "--from-dir", server, "--env", "sub/.env.local")
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(parseJSON(readFile(settings))).To(Equal(parseJSON(`{"permissions":{"deny":["Read(./sub/.env.local)"]}}`)))
			})

			DescribeTable("refuses, changing nothing, a settings file it cannot merge into",
				func(existing, reason string) {
					writeFile(settings, existing, 0o644)
					before := takeSnapshot(project)
					res := r.run(project, "--from-dir", server)
					Expect(res.code).NotTo(Equal(0))
					Expect(res.stderr).To(ContainSubstring("./.claude/settings.json cannot be updated"))
					Expect(res.stderr).To(ContainSubstring(reason))
					Expect(res.stderr).To(ContainSubstring("--no-agent-settings"))
					Expect(res.stderr).To(ContainSubstring("nothing changed"))
					before.expectUnchanged(project)
				},
				Entry("a line comment", "{\n  // mine\n  \"model\": \"opus\"\n}\n", "line 2, column 3"),
				Entry("a block comment", "{ /* mine */ \"model\": \"opus\" }", "comments and trailing commas"),
				Entry("a trailing comma in an object", "{\"model\": \"opus\",}", "comments and trailing commas"),
				Entry("a trailing comma in the deny list", "{\"permissions\": {\"deny\": [\"Bash(rm *)\",]}}", "comments and trailing commas"),
				Entry("a key twice", "{\"model\": \"opus\", \"model\": \"sonnet\"}", `the key "model" appears twice`),
				Entry("NaN", "{\"x\": NaN}", "NaN is not a JSON number"),
				Entry("an empty file", "", "not strict JSON"),
				Entry("bytes that are not UTF-8", "{\"model\": \"\xff\"}", "not strict JSON"),
				Entry("a list", "[]", "not a JSON object"),
				Entry("permissions that are not an object", "{\"permissions\": []}", `"permissions" is not an object`),
				Entry("a deny that is not a list", "{\"permissions\": {\"deny\": \"Read(./.env)\"}}", `"permissions.deny" is not a list`),
			)

			It("refuses a symlinked settings file and changes nothing", func() {
				real := filepath.Join(project, "settings.real.json")
				writeFile(real, "{}", 0o644)
				Expect(os.MkdirAll(filepath.Dir(settings), 0o700)).To(Succeed())
				Expect(os.Symlink(real, settings)).To(Succeed())
				before := takeSnapshot(project)
				res := r.run(project, "--from-dir", server)
				Expect(res.code).NotTo(Equal(0))
				Expect(res.stderr).To(ContainSubstring("symlink"))
				before.expectUnchanged(project)
			})

			It("leaves the settings alone with --no-agent-settings", func() {
				writeFile(settings, "{ // mine\n}", 0o644)
				res := r.run(project, "--from-dir", server, "--no-agent-settings")
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(readFile(settings)).To(Equal("{ // mine\n}"))
				expectServerKeysLoaded(filepath.Join(project, ".env"))
			})

			It("says what it would add with --dry-run and adds nothing", func() {
				res := r.run(project, "--from-dir", server, "--dry-run")
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(res.stdout).To(ContainSubstring("would add Read(./.env) to permissions.deny"))
				Expect(settings).NotTo(BeAnExistingFile())
			})

			It("finds a python3 that runs when the first in PATH is a broken shim", func() {
				shim := filepath.Join(GinkgoT().TempDir(), "python3")
				writeFile(shim, "#!/bin/sh\necho 'pyenv: python3: command not found' >&2\nexit 127\n", 0o755)
				r.path = filepath.Dir(shim) + string(os.PathListSeparator) + r.path
				res := r.run(project, "--from-dir", server)
				Expect(res.code).To(Equal(0), res.stderr)
				Expect(parseJSON(readFile(settings))).To(Equal(parseJSON(`{"permissions":{"deny":["Read(./.env)"]}}`)))
			})

			It("stops, changing nothing, when the python3 it is given does not run", func() {
				r.env = append(r.env, "SC_PYTHON=/nonexistent/python3")
				before := takeSnapshot(project)
				res := r.run(project, "--from-dir", server)
				Expect(res.code).NotTo(Equal(0))
				Expect(res.stderr).To(ContainSubstring("found no python3 that runs"))
				Expect(res.stderr).To(ContainSubstring("--no-agent-settings"))
				before.expectUnchanged(project)
			})
		})
	}
})

func ptr(s string) *string { return &s }

// nobodyUID is the account the specs run the sync as when root would not show the problem:
// root writes into a read-only file, an analyst cannot.
const nobodyUID = 65534

var _ = Describe("A read-only settings file", Label("root"), func() {
	It("gets the deny rule all the same, keeping its mode, when the sync runs as its owner", func() {
		base, err := os.MkdirTemp("", "sc-ro-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, base)
		Expect(os.Chmod(base, 0o755)).To(Succeed())
		project, server, tmp := filepath.Join(base, "project"), filepath.Join(base, "server"), filepath.Join(base, "tmp")
		writeFile(filepath.Join(server, ".service_env"), serverEnv, 0o600)
		writeFile(filepath.Join(project, ".env"), "A=1\n", 0o600)
		settings := filepath.Join(project, ".claude", "settings.json")
		writeFile(settings, `{"model": "opus"}`+"\n", 0o444)
		Expect(os.MkdirAll(tmp, 0o700)).To(Succeed())
		// The checkout may sit where nobody cannot read (mktemp -d makes 0700 dirs): run a copy.
		script := filepath.Join(base, "sync-service-env.sh")
		writeFile(script, readFile(scriptPath()), 0o755)
		Expect(filepath.Walk(base, func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(p, nobodyUID, nobodyUID)
		})).To(Succeed())

		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		defer cancel()
		cmd := boundedCommand(ctx, "/usr/bin/dash", script, "--from-dir", server)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID}
		cmd.Dir = project
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + base, "TMPDIR=" + tmp}
		out, err := cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(parseJSON(readFile(settings))).To(HaveKeyWithValue("model", "opus"))
		Expect(readFile(settings)).To(ContainSubstring(`"Read(./.env)"`))
		info, err := os.Stat(settings)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o444)))
		Expect(loadDotenv(filepath.Join(project, ".env"), "PO_API_KEY")).To(HaveKey("PO_API_KEY"))
	})
})
