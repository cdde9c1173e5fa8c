package store_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services/store"
)

// validFile is a store file as this version writes it, holding one connection.
const validFile = `{
  "version": 1,
  "connections": [
    {
      "user_email": "john@your-domain.com",
      "username": "john",
      "service_id": "purchase_orders",
      "token_id": "tok_1",
      "api_key": "pk_live_KEYMARK9_1",
      "connected_at": "2026-01-02T03:04:05Z"
    }
  ]
}
`

var _ = Describe("The store file", func() {
	var path string

	BeforeEach(func() {
		path = storePath()
	})

	It("survives a reopen", func() {
		s := mustOpen(path)
		mustPut(s,
			connection("john@your-domain.com", "purchase_orders"),
			connection("jane@your-domain.com", "crm"),
		)

		Expect(mustOpen(path).All()).To(Equal(s.All()))
	})

	It("reads back times as they were kept in memory", func() {
		s := mustOpen(path)
		c := connection("john@your-domain.com", "purchase_orders")
		c.ConnectedAt = time.Now()
		c.ExpiresAt = time.Time{}
		mustPut(s, c)

		got, _ := s.Get("john@your-domain.com", "purchase_orders")
		Expect(got.ConnectedAt.Equal(c.ConnectedAt)).To(BeTrue())
		Expect(mustOpen(path).All()).To(Equal(s.All()))
	})

	It("is a versioned document with connections, the revocation queue, pending deliveries and intents", func() {
		mustPut(mustOpen(path), connection("john@your-domain.com", "purchase_orders"))

		var doc map[string]any
		Expect(json.Unmarshal(fileBytes(path), &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("version", BeNumerically("==", 2)))
		Expect(doc).To(HaveKeyWithValue("connections", ConsistOf(
			HaveKeyWithValue("service_id", "purchase_orders"),
		)))
		Expect(doc).To(HaveKeyWithValue("revocation_queue", BeEmpty()))
		Expect(doc).To(HaveKeyWithValue("pending_deliveries", BeEmpty()))
		Expect(doc).To(HaveKeyWithValue("exchange_intents", BeEmpty()))
	})

	It("reads a version 1 file, and writes it back as version 2 on the next change", func() {
		Expect(os.WriteFile(path, []byte(validFile), 0o600)).To(Succeed())
		s := mustOpen(path)
		Expect(s.All()).To(HaveLen(1))

		mustPut(s, connection("jane@your-domain.com", "crm"))

		Expect(mustOpen(path).All()).To(HaveLen(2))
		Expect(string(fileBytes(path))).To(ContainSubstring(`"version": 2`))
	})

	DescribeTable("is written with mode 0600, as is its lock file, whatever the umask",
		func(umask int) {
			old := unix.Umask(umask)
			DeferCleanup(func() { unix.Umask(old) })

			mustPut(mustOpen(path), connection("john@your-domain.com", "purchase_orders"))

			Expect(fileMode(path)).To(Equal(os.FileMode(0o600)))
			Expect(fileMode(path + ".lock")).To(Equal(os.FileMode(0o600)))
			Expect(dirNames(filepath.Dir(path))).To(ConsistOf("connections.json", "connections.json.lock"))
		},
		Entry("umask 000", 0o000),
		Entry("umask 022", 0o022),
		Entry("umask 277", 0o277),
	)

	DescribeTable("is tightened to 0600 at Open when others may read or write it",
		func(mode int) {
			Expect(os.WriteFile(path, []byte(validFile), 0o600)).To(Succeed())
			Expect(os.Chmod(path, os.FileMode(mode))).To(Succeed())

			s := mustOpen(path)

			Expect(fileMode(path)).To(Equal(os.FileMode(0o600)))
			Expect(s.All()).To(HaveLen(1))
		},
		Entry("0644", 0o644),
		Entry("0640", 0o640),
		Entry("0606", 0o606),
		Entry("0666", 0o666),
	)

	DescribeTable("that does not parse makes Open fail and is left as it is",
		func(content string) {
			Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())

			_, err := store.Open(path)

			Expect(err).To(MatchError(ContainSubstring(path)))
			expectNoKeyIn(err)
			Expect(string(fileBytes(path))).To(Equal(content))
		},
		Entry("not JSON", "connections: none"),
		Entry("empty", ""),
		Entry("cut short", validFile[:len(validFile)/2]),
		Entry("a list", `[]`),
		Entry("null", `null`),
		Entry("followed by more data", validFile+`{}`),
		Entry("without a version", `{"connections": []}`),
		Entry("with a version that is not a number", `{"version": "1", "connections": []}`),
		Entry("with connections that are not a list", `{"version": 1, "connections": {}}`),
		Entry("with an unknown connection field", `{"version": 1, "connections": [
			{"user_email": "john@your-domain.com", "service_id": "crm", "token_id": "t", "api_key": "pk_live_KEYMARK9_1", "scope": "all"}]}`),
		Entry("with an invalid connection", `{"version": 1, "connections": [
			{"user_email": "john@your-domain.com", "service_id": "Bad Id", "token_id": "t", "api_key": "pk_live_KEYMARK9_1"}]}`),
		Entry("with a revocation without a token id", `{"version": 2, "connections": [], "revocation_queue": [
			{"service_id": "crm", "token_id": "", "user_email": "john@your-domain.com", "reason": "x", "queued_at": "2026-01-01T00:00:00Z", "attempts": 0}]}`),
		Entry("with a token queued twice", `{"version": 2, "connections": [], "revocation_queue": [
			{"service_id": "crm", "token_id": "t", "user_email": "john@your-domain.com", "reason": "x", "queued_at": "2026-01-01T00:00:00Z", "attempts": 0},
			{"service_id": "crm", "token_id": "t", "user_email": "john@your-domain.com", "reason": "y", "queued_at": "2026-01-01T00:00:00Z", "attempts": 1}]}`),
		Entry("with a pending delivery to an invalid account", `{"version": 2, "connections": [], "pending_deliveries": [
			{"user_email": "john@your-domain.com", "username": "../root", "since": "2026-01-01T00:00:00Z", "attempts": 0}]}`),
		Entry("with an intent without a request id", `{"version": 2, "connections": [], "exchange_intents": [
			{"request_id": "", "user_email": "john@your-domain.com", "username": "john", "service_id": "crm", "ttl_days": 1, "started_at": "2026-01-01T00:00:00Z"}]}`),
		Entry("with an unknown field in a pending delivery", `{"version": 2, "connections": [], "pending_deliveries": [
			{"user_email": "john@your-domain.com", "username": "john", "since": "2026-01-01T00:00:00Z", "attempts": 0, "api_key": "pk_live_KEYMARK9_1"}]}`),
		Entry("with two connections of one person to one service", `{"version": 1, "connections": [
			{"user_email": "john@your-domain.com", "service_id": "crm", "token_id": "t1", "api_key": "pk_live_KEYMARK9_1"},
			{"user_email": "JOHN@your-domain.com", "service_id": "crm", "token_id": "t2", "api_key": "pk_live_KEYMARK9_2"}]}`),
	)

	DescribeTable("written by a newer version makes Open fail with a message saying so",
		func(content, message string) {
			Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())

			_, err := store.Open(path)

			Expect(err).To(MatchError(ContainSubstring(message)))
			Expect(string(fileBytes(path))).To(Equal(content))
		},
		Entry("another version", `{"version": 3, "connections": []}`, "version 3 is not supported"),
		Entry("an unknown top-level list", `{"version": 2, "connections": [], "audit_log": []}`, `unknown top-level field "audit_log"`),
		Entry("a version 1 file with a list of version 2", `{"version": 1, "connections": [], "revocation_queue": []}`, `unknown top-level field "revocation_queue"`),
	)

	When("it is damaged while the store is in use", func() {
		var s *store.Store

		BeforeEach(func() {
			s = mustOpen(path)
			mustPut(s, connection("john@your-domain.com", "purchase_orders"))
			Expect(os.WriteFile(path, []byte("{damaged"), 0o600)).To(Succeed())
		})

		It("keeps serving the last good state", func() {
			_, ok := s.Get("john@your-domain.com", "purchase_orders")
			Expect(ok).To(BeTrue())
		})

		It("refuses changes and never overwrites the file", func() {
			err := s.Put(connection("jane@your-domain.com", "crm"))

			Expect(err).To(HaveOccurred())
			Expect(string(fileBytes(path))).To(Equal("{damaged"))
			_, ok := s.Get("jane@your-domain.com", "crm")
			Expect(ok).To(BeFalse())
		})
	})

	When("another store changed it", func() {
		It("is read again", func() {
			s := mustOpen(path)
			mustPut(s, connection("john@your-domain.com", "purchase_orders"))
			Expect(s.ForUser("jane@your-domain.com")).To(BeEmpty())

			mustPut(mustOpen(path), connection("jane@your-domain.com", "crm"))

			Expect(s.ForUser("jane@your-domain.com")).To(HaveLen(1))
		})
	})
})
