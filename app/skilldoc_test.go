package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// skillDir holds the skill files as written; specs run with the package as working directory.
const skillDir = "../deploy/skills"

// skillServices maps each skill file to its service in the example registry.
var skillServices = map[string]string{
	"sc_purchase_orders.md": "purchase_orders",
	"sc_invoicing.md":       "invoicing",
	"sc_crm.md":             "crm",
}

// skillEnvVars maps each skill file to the key its service's env_var_name names; the demo
// delivers all three when a person connects every service.
var skillEnvVars = map[string]string{
	"sc_purchase_orders.md": "PO_API_KEY",
	"sc_invoicing.md":       "INVOICING_API_KEY",
	"sc_crm.md":             "CRM_API_KEY",
}

// skillExample is one fenced code block of a skill file that a reader would run.
type skillExample struct {
	file  string
	index int    // its place among the file's runnable examples
	lang  string // python, sh or bash
	code  string
}

// skillExamples parses the skill files as written when the tree is built, so that every
// example is its own entry; the specs run the same example of the skill as delivered.
func skillExamples() []TableEntry {
	files, err := filepath.Glob(filepath.Join(skillDir, "*.md"))
	if err != nil || len(files) == 0 {
		panic(fmt.Sprintf("reading the skill files in %s: %v", skillDir, err))
	}
	entries := []TableEntry{}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			panic(fmt.Sprintf("reading skill file %s: %v", path, err))
		}
		counts := map[string]int{}
		for i, ex := range fencedExamples(filepath.Base(path), string(data)) {
			ex.index = i
			kind := "shell"
			if ex.lang == "python" {
				kind = "python"
			}
			counts[kind]++
			entries = append(entries, Entry(fmt.Sprintf("%s: %s example %d", ex.file, kind, counts[kind]), ex))
		}
	}
	return entries
}

// fencedExamples returns the python and shell blocks of a markdown file, in order.
func fencedExamples(file, markdown string) []skillExample {
	runnable := map[string]string{"python": "python", "sh": "sh", "shell": "sh", "bash": "bash"}
	examples := []skillExample{}
	var current *skillExample
	var body strings.Builder
	inFence := false
	for _, line := range strings.Split(markdown, "\n") {
		trimmed := strings.TrimSpace(line)
		if !inFence {
			if info, ok := strings.CutPrefix(trimmed, "```"); ok {
				inFence = true
				current = nil
				if lang, ok := runnable[strings.ToLower(strings.Fields(info + " x")[0])]; ok {
					current = &skillExample{file: file, lang: lang}
					body.Reset()
				}
			}
			continue
		}
		if trimmed == "```" {
			inFence = false
			if current != nil {
				current.code = body.String()
				examples = append(examples, *current)
			}
			continue
		}
		if current != nil {
			body.WriteString(line + "\n")
		}
	}
	return examples
}

// freeNonDefaultAddr is a free loopback address on neither of the demo's default ports, so a
// skill that still called 127.0.0.1:8081 would find nothing there.
func freeNonDefaultAddr() string {
	GinkgoHelper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := ln.Addr().String()
		Expect(ln.Close()).To(Succeed())
		if !strings.HasSuffix(addr, ":8080") && !strings.HasSuffix(addr, ":8081") {
			return addr
		}
	}
}

var _ = Describe("The skill files' examples", Label("skills"), Ordered, ContinueOnFailure, func() {
	// syncModes are the two ways the laptop sync leaves the keys: in the project's .env, or in
	// a keys file outside the project (--keys-file), where only sc-run finds them.
	syncModes := []string{"keys in .env", "keys in a keys file outside the project"}

	var (
		d         *demo
		keys      map[string]string // env var name → alice's key
		delivered map[string]string // skill file → as delivered into alice's home
		home      string            // the analyst's home on the laptop, with sc-run in ~/.local/bin
		projects  map[string]string // sync mode → the project the sync filled
	)

	BeforeAll(func() {
		d = startDemo(map[string]string{"SC_ADDR": freeNonDefaultAddr(), "SC_DEMO_SERVICES_ADDR": freeNonDefaultAddr()})
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		for _, id := range []string{"purchase_orders", "invoicing", "crm"} {
			Expect(alice.api("connect", id).status).To(Equal(http.StatusOK))
		}
		keys = map[string]string{}
		for _, name := range skillEnvVars {
			keys[name] = d.envKey("alice", name)
			Expect(keys[name]).NotTo(BeEmpty(), name)
		}
		delivered = map[string]string{}
		for file := range skillServices {
			content, _, ok := d.home("alice", filepath.Join(".claude_rules", file))
			Expect(ok).To(BeTrue(), file)
			delivered[file] = content
		}

		// sc-run installed as README says, and each project filled by the real laptop sync
		// from alice's delivered home.
		home = GinkgoT().TempDir()
		installScript(filepath.Join(home, ".local", "bin", "sc-run"), mustRead("../deploy/client/sc-run"))
		Expect(os.MkdirAll(filepath.Join(home, ".config", "service-connector"), 0o700)).To(Succeed())
		syncScript, err := filepath.Abs("../deploy/client/sync-service-env.sh")
		Expect(err).NotTo(HaveOccurred())
		projects = map[string]string{}
		for i, mode := range syncModes {
			project := GinkgoT().TempDir()
			args := []string{syncScript, "--from-dir", filepath.Join(d.dataDir, "homes", "alice")}
			if i == 1 {
				args = append(args, "--keys-file", filepath.Join(home, ".config", "service-connector", "keys"))
			}
			out, err := laptopCommand(project, home, filepath.Join(home, ".local", "bin"), "/bin/sh", args...).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "the sync failed:\n%s", out)
			projects[mode] = project
		}
	})

	It("are delivered with the address the demo's reference services really listen on", func() {
		Expect(d.services).NotTo(Or(HaveSuffix(":8081"), HaveSuffix(":8080")))
		urlRE := regexp.MustCompile(`https?://[^\s"'` + "`" + `)]+`)
		for file, id := range skillServices {
			written, err := os.ReadFile(filepath.Join(skillDir, file))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(written)).To(ContainSubstring("@@API_BASE_URL@@"), "%s as written uses the placeholder", file)

			base := d.services + "/" + id
			Expect(delivered[file]).NotTo(ContainSubstring("@@"), file)
			Expect(delivered[file]).To(ContainSubstring("Base URL: `"+base+"`"), file)
			urls := urlRE.FindAllString(delivered[file], -1)
			Expect(urls).NotTo(BeEmpty(), file)
			Expect(urls).To(HaveEach(HavePrefix(base)), "%s: every address in it is its service's", file)
		}
	})

	It("reach the project through the laptop sync as delivered, the keys either in .env or only in the keys file", func() {
		for _, mode := range syncModes {
			for file := range skillServices {
				Expect(mustRead(filepath.Join(projects[mode], ".claude", "rules", file))).To(Equal(delivered[file]), "%s: %s", mode, file)
			}
		}
		withKeys, keysOutside := mustRead(filepath.Join(projects[syncModes[0]], ".env")), mustRead(filepath.Join(projects[syncModes[1]], ".env"))
		keysFile := mustRead(filepath.Join(home, ".config", "service-connector", "keys"))
		for name, key := range keys {
			Expect(withKeys).To(ContainSubstring(name+"="+key), name)
			Expect(keysOutside).NotTo(ContainSubstring(key), "%s: with a keys file, python-dotenv finds no key in .env, so only sc-run can give it", name)
			Expect(keysFile).To(ContainSubstring(name+"="+key), name)
		}
	})

	for _, mode := range syncModes {
		DescribeTable("run through sc-run exactly as delivered, with the "+mode+", print what the services answered and never a key",
			func(source skillExample) {
				project := projects[mode]
				examples := fencedExamples(source.file, delivered[source.file])
				Expect(examples).To(HaveLen(len(fencedExamples(source.file, mustRead(filepath.Join(skillDir, source.file))))),
					"the delivered skill has the same examples as the one written")
				ex := examples[source.index]
				Expect(ex.lang).To(Equal(source.lang))
				env := skillEnvVars[source.file]

				stdout, stderr, err := runExample(project, home, filepath.Join(home, ".local", "bin"), delivered[source.file], ex)

				for name, key := range keys {
					Expect(stdout+stderr).NotTo(ContainSubstring(key), "an example printed the key %s", name)
				}
				Expect(err).NotTo(HaveOccurred(), "the example failed:\n%s%s", stdout, stderr)
				Expect(stderr).To(BeEmpty())
				Expect(strings.TrimSpace(stdout)).NotTo(BeEmpty(), "the example printed nothing")
				if !strings.Contains(ex.code, d.services+"/"+skillServices[source.file]) {
					// The one example that calls no service shows the agent what sc-run does.
					Expect(ex.code).To(Equal("sc-run -- printenv " + env + "\n"))
					Expect(stdout).To(Equal("<"+env+">\n"), "sc-run prints the key's name where the key would be")
					return
				}
				if strings.Contains(ex.code, "/api/whoami") {
					Expect(stdout).To(ContainSubstring("alice@example.com"), "whoami should name the person who connected")
				}
				if ex.lang == "python" {
					Expect(stdout).NotTo(ContainSubstring("Traceback"))
					return
				}
				// The curl examples print the service's answer as it came: one JSON object.
				var answer map[string]any
				Expect(json.Unmarshal([]byte(stdout), &answer)).To(Succeed(), "not a JSON object:\n%s", stdout)
				Expect(answer).NotTo(HaveKey("error"))
			},
			skillExamples(),
		)
	}

	It("print <VAR> exactly where, without sc-run's masking, the same example prints the key", func() {
		// A stand-in for sc-run that gives the command the keys but masks nothing: what the
		// examples would print if sc-run did not mask, so the assertions above could fail.
		standIn := filepath.Join(GinkgoT().TempDir(), "bin")
		installScript(filepath.Join(standIn, "sc-run"), "#!/bin/sh\n[ \"$1\" = -- ] && shift\nset -a\n. '"+
			filepath.Join(d.dataDir, "homes", "alice", ".service_env")+"'\nset +a\nexec \"$@\"\n")
		project := projects[syncModes[0]]
		for file := range skillServices {
			env := skillEnvVars[file]
			shown := 0
			for _, ex := range fencedExamples(file, delivered[file]) {
				unmasked, unmaskedErr, err := runExample(project, home, standIn, delivered[file], ex)
				Expect(err).NotTo(HaveOccurred(), "%s without masking:\n%s%s", file, unmasked, unmaskedErr)
				if !strings.Contains(unmasked+unmaskedErr, keys[env]) {
					continue
				}
				shown++
				masked, maskedErr, err := runExample(project, home, filepath.Join(home, ".local", "bin"), delivered[file], ex)
				Expect(err).NotTo(HaveOccurred())
				Expect(masked).To(Equal(strings.ReplaceAll(unmasked, keys[env], "<"+env+">")), file)
				Expect(maskedErr).To(Equal(strings.ReplaceAll(unmaskedErr, keys[env], "<"+env+">")), file)
			}
			Expect(shown).To(BeNumerically(">=", 1), "%s: no example would print the key without sc-run, so none shows the masking", file)
		}
	})
})

// runExample runs one example of a skill in project as the agent would, with the sc-run found
// in bin: a shell example as it is written, a Python example saved as a file in the project and
// run with the command the skill gives for it.
func runExample(project, home, bin, skill string, ex skillExample) (stdout, stderr string, err error) {
	GinkgoHelper()
	shell, code := "/bin/sh", ex.code
	switch ex.lang {
	case "python":
		const script = "SCRIPT.py"
		run := regexp.MustCompile("`(sc-run -- python3 " + regexp.QuoteMeta(script) + ")`").FindStringSubmatch(skill)
		Expect(run).NotTo(BeNil(), "the skill says how to run its Python examples: `sc-run -- python3 %s`", script)
		Expect(os.WriteFile(filepath.Join(project, "example.py"), []byte(ex.code), 0o600)).To(Succeed())
		code = strings.Replace(run[1], script, "example.py", 1)
	case "bash":
		shell = "/bin/bash"
	}
	var out, errOut bytes.Buffer
	cmd := laptopCommand(project, home, bin, shell, "-c", code)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// laptopCommand is a command run in project on the analyst's laptop: a clean environment whose
// PATH finds bin first (where sc-run is), then the system's python3, curl and shells. It is
// killed after 20 seconds.
func laptopCommand(project, home, bin, name string, args ...string) *exec.Cmd {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	DeferCleanup(cancel)
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = project
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + home}
	return cmd
}

// installScript writes an executable script at path, making its directory.
func installScript(path, contents string) {
	GinkgoHelper()
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(contents), 0o755)).To(Succeed())
}

// mustRead returns a file's contents.
func mustRead(path string) string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}
