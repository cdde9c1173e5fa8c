package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/jsonfile"
	"github.com/service-connector/service-connector/services/store/storetest"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, to look at the file as it is
)

// writeOldStore writes connections.json in dataDir as the portal of the previous version
// left it (format 2), and returns its bytes.
func writeOldStore(dataDir string, doc jsonfile.Document) []byte {
	GinkgoHelper()
	doc.Version = 2
	data, err := json.MarshalIndent(doc, "", "  ")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(dataDir, "connections.json"), data, 0o600)).To(Succeed())
	return data
}

// oldConnection is a connection as the previous version recorded it.
func oldConnection(email, serviceID string, n int) services.Connection {
	user := email[:len(email)-len("@example.com")]
	return services.Connection{
		UserEmail: email, Username: user, ServiceID: serviceID, TokenID: fmt.Sprintf("tok_old_%s_%d", serviceID, n),
		APIKey:      services.Secret(fmt.Sprintf("pk_live_imported%d_%s", n, serviceID)),
		ConnectedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ExpiresAt: time.Now().Add(200 * 24 * time.Hour).UTC().Truncate(time.Second),
	}
}

var _ = Describe("Moving in from connections.json", func() {
	It("imports the file on the demo's first start, sets it aside without its keys, and serves and delivers what it held", func() {
		dataDir := GinkgoT().TempDir()
		before := writeOldStore(dataDir, jsonfile.Document{
			Connections: []services.Connection{oldConnection("alice@example.com", "crm", 1), oldConnection("alice@example.com", "invoicing", 2)},
			Deliveries:  []jsonfile.PendingDelivery{{UserEmail: "alice@example.com", Username: "alice", Since: time.Now().UTC().Truncate(time.Second)}},
			Revocations: []jsonfile.Revocation{{ServiceID: "crm", TokenID: "tok_forgotten", UserEmail: "alice@example.com", Reason: "disconnected",
				QueuedAt: time.Now().UTC().Truncate(time.Second)}},
		})

		d := startDemo(map[string]string{"SC_DATA_DIR": dataDir, "SC_RETRY_BASE": "100ms", "SC_RETRY_MAX": "1s"})

		Expect(filepath.Join(dataDir, "connections.json")).NotTo(BeAnExistingFile())
		Expect(before).To(ContainSubstring("pk_live_imported1_crm"))
		setAside, err := os.ReadFile(filepath.Join(dataDir, "connections.json.imported"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(setAside)).To(And(ContainSubstring("tok_old_crm_1"), ContainSubstring("tok_forgotten"), Not(ContainSubstring("pk_live_imported"))))
		Expect(d.stderr).To(gbytes.Say("imported the file store into the database"))
		alice := d.newBrowser()
		alice.signIn("alice@example.com")
		list := alice.do(http.MethodGet, "/api/service-connectors", "", "")
		Expect(list.status).To(Equal(http.StatusOK))
		Expect(list.body).To(MatchRegexp(`"crm":\{"connected":true`))
		Expect(list.body).To(MatchRegexp(`"invoicing":\{"connected":true`))
		By("delivering the pending delivery and working the revocation queue it brought")
		Eventually(func() string { return d.envKey("alice", "CRM_API_KEY") }, 10*time.Second, 100*time.Millisecond).Should(Equal("pk_live_imported1_crm"))
		Expect(d.envKey("alice", "INVOICING_API_KEY")).To(Equal("pk_live_imported2_invoicing"))
		Eventually(func() []store.Revocation { return waitState(d).Revocations }, 10*time.Second, 100*time.Millisecond).Should(BeEmpty())

		By("not importing it again on the next start")
		d.stop()
		again := startDemo(map[string]string{"SC_DATA_DIR": dataDir})
		Expect(again.stderr).NotTo(gbytes.Say("imported"))
		Expect(again.recorded("alice@example.com")).To(HaveLen(2))
	})

	It("refuses to start on a file it cannot import, saying why, and leaves the file as it was", func() {
		dataDir := GinkgoT().TempDir()
		bad := oldConnection("alice@example.com", "crm", 1)
		bad.ServiceID = "Bad Id"
		before := writeOldStore(dataDir, jsonfile.Document{Connections: []services.Connection{bad}})

		code, _, stderr := run(map[string]string{"SC_DATA_DIR": dataDir, "SC_ADDR": "127.0.0.1:0", "SC_DEMO_SERVICES_ADDR": "127.0.0.1:0"}, "demo")

		Expect(code).To(Equal(1))
		Expect(stderr).To(ContainSubstring("connections.json"))
		Expect(stderr).To(ContainSubstring("invalid service id"))
		Expect(stderr).NotTo(ContainSubstring("pk_live_imported1_crm"))
		Expect(os.ReadFile(filepath.Join(dataDir, "connections.json"))).To(Equal(before))
	})

	It("leaves the file in place and the database without any of it when the portal is killed mid-import, and imports it whole on the next start", func() {
		bin := buildBinary()
		dataDir := GinkgoT().TempDir()
		doc := jsonfile.Document{}
		const people = 60000
		for i := range people {
			doc.Connections = append(doc.Connections, oldConnection(fmt.Sprintf("p%06d@example.com", i), "crm", i))
		}
		before := writeOldStore(dataDir, doc)
		wal := filepath.Join(dataDir, store.FileName+"-wal")
		env := map[string]string{"SC_LOG_LEVEL": "info"}

		session := launchDemoProcess(bin, dataDir, env)
		// The import's one transaction spills its rows into the write-ahead log as it goes:
		// once the log has grown, the import is under way and not committed.
		Eventually(func() int64 {
			info, err := os.Stat(wal)
			if err != nil {
				return 0
			}
			return info.Size()
		}, 30*time.Second, 2*time.Millisecond).Should(BeNumerically(">", 1<<20))
		session.Kill()
		Eventually(session, 10*time.Second).Should(gexec.Exit())
		Expect(session.Err).NotTo(gbytes.Say("imported the file store"), "killed before the import ended")

		Expect(os.ReadFile(filepath.Join(dataDir, "connections.json"))).To(Equal(before))
		Expect(filepath.Join(dataDir, "connections.json.imported")).NotTo(BeAnExistingFile())
		Expect(countConnections(dataDir)).To(Equal(0), "nothing of the half import")

		d, session := startDemoProcess(bin, dataDir, env)
		Expect(session.Err).To(gbytes.Say("imported the file store into the database"))
		Expect(filepath.Join(dataDir, "connections.json")).NotTo(BeAnExistingFile())
		Expect(countConnections(d.dataDir)).To(Equal(people))
	})
})

// countConnections counts the connections in the SQLite database in dataDir, read-only and
// without opening it as a Store, which would import the connections.json it finds.
func countConnections(dataDir string) int {
	GinkgoHelper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, store.FileName)+"?mode=ro")
	Expect(err).NotTo(HaveOccurred())
	defer db.Close()
	var n int
	Expect(db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM connections").Scan(&n)).To(Succeed())
	return n
}

// waitState reads everything the demo's database holds.
func waitState(d *demo) store.State {
	GinkgoHelper()
	return storetest.State(d.openStore())
}
