package connector_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

// audit is every record of the world's audit log, oldest first.
func (w *world) audit() []store.AuditRecord {
	GinkgoHelper()
	var recs []store.AuditRecord
	Expect(w.store.ExportAudit(context.Background(), store.AuditFilter{}, func(r store.AuditRecord) error {
		recs = append(recs, r)
		return nil
	})).To(Succeed())
	return recs
}

// auditOf is the records of one kind.
func (w *world) auditOf(kind string) []store.AuditRecord {
	GinkgoHelper()
	var out []store.AuditRecord
	for _, r := range w.audit() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// anEvent matches a record's fields.
func anEvent(actor, kind, person, account, serviceID, tokenID, outcome string) types.GomegaMatcher {
	return And(HaveField("Actor", actor), HaveField("Kind", kind), HaveField("Person", person), HaveField("Account", account),
		HaveField("ServiceID", serviceID), HaveField("TokenID", tokenID), HaveField("Outcome", outcome))
}

// queryStrings runs a query on the database file, as anyone with the file could, and returns
// its rows' first column.
func queryStrings(db *sql.DB, query string) ([]string, error) {
	rows, err := db.Query(query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// as is a context whose actions are by actor.
func as(actor string) context.Context { return connector.WithActor(ctx(), actor) }

var _ = Describe("The audit log the connector keeps", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld(withIdentity(nil), func(_ *string, o *connector.Options) {
			o.RetryBase, o.RetryMax, o.MaxRevokeAttempts = time.Second, 8*time.Second, 2
		})
	})

	AfterEach(func() {
		check, err := w.store.VerifyAudit(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(check.Bad).To(BeNil(), "the chain holds after every spec")
	})

	It("records a connect, a reconnect and a disconnect by the person, with the token ids, and the revocation confirmed", func() {
		_, err := w.conn.Connect(as("alice@example.com"), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		first, _ := w.recorded("purchase_orders")
		w.clock.Advance(360 * 24 * time.Hour) // expiring soon: Connect replaces it
		_, err = w.conn.Connect(as("alice@example.com"), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		second, _ := w.recorded("purchase_orders")
		Expect(second.TokenID).NotTo(Equal(first.TokenID))
		_, err = w.conn.Disconnect(as("alice@example.com"), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())

		Expect(w.auditOf(connector.EventConnect)).To(ConsistOf(
			anEvent("alice@example.com", "connect", "alice@example.com", "alice", "purchase_orders", first.TokenID, "ok")))
		Expect(w.auditOf(connector.EventReconnect)).To(ConsistOf(And(
			anEvent("alice@example.com", "reconnect", "alice@example.com", "alice", "purchase_orders", second.TokenID, "ok"),
			HaveField("Reason", ContainSubstring(first.TokenID)))))
		Expect(w.auditOf(connector.EventDisconnect)).To(ConsistOf(
			anEvent("alice@example.com", "disconnect", "alice@example.com", "alice", "purchase_orders", second.TokenID, "ok")))
		Expect(w.auditOf(connector.EventRevocation)).To(ConsistOf(
			anEvent("alice@example.com", "revocation", "alice@example.com", "", "purchase_orders", first.TokenID, "confirmed"),
			anEvent("alice@example.com", "revocation", "alice@example.com", "", "purchase_orders", second.TokenID, "confirmed")))
		Expect(w.audit()[0].At).To(Equal(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)))
	})

	It("holds no key it minted, in any column", func() {
		var keys []string
		for _, id := range []string{"purchase_orders", "crm"} {
			_, err := w.conn.Connect(ctx(), w.alice, id)
			Expect(err).NotTo(HaveOccurred())
			c, _ := w.recorded(id)
			keys = append(keys, c.APIKey.Reveal())
		}
		_, err := w.conn.Disconnect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		db, err := sql.Open("sqlite", filepath.Join(w.storeConfig.DataDir, store.FileName))
		Expect(err).NotTo(HaveOccurred())
		defer db.Close()
		rows, err := queryStrings(db, "SELECT "+strings.Join([]string{"CAST(seq AS TEXT)", "CAST(at AS TEXT)", "actor", "kind", "person",
			"account", "service_id", "token_id", "outcome", "reason", "prev_hash", "hash"}, " || '|' || ")+" FROM audit_log")
		Expect(err).NotTo(HaveOccurred())
		Expect(rows).To(HaveLen(len(w.audit())))
		Expect(len(rows)).To(BeNumerically(">=", 4))
		for _, key := range keys {
			Expect(key).NotTo(BeEmpty())
			for _, row := range rows {
				Expect(row).NotTo(ContainSubstring(key))
			}
		}
	})

	It("records a connect that kept the live key, and says so when delivering it again failed", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		_, err = w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		w.installer.Fail(errors.New("helper crashed"))
		_, err = w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).To(HaveOccurred())
		c, _ := w.recorded("crm")
		Expect(w.auditOf(connector.EventConnect)).To(HaveExactElements(
			anEvent("portal", "connect", "alice@example.com", "alice", "crm", c.TokenID, "ok"),
			anEvent("portal", "connect", "alice@example.com", "alice", "crm", c.TokenID, "kept"),
			And(anEvent("portal", "connect", "alice@example.com", "alice", "crm", c.TokenID, "failed"),
				HaveField("Reason", ContainSubstring("delivering the files again failed")))))
	})

	It("records connects refused: a service switched off, and an exchange the service refused", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "invoicing")
		Expect(err).To(HaveOccurred())
		w.secrets["crm"] = "a-wrong-shared-secret-000"
		_, err = w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).To(HaveOccurred())
		Expect(w.auditOf(connector.EventConnect)).To(ConsistOf(
			And(anEvent("portal", "connect", "alice@example.com", "alice", "invoicing", "", "refused"), HaveField("Reason", ContainSubstring("switched off"))),
			And(anEvent("portal", "connect", "alice@example.com", "alice", "crm", "", "refused"), HaveField("Reason", ContainSubstring("HTTP 401")))))
	})

	It("records a connect rolled back as its delivery failed", func() {
		w.installer.Fail(errors.New("disk full"))
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).To(HaveOccurred())
		recs := w.auditOf(connector.EventConnect)
		Expect(recs).To(HaveLen(1))
		Expect(recs[0].TokenID).To(HavePrefix("tok_"))
		Expect(recs[0]).To(And(anEvent("portal", "connect", "alice@example.com", "alice", "crm", recs[0].TokenID, "failed"),
			HaveField("Reason", ContainSubstring("the delivery failed: the previous state is restored and the new key queued for revocation"))))
	})

	It("records an admin's disconnect by the admin", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		c, _ := w.recorded("crm")
		_, err = w.conn.DisconnectFor(as("carol@example.com"), "alice@example.com", "crm")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.auditOf(connector.EventAdminDisconnect)).To(ConsistOf(
			anEvent("carol@example.com", "admin_disconnect", "alice@example.com", "alice", "crm", c.TokenID, "ok")))
		Expect(w.auditOf(connector.EventDisconnect)).To(BeEmpty())
	})

	It("records each failed revocation, the one that needs attention, and an admin's retry", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		c, _ := w.recorded("purchase_orders")
		w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		for range 3 {
			w.clock.Advance(time.Minute)
			w.conn.Reconcile(ctx())
		}
		w.secrets["purchase_orders"] = "secret-of-purchase_orders-0123456789"
		revoked, err := w.conn.RetryRevocation(as("carol@example.com"), "purchase_orders", c.TokenID)
		Expect(err).NotTo(HaveOccurred())
		Expect(revoked).To(BeTrue())

		revocations := w.auditOf(connector.EventRevocation)
		Expect(revocations).To(HaveExactElements(
			And(anEvent("portal", "revocation", "alice@example.com", "", "purchase_orders", c.TokenID, "failed"), HaveField("Reason", ContainSubstring("attempt 1 failed"))),
			anEvent("worker", "revocation", "alice@example.com", "", "purchase_orders", c.TokenID, "needs_attention"),
			anEvent("carol@example.com", "revocation", "alice@example.com", "", "purchase_orders", c.TokenID, "confirmed")))
		Expect(w.auditOf(connector.EventAdminRetry)).To(ConsistOf(
			anEvent("carol@example.com", "admin_retry", "alice@example.com", "", "purchase_orders", c.TokenID, "ok")))
	})

	It("records an admin's Retry all, and the outcome of each revocation it tried", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		c, _ := w.recorded("purchase_orders")
		w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
		_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		w.secrets["purchase_orders"] = "secret-of-purchase_orders-0123456789"
		res, err := w.conn.RetryAllRevocations(as("carol@example.com"))
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Revoked).To(Equal(1))

		Expect(w.auditOf(connector.EventAdminRetryAll)).To(ConsistOf(
			And(anEvent("carol@example.com", "admin_retry_all", "", "", "", "", "ok"), HaveField("Reason", Equal("Retry all: 1 queued revocation put back to be tried now")))))
		Expect(w.auditOf(connector.EventRevocation)).To(ContainElement(
			anEvent("carol@example.com", "revocation", "alice@example.com", "", "purchase_orders", c.TokenID, "confirmed")))
	})

	It("records offboarding, key by key, by whoever offboarded", func() {
		for _, id := range []string{"purchase_orders", "crm"} {
			_, err := w.conn.Connect(ctx(), w.alice, id)
			Expect(err).NotTo(HaveOccurred())
		}
		po, _ := w.recorded("purchase_orders")
		crm, _ := w.recorded("crm")
		_, err := w.conn.Offboard(as(connector.ActorCLI), "alice@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.auditOf(connector.EventOffboard)).To(ConsistOf(
			anEvent("cli", "offboard", "alice@example.com", "alice", "purchase_orders", po.TokenID, "ok"),
			anEvent("cli", "offboard", "alice@example.com", "alice", "crm", crm.TokenID, "ok"),
			And(anEvent("cli", "offboard", "alice@example.com", "alice", "", "", "ok"), HaveField("Reason", ContainSubstring("2 connections forgotten")))))
	})

	It("records the worker's expiry sweep", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		w.conn.Reconcile(ctx())
		Expect(w.auditOf(connector.EventExpirySweep)).To(BeEmpty(), "nothing expired yet")
		w.clock.Advance(400 * 24 * time.Hour)
		w.conn.Reconcile(ctx())
		Expect(w.auditOf(connector.EventExpirySweep)).To(ConsistOf(And(
			anEvent("worker", "expiry_sweep", "", "", "", "", "ok"), HaveField("Reason", ContainSubstring("1 home")))))
	})

	It("records a registry edit in service, the connections it removed, and an edit refused", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		c, _ := w.recorded("crm")
		data, err := os.ReadFile(w.registryFile)
		Expect(err).NotTo(HaveOccurred())
		text := string(data)
		start, end := strings.Index(text, `  {"id": "crm"`), strings.Index(text, `  {"id": "invoicing"`)
		Expect(os.WriteFile(w.registryFile, []byte(text[:start]+text[end:]), 0o600)).To(Succeed())
		_, err = w.registry.Reload()
		Expect(err).NotTo(HaveOccurred())
		n, err := w.conn.RemoveService(as(connector.ActorRegistry), "crm", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
		Expect(w.conn.RegistryChanged(as(connector.ActorRegistry))).To(Succeed())
		w.conn.RegistryRefused(as(connector.ActorRegistry), []string{"service_connectors.json:3:4: bad id", "another"})

		Expect(w.auditOf(connector.EventServiceRemoved)).To(ConsistOf(
			anEvent("registry", "service_removed", "alice@example.com", "alice", "crm", c.TokenID, "ok")))
		Expect(w.auditOf(connector.EventRegistryReload)).To(HaveExactElements(
			anEvent("registry", "registry_reload", "", "", "", "", "ok"),
			And(anEvent("registry", "registry_reload", "", "", "", "", "refused"), HaveField("Reason", ContainSubstring("2 problems; the first: service_connectors.json:3:4: bad id")))))
	})

	It("records sign-ins, refused sign-ins and sign-outs", func() {
		w.conn.SignedIn(ctx(), services.User{Email: "Alice@Example.com", Username: "alice"}, "google")
		w.conn.SignInRefused(ctx(), "mallory@elsewhere.example", "google", "not in an allowed domain")
		w.conn.SignedOut(as("alice@example.com"), services.User{Email: "alice@example.com", Username: "alice"})
		Expect(w.audit()).To(HaveExactElements(
			And(anEvent("alice@example.com", "sign_in", "alice@example.com", "alice", "", "", "ok"), HaveField("Reason", "signed in with google")),
			And(anEvent("mallory@elsewhere.example", "sign_in_refused", "mallory@elsewhere.example", "", "", "", "refused"), HaveField("Reason", "google: not in an allowed domain")),
			anEvent("alice@example.com", "sign_out", "alice@example.com", "alice", "", "", "ok")))
	})

	Describe("the admin's view", func() {
		BeforeEach(func() {
			for _, id := range []string{"purchase_orders", "crm"} {
				_, err := w.conn.Connect(ctx(), w.alice, id)
				Expect(err).NotTo(HaveOccurred())
			}
			w.conn.SignedIn(ctx(), services.User{Email: "bob@example.com", Username: "bob"}, "dev")
		})

		It("searches by person and by service, newest first", func() {
			page, err := w.conn.AuditLog(ctx(), connector.AuditQuery{Person: " ALICE@example.com "})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Query.Person).To(Equal("alice@example.com"))
			Expect(page.Records).To(HaveExactElements(HaveField("ServiceID", "crm"), HaveField("ServiceID", "purchase_orders")))
			page, err = w.conn.AuditLog(ctx(), connector.AuditQuery{ServiceID: "purchase_orders"})
			Expect(err).NotTo(HaveOccurred())
			Expect(page.Records).To(HaveExactElements(HaveField("Kind", "connect")))
			Expect(page.Services).To(ConsistOf("purchase_orders", "crm", "invoicing"))
		})

		It("refuses a malformed search", func() {
			_, err := w.conn.AuditLog(ctx(), connector.AuditQuery{Person: "alice"})
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			_, err = w.conn.AuditLog(ctx(), connector.AuditQuery{ServiceID: "Not An Id"})
			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
		})
	})

	It("prunes what retention no longer keeps, and the chain verifies from the first kept", func() {
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		w.clock.Advance(48 * time.Hour)
		w.conn.SignedIn(ctx(), services.User{Email: "bob@example.com", Username: "bob"}, "dev")
		n, err := w.conn.PruneAudit(ctx(), 24*time.Hour)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
		Expect(w.audit()).To(HaveExactElements(HaveField("Kind", "sign_in"), HaveField("Kind", "audit_retention")))
		check, err := w.store.VerifyAudit(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(check.From).To(BeEquivalentTo(2))
	})
})
