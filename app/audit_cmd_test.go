package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// exported is one line of `audit export`.
type exported struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	Actor     string `json:"actor"`
	Kind      string `json:"kind"`
	Person    string `json:"person"`
	Account   string `json:"account"`
	ServiceID string `json:"service_id"`
	TokenID   string `json:"token_id"`
	Outcome   string `json:"outcome"`
	Reason    string `json:"reason"`
	PrevHash  string `json:"prev_hash"`
	Hash      string `json:"hash"`
}

// parseExport reads the JSON lines of `audit export`, each of which must be a record.
func parseExport(out string) []exported {
	GinkgoHelper()
	var recs []exported
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		var r exported
		Expect(json.Unmarshal([]byte(line), &r)).To(Succeed(), line)
		recs = append(recs, r)
	}
	return recs
}

// auditIn is every record of the audit log of the portal whose data dir is dataDir.
func auditIn(dataDir string) []store.AuditRecord {
	GinkgoHelper()
	var out []store.AuditRecord
	st := storetest.Open(store.Config{DataDir: dataDir, Log: discardLog()})
	Expect(st.ExportAudit(context.Background(), store.AuditFilter{}, func(r store.AuditRecord) error {
		out = append(out, r)
		return nil
	})).To(Succeed())
	return out
}

// auditOf is the actor and outcome of each record of kind in the demo's audit log, oldest
// first.
func (d *demo) auditOf(kind string) []string {
	GinkgoHelper()
	var out []string
	Expect(d.openStore().ExportAudit(context.Background(), store.AuditFilter{}, func(r store.AuditRecord) error {
		if r.Kind == kind {
			out = append(out, r.Actor+" "+r.Outcome)
		}
		return nil
	})).To(Succeed())
	return out
}

var _ = Describe("service-connector audit", func() {
	Describe("on the demo's database, while the demo runs", func() {
		var (
			d    *demo
			env  map[string]string
			keys []string
			db   *sql.DB
		)

		BeforeEach(func() {
			env = map[string]string{"SC_ADMIN_EMAILS": "carol@example.com"}
			d = startDemo(env)
			env["SC_DATA_DIR"] = d.dataDir
			alice, bob := d.newBrowser(), d.newBrowser()
			alice.signIn("alice@example.com")
			bob.signIn("bob@example.com")
			Expect(alice.api("connect", "purchase_orders").status).To(Equal(http.StatusOK))
			Expect(alice.api("connect", "crm").status).To(Equal(http.StatusOK))
			Expect(bob.api("connect", "crm").status).To(Equal(http.StatusOK))
			keys = []string{d.envKey("alice", "PO_API_KEY"), d.envKey("alice", "CRM_API_KEY"), d.envKey("bob", "CRM_API_KEY")}
			for _, k := range keys {
				Expect(k).NotTo(BeEmpty())
			}
			Expect(alice.api("disconnect", "crm").status).To(Equal(http.StatusOK))
			var err error
			// The attacker's view: the database file itself, opened with an SQLite driver.
			db, err = sql.Open("sqlite", filepath.Join(d.dataDir, store.FileName)+"?_pragma=busy_timeout(10000)")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(db.Close)
		})

		exportAll := func(args ...string) []exported {
			GinkgoHelper()
			code, stdout, stderr := run(env, append([]string{"audit", "export", "--demo"}, args...)...)
			Expect(code).To(Equal(0), stderr)
			return parseExport(stdout)
		}
		verify := func() (int, string) {
			GinkgoHelper()
			code, stdout, stderr := run(env, "audit", "verify", "--demo")
			Expect(stderr).NotTo(ContainSubstring("error"))
			return code, stdout
		}
		exec := func(query string, args ...any) {
			GinkgoHelper()
			_, err := db.Exec(query, args...)
			Expect(err).NotTo(HaveOccurred())
		}

		It("exports every event as JSON lines, oldest first, by person and since a time, with no key in them", func() {
			all := exportAll()
			Expect(len(all)).To(BeNumerically(">=", 7))
			for i, r := range all {
				Expect(r.Seq).To(BeEquivalentTo(i + 1))
				Expect(r.Hash).To(HaveLen(64))
				if i > 0 {
					Expect(r.PrevHash).To(Equal(all[i-1].Hash))
				}
			}
			var kinds []string
			for _, r := range all {
				kinds = append(kinds, r.Actor+" "+r.Kind+" "+r.Person+" "+r.ServiceID+" "+r.Outcome)
			}
			Expect(kinds).To(ContainElements(
				"alice@example.com sign_in alice@example.com  ok",
				"alice@example.com connect alice@example.com purchase_orders ok",
				"bob@example.com connect bob@example.com crm ok",
				"alice@example.com disconnect alice@example.com crm ok",
				"alice@example.com revocation alice@example.com crm confirmed",
			))

			code, stdout, stderr := run(env, "audit", "export", "--demo")
			Expect(code).To(Equal(0))
			rows, err := db.Query("SELECT actor || kind || person || account || service_id || token_id || outcome || reason || prev_hash || hash FROM audit_log")
			Expect(err).NotTo(HaveOccurred())
			var table []string
			for rows.Next() {
				var s string
				Expect(rows.Scan(&s)).To(Succeed())
				table = append(table, s)
			}
			Expect(rows.Close()).To(Succeed())
			Expect(table).To(HaveLen(len(all)))
			for _, key := range keys {
				Expect(stdout + stderr).NotTo(ContainSubstring(key))
				Expect(strings.Join(table, "\n")).NotTo(ContainSubstring(key))
			}

			bobs := exportAll("--person", "BOB@example.com")
			Expect(bobs).NotTo(BeEmpty())
			for _, r := range bobs {
				Expect(r.Person).To(Equal("bob@example.com"))
			}
			Expect(exportAll("--service", "purchase_orders")).To(HaveEach(HaveField("ServiceID", "purchase_orders")))
			Expect(exportAll("--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))).To(BeEmpty())
			Expect(exportAll("--since", "1h")).To(HaveLen(len(all)))
			Expect(exportAll("--since", all[3].Time)).To(HaveLen(len(all) - 3))
		})

		It("verifies an untouched log, and names the first record changed, removed or swapped by hand", func() {
			code, stdout := verify()
			Expect(code).To(Equal(0), stdout)
			Expect(stdout).To(MatchRegexp(`^audit log OK: records 1 to \d+ \(\d+ records\), checked from record 1, the first of the log\nhead: \d+:[0-9a-f]{64}\n$`))
			all := exportAll()
			third, fourth := all[2], all[3]

			By("an UPDATE of a field")
			exec("UPDATE audit_log SET person = 'mallory@example.com' WHERE seq = 3")
			code, stdout = verify()
			Expect(code).To(Equal(1))
			Expect(stdout).To(HavePrefix(fmt.Sprintf("audit log BROKEN at record 3 (%s): its content does not match its hash: it was changed\n", third.Time)))
			exec("UPDATE audit_log SET person = $1 WHERE seq = 3", third.Person)
			code, _ = verify()
			Expect(code).To(Equal(0), "put back as it was, the chain holds again")

			By("swapping two records")
			exec("UPDATE audit_log SET seq = -3 WHERE seq = 3")
			exec("UPDATE audit_log SET seq = 3 WHERE seq = 4")
			exec("UPDATE audit_log SET seq = 4 WHERE seq = -3")
			code, stdout = verify()
			Expect(code).To(Equal(1))
			Expect(stdout).To(HavePrefix(fmt.Sprintf("audit log BROKEN at record 3 (%s): it does not follow the record before it", fourth.Time)))
			exec("UPDATE audit_log SET seq = -3 WHERE seq = 3")
			exec("UPDATE audit_log SET seq = 3 WHERE seq = 4")
			exec("UPDATE audit_log SET seq = 4 WHERE seq = -3")
			code, _ = verify()
			Expect(code).To(Equal(0))

			By("a DELETE of a record in the middle")
			exec("DELETE FROM audit_log WHERE seq = 3")
			code, stdout = verify()
			Expect(code).To(Equal(1))
			Expect(stdout).To(HavePrefix("audit log BROKEN at record 3: it is missing: record 2 ("))
			Expect(stdout).To(ContainSubstring("checked from record 1, the first of the log; 2 records before it hold"))

			By("a DELETE of the head row")
			exec("DELETE FROM audit_head")
			code, stdout = verify()
			Expect(code).To(Equal(1))
			Expect(stdout).To(Equal("audit log BROKEN: the audit log's head row is missing\n"))
		})

		It("finds a log rewritten whole, hashes and head included, by the head an earlier run printed", func() {
			_, stdout := verify()
			head := regexp.MustCompile(`head: (\d+:[0-9a-f]{64})`).FindStringSubmatch(stdout)
			Expect(head).To(HaveLen(2))
			seq := strings.Split(head[1], ":")[0]
			exec("UPDATE audit_log SET hash = 'x' || substr(hash, 2) WHERE seq = " + seq)
			code, stdout, _ := run(env, "audit", "verify", "--demo", "--expect", head[1])
			Expect(code).To(Equal(1))
			Expect(stdout).To(ContainSubstring("BROKEN at record " + seq))
		})
	})

	It("has the demo's worker delete what SC_AUDIT_RETENTION no longer keeps, and the chain verifies from the first record kept", func() {
		dataDir := GinkgoT().TempDir()
		old := time.Now().Add(-72 * time.Hour)
		st, err := store.Open(context.Background(), store.Config{DataDir: dataDir, Log: discardLog(), Now: func() time.Time { return old }})
		Expect(err).NotTo(HaveOccurred())
		for i := range 3 {
			Expect(st.Audit(context.Background(), store.AuditEvent{Actor: "cli", Kind: "offboard", Person: fmt.Sprintf("p%d@example.com", i), Outcome: "ok"})).To(Succeed())
		}
		st.Close()
		env := map[string]string{"SC_DATA_DIR": dataDir, "SC_AUDIT_RETENTION": "2d"}
		d := startDemo(env)
		d.newBrowser().signIn("alice@example.com")

		Eventually(func() []string { return d.auditOf("audit_retention") }).WithTimeout(10 * time.Second).Should(Equal([]string{"worker ok"}))
		code, stdout, stderr := run(env, "audit", "verify", "--demo")
		Expect(code).To(Equal(0), stdout+stderr)
		Expect(stdout).To(MatchRegexp(`^audit log OK: records 4 to \d+ \(\d+ records\), checked from record 4, which follows the anchor [0-9a-f]{64}\n`))
		code, stdout, _ = run(env, "audit", "export", "--demo")
		Expect(code).To(Equal(0))
		recs := parseExport(stdout)
		Expect(recs[0].Seq).To(BeEquivalentTo(4))
		Expect(recs).To(ContainElement(HaveField("Reason", ContainSubstring("deleted records 1 to 3"))))
		Expect(recs).NotTo(ContainElement(HaveField("Kind", "offboard")))
	})

	DescribeTable("a usage or configuration error exits 2 and says why",
		func(args []string, message string) {
			code, stdout, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir()}, append([]string{"audit"}, args...)...)
			Expect(code).To(Equal(2))
			Expect(stdout).To(BeEmpty())
			Expect(stderr).To(ContainSubstring(message))
		},
		Entry("no subcommand", []string{}, "Usage: service-connector audit verify"),
		Entry("an unknown subcommand", []string{"rewrite"}, `unknown subcommand "rewrite"`),
		Entry("an unknown flag", []string{"verify", "--force"}, "flag provided but not defined: -force"),
		Entry("a bad --since", []string{"export", "--demo", "--since", "yesterday"}, `--since: "yesterday" is not a time`),
		Entry("a bad --person", []string{"export", "--demo", "--person", "bob"}, `--person: "bob" is not a valid email address`),
		Entry("a bad --expect", []string{"verify", "--demo", "--expect", "3:abc"}, `--expect: "3:abc" is not SEQ:HASH`),
		Entry("a data dir without a database", []string{"verify", "--demo"}, "holds no database (service-connector.db)"),
	)

	It("fails with a clear message when the data dir does not exist, and creates nothing", func() {
		missing := filepath.Join(GinkgoT().TempDir(), "nope")
		code, _, stderr := run(map[string]string{"SC_DATA_DIR": missing}, "audit", "verify")
		Expect(code).To(Equal(2))
		Expect(stderr).To(Equal("service-connector audit verify: SC_DATA_DIR: " + missing + " is not the portal's data dir (it does not exist)\n"))
		_, err := os.Stat(missing)
		Expect(os.IsNotExist(err)).To(BeTrue())
	})

	It("refuses a retention shorter than a day", func() {
		code, _, stderr := run(map[string]string{"SC_DATA_DIR": GinkgoT().TempDir(), "SC_AUDIT_RETENTION": "2h"}, "demo")
		Expect(code).To(Equal(2))
		Expect(stderr).To(ContainSubstring(`SC_AUDIT_RETENTION: "2h" is not a duration of at least a day`))
	})
})
