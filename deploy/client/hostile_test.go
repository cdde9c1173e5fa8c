package client_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const serverHeader = "# Service Connector: keys for the services you connected. Managed by the portal; edits are overwritten.\n"

// hostileProject is a project with a .env of the analyst's, an old block and a skill, and a
// server directory, for specs where the server's file must change none of it.
type hostileProject struct {
	r       runner
	project string
	server  string
}

func newHostileProject(shell, awk string) hostileProject {
	GinkgoHelper()
	h := hostileProject{r: newRunner(shell, awk), project: GinkgoT().TempDir(), server: GinkgoT().TempDir()}
	writeFile(filepath.Join(h.project, ".env"), userLines+oldBlock+"LAST=1\n", 0o600)
	writeFile(filepath.Join(h.project, ".claude", "rules", "sc_old.md"), "old\n", 0o600)
	return h
}

// expectRefused runs the sync over a server file and checks it stopped, said why, printed
// no value of the file and changed nothing in the project.
func (h hostileProject) expectRefused(serverFile, reason string, secrets ...string) {
	GinkgoHelper()
	writeFile(filepath.Join(h.server, ".service_env"), serverFile, 0o600)
	before := takeSnapshot(h.project)
	res := h.r.run(h.project, "--from-dir", h.server)
	Expect(res.code).NotTo(Equal(0), "the sync accepted %q", serverFile)
	Expect(res.stderr).To(ContainSubstring("nothing changed"))
	Expect(res.stderr).To(ContainSubstring(reason))
	for _, s := range secrets {
		Expect(res.stdout + res.stderr).NotTo(ContainSubstring(s))
	}
	before.expectUnchanged(h.project)
}

var _ = Describe("Refusing what a hostile server sends", func() {
	for _, shell := range shells {
		for _, awk := range awks {
			When("run by "+shell+" with "+awk, func() {
				var h hostileProject

				BeforeEach(func() {
					h = newHostileProject(shell, awk)
				})

				DescribeTable("refuses a server file with lines python-dotenv or the next sync would read otherwise",
					func(serverFile, reason string) {
						h.expectRefused(serverFile, reason, "evil", "pk_live_abc123")
					},
					// python-dotenv takes a lone CR for a line break.
					Entry("a CR in a comment that hides a variable", serverHeader+"# note\rOPENAI_BASE_URL=https://evil.example.com\n", "line 2 "),
					Entry("a CR in a comment that opens a quote", serverHeader+"# note\rZ=\"\nPO_API_KEY=pk_live_abc123\n", "line 2 "),
					Entry("a CR at the end of a comment", serverHeader+"# purchase_orders expires 2027-11-22T12:00:00Z\r\nPO_API_KEY=pk_live_abc123\n", "line 2 "),
					Entry("a CR at the end of a key line", serverHeader+"PO_API_KEY=pk_live_abc123\r\n", "line 2 "),
					Entry("a lone CR line", serverHeader+"\r\nPO_API_KEY=pk_live_abc123\n", "line 2 "),
					Entry("a CR inside a key line", serverHeader+"PO_API_KEY=pk_live\rabc123evil\n", "line 2 "),
					// A marker the .env side would read after taking off a CR.
					Entry("an END marker followed by two CRs", serverHeader+endMark+"\r\r\nPO_API_KEY=pk_live_abc123\n", "block marker"),
					Entry("a START marker followed by two CRs", serverHeader+startMark+"\r\r\nPO_API_KEY=pk_live_abc123\n", "block marker"),
					Entry("an END marker followed by a CR", serverHeader+endMark+"\r\nPO_API_KEY=pk_live_abc123\n", "block marker"),
					Entry("an END marker followed by blanks", serverHeader+endMark+" \t\nPO_API_KEY=pk_live_abc123\n", "block marker"),
					Entry("a NUL byte in a comment", serverHeader+"# x\x00PO_API_KEY=evil_value_1\nPO_API_KEY=pk_live_abc123\n", "NUL"),
					Entry("bytes python-dotenv cannot decode", serverHeader+"# caf\xff\nPO_API_KEY=pk_live_abc123\n", "line 2 "),
					Entry("an escape sequence in a comment", serverHeader+"# \x1b]0;evil\x07\nPO_API_KEY=pk_live_abc123\n", "line 2 "),
					Entry("a lower-case name", serverHeader+"http_proxy=http://evil.example.com:3128\n", "line 2 "),
					Entry("a key shorter than the protocol allows", serverHeader+"PO_API_KEY=evil\n", "line 2 "),
					Entry("a key with a character outside the protocol's", serverHeader+"PO_API_KEY=evil@example.com\n", "line 2 "),
					Entry("an empty key", serverHeader+"PO_API_KEY=\n", "line 2 "),
				)
			})
		}
	}

	for _, awk := range awks {
		When("run by dash with "+awk, func() {
			var h hostileProject

			BeforeEach(func() {
				h = newHostileProject("/usr/bin/dash", awk)
			})

			DescribeTable("refuses a variable that changes how programs start, load code or connect",
				func(name string) {
					h.expectRefused(serverHeader+"# purchase_orders expires 2027-11-22T12:00:00Z\nPO_API_KEY=pk_live_abc123\n"+
						"# evil expires 2027-11-22T12:00:00Z\n"+name+"=/home/alice/.claude_rules/sc_evil.md\n", "sets "+name, "evil", "pk_live_abc123")
				},
				Entry(nil, "BASH_ENV"),
				Entry(nil, "ENV"),
				Entry(nil, "LD_PRELOAD"),
				Entry(nil, "LD_LIBRARY_PATH"),
				Entry(nil, "DYLD_INSERT_LIBRARIES"),
				Entry(nil, "PATH"),
				Entry(nil, "HOME"),
				Entry(nil, "SHELL"),
				Entry(nil, "IFS"),
				Entry(nil, "PS4"),
				Entry(nil, "PROMPT_COMMAND"),
				Entry(nil, "PYTHONSTARTUP"),
				Entry(nil, "PYTHONPATH"),
				Entry(nil, "NODE_OPTIONS"),
				Entry(nil, "PERL5OPT"),
				Entry(nil, "RUBYOPT"),
				Entry(nil, "JAVA_TOOL_OPTIONS"),
				Entry(nil, "HTTPS_PROXY"),
				Entry(nil, "ALL_PROXY"),
				Entry(nil, "NO_PROXY"),
				Entry(nil, "SSL_CERT_FILE"),
				Entry(nil, "REQUESTS_CA_BUNDLE"),
				Entry(nil, "CURL_CA_BUNDLE"),
				Entry(nil, "NODE_EXTRA_CA_CERTS"),
				Entry(nil, "GIT_SSH_COMMAND"),
				Entry(nil, "SSH_AUTH_SOCK"),
				Entry(nil, "LANG"),
				Entry(nil, "LC_ALL"),
				Entry(nil, "TMPDIR"),
				Entry(nil, "GCONV_PATH"),
				Entry(nil, "OPENSSL_CONF"),
				Entry(nil, "SC_SSH_OPTS"),
				Entry(nil, "SC_KEYS_FILE"),
				// make reads the file as a makefile: with a skill of the server's there, make runs it.
				Entry(nil, "MAKEFILES"),
				Entry(nil, "GOFLAGS"),
				Entry(nil, "GOTOOLCHAIN"),
				Entry(nil, "CFLAGS"),
				Entry(nil, "PSQLRC"),
				Entry(nil, "BUNDLE_GEMFILE"),
				// bash keeps it for itself: sc-run under bash could not hand the key over, nor mask it.
				Entry(nil, "GROUPS"),
				Entry(nil, "SECONDS"),
			)

			DescribeTable("accepts a name that only looks like a reserved one",
				func(name string) {
					writeFile(filepath.Join(h.server, ".service_env"), serverHeader+name+"=pk_live_abc123\n", 0o600)
					res := h.r.run(h.project, "--from-dir", h.server)
					Expect(res.code).To(Equal(0), res.stderr)
					Expect(blockKeys(readFile(filepath.Join(h.project, ".env")))).To(Equal([]string{name + "=pk_live_abc123"}))
				},
				Entry(nil, "PATH_API_KEY"),
				Entry(nil, "HOMEBASE_API_KEY"),
				Entry(nil, "LANGCHAIN_API_KEY"),
				Entry(nil, "GITHUB_TOKEN"),
				Entry(nil, "SSHKEY_API_KEY"),
				Entry(nil, "PROXY_API_KEY"),
				Entry(nil, "MY_LD_KEY"),
				Entry(nil, "SCALE_API_KEY"),
				Entry(nil, "PIPEDRIVE_API_KEY"),
				Entry(nil, "TZ_API_KEY"),
			)
		})
	}

	It("prints no control character of the server's when a transfer fails", func() {
		h := newHostileProject("/usr/bin/dash", "gawk")
		fake := filepath.Join(GinkgoT().TempDir(), "ssh")
		writeFile(fake, "#!/bin/sh\nprintf 'cat: .service_env: \\033]0;owned\\007\\033[2Jgone\\r\\n' >&2\nexit 1\n", 0o755)
		h.r.path = filepath.Dir(fake) + string(os.PathListSeparator) + h.r.path
		before := takeSnapshot(h.project)
		res := h.r.run(h.project)
		Expect(res.code).NotTo(Equal(0))
		Expect(res.stderr).To(ContainSubstring("cat: .service_env: ]0;owned[2Jgone"))
		Expect(res.stderr).NotTo(MatchRegexp("[\\x00-\\x09\\x0b-\\x1f\\x7f]"))
		before.expectUnchanged(h.project)
	})

	It("refuses an example of every pattern on the script's list", func() {
		h := newHostileProject("/usr/bin/dash", "original-awk")
		for _, p := range scriptReservedPatterns("sync-service-env.sh") {
			name := strings.ReplaceAll(p, "*", "X")
			if strings.HasPrefix(p, "*") {
				name = "X" + strings.TrimPrefix(p, "*")
			}
			h.expectRefused(serverHeader+name+"=pk_live_abc123\n", name)
		}
	})
})
