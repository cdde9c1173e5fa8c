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

// skillEnvVars are the keys the demo delivers when a person connects all three services.
var skillEnvVars = []string{"PO_API_KEY", "INVOICING_API_KEY", "CRM_API_KEY"}

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
	var (
		d         *demo
		project   string
		keys      []string
		delivered map[string]string // skill file → as delivered into alice's home
	)

	BeforeAll(func() {
		d = startDemo(map[string]string{"SC_ADDR": freeNonDefaultAddr(), "SC_DEMO_SERVICES_ADDR": freeNonDefaultAddr()})
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		for _, id := range []string{"purchase_orders", "invoicing", "crm"} {
			Expect(alice.api("connect", id).status).To(Equal(http.StatusOK))
		}
		env, _, ok := d.home("alice", ".service_env")
		Expect(ok).To(BeTrue())
		keys = nil
		for _, name := range skillEnvVars {
			key := d.envKey("alice", name)
			Expect(key).NotTo(BeEmpty(), name)
			keys = append(keys, key)
		}
		delivered = map[string]string{}
		for file := range skillServices {
			content, _, ok := d.home("alice", filepath.Join(".claude_rules", file))
			Expect(ok).To(BeTrue(), file)
			delivered[file] = content
		}
		project = GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(project, ".env"), []byte(env), 0o600)).To(Succeed())
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

	DescribeTable("run exactly as delivered against the reference services and print what they fetched",
		func(source skillExample) {
			examples := fencedExamples(source.file, delivered[source.file])
			Expect(examples).To(HaveLen(len(fencedExamples(source.file, mustRead(filepath.Join(skillDir, source.file))))),
				"the delivered skill has the same examples as the one written")
			ex := examples[source.index]
			Expect(ex.lang).To(Equal(source.lang))
			Expect(ex.code).To(ContainSubstring(d.services+"/"+skillServices[source.file]), "the example calls its service's real address")

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			DeferCleanup(cancel)
			var cmd *exec.Cmd
			switch ex.lang {
			case "python":
				// A script in the project dir, as a person would save it: load_dotenv() searches from there.
				script := filepath.Join(project, "example.py")
				Expect(os.WriteFile(script, []byte(ex.code), 0o600)).To(Succeed())
				cmd = exec.CommandContext(ctx, "/usr/bin/python3", script)
			case "bash":
				cmd = exec.CommandContext(ctx, "/bin/bash", "-c", ex.code)
			default:
				cmd = exec.CommandContext(ctx, "/bin/sh", "-c", ex.code)
			}
			cmd.Dir = project
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + project}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			out := stdout.String() + stderr.String()
			for _, key := range keys {
				Expect(out).NotTo(ContainSubstring(key), "an example printed a delivered key")
			}
			Expect(err).NotTo(HaveOccurred(), "the example failed:\n%s", out)
			Expect(strings.TrimSpace(stdout.String())).NotTo(BeEmpty(), "the example printed nothing")
			Expect(stderr.String()).To(BeEmpty())
			if strings.Contains(ex.code, "/api/whoami") {
				Expect(stdout.String()).To(ContainSubstring("alice@example.com"), "whoami should name the person who connected")
			}
			if ex.lang != "python" {
				// The curl examples print the service's answer as it came: one JSON object.
				var answer map[string]any
				Expect(json.Unmarshal(stdout.Bytes(), &answer)).To(Succeed(), "not a JSON object:\n%s", stdout.String())
				Expect(answer).NotTo(HaveKey("error"))
			} else {
				Expect(stdout.String()).NotTo(ContainSubstring("Traceback"))
			}
		},
		skillExamples(),
	)
})

// mustRead returns a file's contents.
func mustRead(path string) string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}
