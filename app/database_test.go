package app_test

import (
	"net/http"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("The demo's database", func() {
	It("is SQLite in SC_DATA_DIR, mode 0600, by default", func() {
		d := startDemo(nil)
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
		info, err := os.Stat(filepath.Join(d.dataDir, "service-connector.db"))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		Expect(d.recorded("alice@example.com")).To(HaveLen(1))
	})

	It("is the PostgreSQL database SC_DATABASE_URL_FILE names, and nothing lands in the data dir", func() {
		file := filepath.Join(GinkgoT().TempDir(), "database-url")
		url := databases.URL()
		Expect(os.WriteFile(file, []byte(url+"\n"), 0o600)).To(Succeed())
		d := startDemo(map[string]string{"SC_DATABASE_URL_FILE": file})
		d.databaseURL = url
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
		Expect(d.recorded("alice@example.com")).To(HaveLen(1))
		Expect(filepath.Join(d.dataDir, "service-connector.db")).NotTo(BeAnExistingFile())
		Expect(alice.do(http.MethodGet, "/readyz", "", "").status).To(Equal(http.StatusOK))
	})
})
