package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// exampleEntries returns the example registry's entries, each compacted onto one line, so a
// registry built from them puts entry i on line i+2 in both forms.
func exampleEntries() []string {
	GinkgoHelper()
	data, err := os.ReadFile("../deploy/service_connectors.json")
	Expect(err).NotTo(HaveOccurred())
	var doc struct {
		Services []json.RawMessage `json:"services"`
	}
	Expect(json.Unmarshal(data, &doc)).To(Succeed())
	out := make([]string, len(doc.Services))
	for i, raw := range doc.Services {
		var b bytes.Buffer
		Expect(json.Compact(&b, raw)).To(Succeed())
		out[i] = b.String()
	}
	return out
}

// objectRegistry and bareRegistry lay out entries in the two forms a registry may take, with
// every entry on the same line and at the same columns.
func objectRegistry(entries []string) string {
	return "{\"services\": [\n" + strings.Join(entries, ",\n") + "\n]}\n"
}

func bareRegistry(entries []string) string {
	return "[\n" + strings.Join(entries, ",\n") + "\n]\n"
}

// colOf is the 1-based character column of needle in entry.
func colOf(entry, needle string) int {
	GinkgoHelper()
	i := strings.Index(entry, needle)
	Expect(i).To(BeNumerically(">=", 0), "%q is not in %s", needle, entry)
	return 1 + utf8.RuneCountInString(entry[:i])
}

// lineCol is the 1-based line and character column of the first needle in text.
func lineCol(text, needle string) (int, int) {
	GinkgoHelper()
	i := strings.Index(text, needle)
	Expect(i).To(BeNumerically(">=", 0), "%q is not in the text", needle)
	before := text[:i]
	return 1 + strings.Count(before, "\n"), 1 + utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:])
}

// writeRegistry writes contents into dir/name beside a copy of the example skills and returns
// its path.
func writeRegistry(dir, name, contents string) string {
	GinkgoHelper()
	if _, err := os.Stat(filepath.Join(dir, "skills")); os.IsNotExist(err) {
		Expect(os.CopyFS(filepath.Join(dir, "skills"), os.DirFS("../deploy/skills"))).To(Succeed())
	}
	path := filepath.Join(dir, name)
	Expect(os.WriteFile(path, []byte(contents), 0o600)).To(Succeed())
	return path
}

var _ = Describe("The registry as a bare JSON list", func() {
	var entries []string

	BeforeEach(func() {
		entries = exampleEntries()
		Expect(entries).To(HaveLen(3))
	})

	It("passes registry check, as the object form does", func() {
		dir := GinkgoT().TempDir()
		for _, doc := range []string{bareRegistry(entries), objectRegistry(entries)} {
			file := writeRegistry(dir, "service_connectors.json", doc)
			code, stdout, stderr := run(nil, "registry", "check", file)
			Expect(stderr).To(BeEmpty())
			Expect(code).To(Equal(0), stdout)
			Expect(stdout).To(Equal(file + ": ok, 3 services\n"))
		}
	})

	DescribeTable("fails registry check with the same located messages as the object form",
		func(edit func(entries []string, skills string) []string) {
			dir := GinkgoT().TempDir()
			writeRegistry(dir, "unused.json", "[]")
			want := edit(entries, filepath.Join(dir, "skills"))
			outputs := map[string]string{}
			for form, doc := range map[string]string{"object": objectRegistry(entries), "bare": bareRegistry(entries)} {
				file := writeRegistry(dir, form+".json", doc)
				code, stdout, _ := run(nil, "registry", "check", file)
				Expect(code).To(Equal(1), "%s form:\n%s", form, stdout)
				outputs[form] = strings.ReplaceAll(stdout, file, "FILE")
			}
			Expect(outputs["bare"]).To(Equal(outputs["object"]))
			Expect(strings.Split(strings.TrimSuffix(outputs["bare"], "\n"), "\n")).To(Equal(want))
		},
		Entry("a reserved env var name", func(e []string, _ string) []string {
			e[1] = strings.Replace(e[1], `"INVOICING_API_KEY"`, `"BASH_ENV"`, 1)
			return []string{fmt.Sprintf(`FILE:3:%d: services[1].env_var_name: "BASH_ENV" is reserved: bash runs the file it names before every script`, colOf(e[1], `"BASH_ENV"`))}
		}),
		Entry("an id used twice", func(e []string, _ string) []string {
			e[2] = strings.Replace(e[2], `"id":"crm"`, `"id":"invoicing"`, 1)
			return []string{fmt.Sprintf(`FILE:4:%d: services[2].id: "invoicing" is already used by services[1]`, colOf(e[2], `"invoicing"`))}
		}),
		Entry("an unknown field", func(e []string, _ string) []string {
			e[0] = strings.Replace(e[0], `"enabled":true`, `"enabled":true,"colour":"red"`, 1)
			return []string{fmt.Sprintf(`FILE:2:%d: services[0]: unknown field "colour"`, colOf(e[0], `"colour"`))}
		}),
		Entry("plain http to a host that is not loopback", func(e []string, _ string) []string {
			e[0] = strings.Replace(e[0], "http://127.0.0.1:8081/purchase_orders/health", "http://po.example.com/health", 1)
			return []string{fmt.Sprintf(`FILE:2:%d: services[0].health_url: "http://po.example.com/health" may use http only for a loopback host; use https`, colOf(e[0], `"http://po.example.com/health"`))}
		}),
		Entry("a skill using the address placeholder for a service without an api_base_url", func(e []string, skills string) []string {
			e[0] = strings.Replace(e[0], `"api_base_url":"http://127.0.0.1:8081/purchase_orders",`, "", 1)
			path := filepath.Join(skills, "sc_purchase_orders.md")
			line, col := lineCol(mustRead(path), "@@API_BASE_URL@@")
			return []string{fmt.Sprintf(`%s:%d:%d: uses @@API_BASE_URL@@, but services[0] ("purchase_orders") has no api_base_url in the registry`, path, line, col)}
		}),
		Entry("a skill that hard-codes a loopback address", func(e []string, skills string) []string {
			path := filepath.Join(skills, "sc_invoicing.md")
			Expect(os.WriteFile(path, []byte(strings.Replace(mustRead(path), "@@API_BASE_URL@@", "http://127.0.0.1:8081/invoicing", 1)), 0o600)).To(Succeed())
			line, col := lineCol(mustRead(path), "127.0.0.1:8081")
			return []string{fmt.Sprintf(`%s:%d:%d: hard-codes the loopback address "127.0.0.1:8081"; write @@API_BASE_URL@@ where the service's address belongs and give the service an api_base_url`, path, line, col)}
		}),
		Entry("a skill file with a NUL byte", func(e []string, skills string) []string {
			path := filepath.Join(skills, "sc_crm.md")
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(path, append([]byte("# CRM\x00\n"), data...), 0o600)).To(Succeed())
			return []string{fmt.Sprintf(`FILE:4:%d: services[2].skill_file: "sc_crm.md" contains a NUL byte (line 1, column 6)`, colOf(e[2], `"sc_crm.md"`))}
		}),
	)

	It("runs the demo, whose services then work end to end", func() {
		file := writeRegistry(GinkgoT().TempDir(), "service_connectors.json", bareRegistry(entries))
		d := startDemo(map[string]string{"SC_REGISTRY_FILE": file})
		alice := d.newBrowser()
		alice.signIn("alice@example.com")

		Expect(alice.api("connect", "invoicing").status).To(Equal(http.StatusOK))
		Expect(d.whoami("invoicing", d.envKey("alice", "INVOICING_API_KEY"))).To(Equal(http.StatusOK))
	})

	It("is picked up by the demo's live reload", Label("reload"), func() {
		file := writeRegistry(GinkgoT().TempDir(), "service_connectors.json", objectRegistry(entries))
		d := startDemo(map[string]string{"SC_REGISTRY_FILE": file, "SC_REGISTRY_RELOAD": "100ms"})
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		entries[0] = strings.Replace(entries[0], `"name":"Purchase Orders"`, `"name":"Purchase Orders (bare)"`, 1)
		Expect(os.WriteFile(file+".new", []byte(bareRegistry(entries)), 0o600)).To(Succeed())
		Expect(os.Rename(file+".new", file)).To(Succeed())

		Eventually(func() string { return alice.do(http.MethodGet, "/api/service-connectors", "", "").body }).
			WithTimeout(5 * time.Second).Should(ContainSubstring(`"name":"Purchase Orders (bare)"`))
	})

	It("starts serve", func() {
		env := serveEnv()
		Expect(os.WriteFile(env["SC_REGISTRY_FILE"], []byte(bareRegistry(entries)), 0o600)).To(Succeed())
		p := startServe(env, newFakeGoogle())

		resp, err := http.Get(p.url + "/readyz")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
	})
})
