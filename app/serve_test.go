package app_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("serve", func() {
	Describe("refusing to start insecurely", func() {
		var env map[string]string

		BeforeEach(func() {
			env = serveEnv()
		})

		DescribeTable("a missing or weak setting stops it with one line naming the problem",
			func(change func(env map[string]string), line string) {
				change(env)
				line = strings.ReplaceAll(line, "DATADIR", env["SC_DATA_DIR"])
				line = strings.ReplaceAll(line, "KEYFILE", env["SC_STORE_KEY_FILE"])
				code, stderr := runServe(env)
				Expect(code).To(Equal(2))
				Expect(strings.Split(strings.TrimRight(stderr, "\n"), "\n")).To(Equal([]string{"service-connector serve: " + line}))
				Expect(stderr).NotTo(ContainSubstring(testClientSecret))
				Expect(stderr).NotTo(ContainSubstring("po-shared-secret"))
				Expect(stderr).NotTo(ContainSubstring("hunter2"))
				if key, err := os.ReadFile(env["SC_STORE_KEY_FILE"]); err == nil {
					Expect(stderr).NotTo(ContainSubstring(strings.TrimSpace(string(key))))
				}
			},
			Entry("no registry", func(e map[string]string) { delete(e, "SC_REGISTRY_FILE") },
				"SC_REGISTRY_FILE is required: the path of service_connectors.json"),
			Entry("no session secret", func(e map[string]string) { delete(e, "SC_SESSION_SECRET") },
				"SC_SESSION_SECRET (or SC_SESSION_SECRET_FILE) is required: at least 32 random bytes"),
			Entry("a short session secret", func(e map[string]string) { e["SC_SESSION_SECRET"] = "short-secret" },
				"SC_SESSION_SECRET is too short (12 bytes): it must be at least 32 bytes"),
			Entry("a short session secret from a file", func(e map[string]string) {
				file := filepath.Join(filepath.Dir(e["SC_REGISTRY_FILE"]), "session")
				Expect(os.WriteFile(file, []byte("0123456789\n"), 0o600)).To(Succeed())
				delete(e, "SC_SESSION_SECRET")
				e["SC_SESSION_SECRET_FILE"] = file
			}, "SC_SESSION_SECRET is too short (10 bytes): it must be at least 32 bytes"),
			Entry("no base URL", func(e map[string]string) { delete(e, "SC_BASE_URL") },
				"SC_BASE_URL is required: the portal's public URL, e.g. https://portal.example.com"),
			Entry("a base URL without a scheme", func(e map[string]string) { e["SC_BASE_URL"] = "portal.example.com" },
				`SC_BASE_URL: "portal.example.com" is not an http(s) origin such as https://portal.example.com`),
			Entry("no Google client id", func(e map[string]string) { delete(e, "SC_GOOGLE_CLIENT_ID") },
				"SC_GOOGLE_CLIENT_ID is required: the OAuth client id from the Google Cloud console"),
			Entry("no Google client secret", func(e map[string]string) { delete(e, "SC_GOOGLE_CLIENT_SECRET") },
				"SC_GOOGLE_CLIENT_SECRET (or SC_GOOGLE_CLIENT_SECRET_FILE) is required: the OAuth client secret"),
			Entry("no allowed domains", func(e map[string]string) { e["SC_ALLOWED_DOMAINS"] = " , " },
				"SC_ALLOWED_DOMAINS is required: the comma-separated email domains that may sign in"),
			Entry("no helper where SC_HELPER says", func(e map[string]string) { e["SC_HELPER"] = "/nonexistent/install-service-env" },
				"SC_HELPER: the delivery helper /nonexistent/install-service-env does not exist"),
			Entry("a database URL that is not PostgreSQL's, without repeating it (it may hold a password)", func(e map[string]string) {
				e["SC_DATABASE_URL"] = "mysql://portal:hunter2-db-password@db.internal/sc"
			}, "SC_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite in SC_DATA_DIR)"),
			Entry("a database URL both set and in a file", func(e map[string]string) {
				e["SC_DATABASE_URL"] = "postgres://portal@db.internal/sc"
				e["SC_DATABASE_URL_FILE"] = "/nonexistent/url"
			}, "SC_DATABASE_URL and SC_DATABASE_URL_FILE are both set: set one"),
			Entry("no key file to encrypt API keys at rest", func(e map[string]string) { delete(e, "SC_STORE_KEY_FILE") },
				"SC_STORE_KEY_FILE is required: the file of the keys that encrypt API keys at rest (deploy.sh makes one; or `(umask 077; head -c 32 /dev/urandom | base64 > store.key)`)"),
			Entry("a key file others may read, without a byte of it", func(e map[string]string) {
				Expect(os.Chmod(e["SC_STORE_KEY_FILE"], 0o640)).To(Succeed())
			}, "SC_STORE_KEY_FILE: KEYFILE is open to group or others (mode 0640): it holds the keys of every API key at rest; chmod 600 it"),
			Entry("a data dir open to others", func(e map[string]string) {
				Expect(os.Chmod(e["SC_DATA_DIR"], 0o755)).To(Succeed())
			}, "SC_DATA_DIR: DATADIR is open to group or others (mode 0755): chmod 700 it"),
		)

		It("names everything missing when the environment is empty", func() {
			code, stderr := runServe(map[string]string{})
			Expect(code).To(Equal(2))
			for _, line := range []string{
				"service-connector serve: SC_REGISTRY_FILE is required",
				"service-connector serve: SC_SESSION_SECRET (or SC_SESSION_SECRET_FILE) is required",
				"service-connector serve: SC_BASE_URL is required",
				"service-connector serve: SC_GOOGLE_CLIENT_ID is required",
				"service-connector serve: SC_GOOGLE_CLIENT_SECRET (or SC_GOOGLE_CLIENT_SECRET_FILE) is required",
				"service-connector serve: SC_ALLOWED_DOMAINS is required",
				"service-connector serve: SC_STORE_KEY_FILE is required",
			} {
				Expect(stderr).To(ContainSubstring(line))
			}
		})
	})
})
