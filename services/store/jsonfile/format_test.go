package jsonfile_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store/jsonfile"
)

// version1 is a file as the first file store wrote it: connections only.
const version1 = `{
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

// version2 is a file as the last file store wrote it, with every list.
const version2 = `{
  "version": 2,
  "connections": [
    {"user_email": "ann@example.com", "username": "ann", "service_id": "crm", "token_id": "tok_2",
     "api_key": "pk_live_KEYMARK9_2", "connected_at": "2026-01-02T03:04:05Z", "expires_at": "2027-01-02T03:04:05Z",
     "revoke_url": "https://crm.example.com/api/internal/token-revoke"}
  ],
  "revocation_queue": [
    {"service_id": "crm", "token_id": "tok_old", "user_email": "ann@example.com", "reason": "disconnected",
     "queued_at": "2026-01-01T00:00:00Z", "attempts": 3, "next_attempt_at": "2026-01-01T00:05:00Z", "last_error": "HTTP 503",
     "needs_attention": true}
  ],
  "pending_deliveries": [
    {"user_email": "ann@example.com", "username": "ann", "since": "2026-01-01T00:00:00Z", "attempts": 1, "last_error": "no home"}
  ],
  "exchange_intents": [
    {"request_id": "req-1", "user_email": "ann@example.com", "username": "ann", "service_id": "crm", "ttl_days": 30,
     "started_at": "2026-01-01T00:00:00Z", "token_id": "tok_2", "replaces_token_id": "tok_1", "cancelled": true, "attempts": 2}
  ]
}
`

var _ = Describe("Decoding connections.json", func() {
	It("reads a version 1 file: its connections", func() {
		doc, err := jsonfile.Decode([]byte(version1))
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Version).To(Equal(1))
		Expect(doc.Connections).To(Equal([]services.Connection{{
			UserEmail: "john@your-domain.com", Username: "john", ServiceID: "purchase_orders", TokenID: "tok_1",
			APIKey: "pk_live_KEYMARK9_1", ConnectedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}}))
		Expect(doc.Revocations).To(BeEmpty())
	})

	It("reads a version 2 file: connections, the revocation queue, pending deliveries and exchange intents", func() {
		doc, err := jsonfile.Decode([]byte(version2))
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Connections).To(ConsistOf(HaveField("RevokeURL", "https://crm.example.com/api/internal/token-revoke")))
		Expect(doc.Revocations).To(ConsistOf(jsonfile.Revocation{
			ServiceID: "crm", TokenID: "tok_old", UserEmail: "ann@example.com", Reason: "disconnected",
			QueuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NeedsAttention: true,
			Retry: jsonfile.Retry{Attempts: 3, NextAttemptAt: time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), LastError: "HTTP 503"},
		}))
		Expect(doc.Deliveries).To(ConsistOf(And(HaveField("Username", "ann"), HaveField("Retry.LastError", "no home"))))
		Expect(doc.Intents).To(ConsistOf(And(HaveField("Replaces", "tok_1"), HaveField("Cancelled", true), HaveField("Retry.Attempts", 2))))
	})

	DescribeTable("refuses a file that does not parse, naming no key",
		func(content string) {
			_, err := jsonfile.Decode([]byte(content))
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).NotTo(ContainSubstring("KEYMARK9"))
		},
		Entry("not JSON", "connections: none"),
		Entry("empty", ""),
		Entry("cut short", version1[:len(version1)/2]),
		Entry("a list", `[]`),
		Entry("null", `null`),
		Entry("followed by more data", version1+`{}`),
		Entry("without a version", `{"connections": []}`),
		Entry("with a version that is not a number", `{"version": "1", "connections": []}`),
		Entry("with connections that are not a list", `{"version": 1, "connections": {}}`),
		Entry("with an unknown connection field", `{"version": 1, "connections": [
			{"user_email": "john@your-domain.com", "service_id": "crm", "token_id": "t", "api_key": "pk_live_KEYMARK9_1", "scope": "all"}]}`),
		Entry("with a token queued twice", `{"version": 2, "connections": [], "revocation_queue": [
			{"service_id": "crm", "token_id": "t", "user_email": "john@your-domain.com", "reason": "x", "queued_at": "2026-01-01T00:00:00Z", "attempts": 0},
			{"service_id": "crm", "token_id": "t", "user_email": "john@your-domain.com", "reason": "y", "queued_at": "2026-01-01T00:00:00Z", "attempts": 1}]}`),
		Entry("with a person pending twice", `{"version": 2, "connections": [], "pending_deliveries": [
			{"user_email": "john@your-domain.com", "username": "john", "since": "2026-01-01T00:00:00Z", "attempts": 0},
			{"user_email": "JOHN@your-domain.com", "username": "john", "since": "2026-01-01T00:00:00Z", "attempts": 0}]}`),
		Entry("with a request id recorded twice", `{"version": 2, "connections": [], "exchange_intents": [
			{"request_id": "r", "user_email": "john@your-domain.com", "username": "john", "service_id": "crm", "ttl_days": 1, "started_at": "2026-01-01T00:00:00Z"},
			{"request_id": "r", "user_email": "john@your-domain.com", "username": "john", "service_id": "crm", "ttl_days": 1, "started_at": "2026-01-01T00:00:00Z"}]}`),
		Entry("with an unknown field in a pending delivery", `{"version": 2, "connections": [], "pending_deliveries": [
			{"user_email": "john@your-domain.com", "username": "john", "since": "2026-01-01T00:00:00Z", "attempts": 0, "api_key": "pk_live_KEYMARK9_1"}]}`),
		Entry("with two connections of one person to one service", `{"version": 1, "connections": [
			{"user_email": "john@your-domain.com", "service_id": "crm", "token_id": "t1", "api_key": "pk_live_KEYMARK9_1"},
			{"user_email": "JOHN@your-domain.com", "service_id": "crm", "token_id": "t2", "api_key": "pk_live_KEYMARK9_2"}]}`),
	)

	DescribeTable("refuses a file a newer version wrote, saying so",
		func(content, message string) {
			_, err := jsonfile.Decode([]byte(content))
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("another version", `{"version": 3, "connections": []}`, "version 3 is not supported"),
		Entry("an unknown top-level list", `{"version": 2, "connections": [], "audit_log": []}`, `unknown top-level field "audit_log"`),
		Entry("a version 1 file with a list of version 2", `{"version": 1, "connections": [], "revocation_queue": []}`, `unknown top-level field "revocation_queue"`),
	)
})
