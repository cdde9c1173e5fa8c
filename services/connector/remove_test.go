package connector_test

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/connector"
)

var _ = Describe("A service removed from the registry", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld()
		for _, id := range []string{"purchase_orders", "crm"} {
			_, err := w.conn.Connect(ctx(), w.alice, id)
			Expect(err).NotTo(HaveOccurred())
		}
	})

	// removeCRM rewrites the registry without the CRM entry and reloads it.
	removeCRM := func() {
		GinkgoHelper()
		data, err := os.ReadFile(w.registryFile)
		Expect(err).NotTo(HaveOccurred())
		text := string(data)
		start := strings.Index(text, `  {"id": "crm"`)
		end := strings.Index(text, `  {"id": "invoicing"`)
		Expect(start).To(BeNumerically(">", 0))
		Expect(os.WriteFile(w.registryFile, []byte(text[:start]+text[end:]), 0o600)).To(Succeed())
		change, err := w.registry.Reload()
		Expect(err).NotTo(HaveOccurred())
		Expect(change.Removed).To(ConsistOf(HaveField("ID", "crm")))
		n, err := w.conn.RemoveService(ctx(), change.Removed[0].ID, change.Removed[0].TokenRevokeURL)
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(1))
	}

	It("has its connections forgotten, its keys revoked and its files undelivered", func() {
		removeCRM()
		w.conn.Reconcile(ctx())

		Expect(w.liveTokenIDs("crm")).To(BeEmpty())
		_, ok := w.recorded("crm")
		Expect(ok).To(BeFalse())
		Expect(w.home(".service_env")).NotTo(ContainSubstring("CRM_API_KEY"))
		Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY="))
		Expect(w.home(".claude_rules/sc_crm.md")).To(BeEmpty())
		Expect(w.overview()).To(HaveLen(2))
		Expect(w.drained()).To(BeTrue())
	})

	It("has a revocation that failed retried by the queue at the revoke URL the registry had", func() {
		w.secrets["crm"] = "a-wrong-shared-secret-000"
		removeCRM()
		Expect(w.state().Revocations).To(ConsistOf(And(
			HaveField("ServiceID", "crm"), HaveField("RevokeURL", HaveSuffix("/crm/api/internal/token-revoke")), HaveField("Attempts", 1))))
		Expect(w.liveTokenIDs("crm")).To(HaveLen(1))

		w.secrets["crm"] = "secret-of-crm-0123456789"
		w.reconcileUntilDrained()

		Expect(w.liveTokenIDs("crm")).To(BeEmpty())
		st, err := w.conn.State(ctx(), w.alice, "purchase_orders")
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Status).To(Equal(connector.StatusConnected))
	})
})

var _ = Describe("An edit of the registry or its skills", func() {
	It("reaches every home that has the service, by the worker", func() {
		w := newWorld()
		_, err := w.conn.Connect(ctx(), w.alice, "crm")
		Expect(err).NotTo(HaveOccurred())
		skill := filepath.Join(filepath.Dir(w.registryFile), "skills", "sc_crm.md")
		Expect(os.WriteFile(skill, []byte("# CRM\nNow with pagination.\n"), 0o600)).To(Succeed())
		future := time.Now().Add(time.Minute)
		Expect(os.Chtimes(skill, future, future)).To(Succeed())
		change, err := w.registry.Reload()
		Expect(err).NotTo(HaveOccurred())
		Expect(change).NotTo(BeNil())

		Expect(w.conn.RegistryChanged(ctx())).To(Succeed())
		w.reconcileUntilDrained()

		Expect(w.home(".claude_rules/sc_crm.md")).To(Equal("# CRM\nNow with pagination.\n"))
	})
})
