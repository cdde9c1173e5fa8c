package connector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store"
)

// mint asks a reference service for a key the way the connector does, as a process that
// then died would have: the key is live at the service and recorded nowhere.
func (w *world) mint(serviceID, requestID string) (tokenID string) {
	GinkgoHelper()
	body, _ := json.Marshal(map[string]any{"user_email": "alice@example.com", "ttl_days": 365, "request_id": requestID})
	req, err := http.NewRequest(http.MethodPost, w.server.URL+"/"+serviceID+"/api/internal/token-exchange", bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+w.secrets[serviceID].Reveal())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	var answer struct {
		TokenID string `json:"token_id"`
	}
	Expect(json.NewDecoder(resp.Body).Decode(&answer)).To(Succeed())
	return answer.TokenID
}

func (w *world) liveTokenIDs(serviceID string) []string {
	var ids []string
	for _, t := range w.refs[serviceID].LiveTokens() {
		ids = append(ids, t.TokenID)
	}
	return ids
}

// reconcileUntilDrained runs passes, moving the clock past every backoff, until no work is
// left; it fails the spec if that takes more than a few passes.
func (w *world) reconcileUntilDrained() {
	GinkgoHelper()
	for range 10 {
		if w.drained() {
			return
		}
		w.clock.Advance(10 * time.Minute)
		w.conn.Reconcile(ctx())
	}
	Expect(w.drained()).To(BeTrue(), "work left after 10 passes: %+v", w.state())
}

var _ = Describe("The lifecycle under faults", func() {
	var w *world

	BeforeEach(func() {
		w = newWorld(func(_ *string, o *connector.Options) {
			o.RetryBase, o.RetryMax, o.MaxRevokeAttempts = time.Second, 8*time.Second, 4
		})
	})

	Describe("crash recovery of an exchange", func() {
		It("revokes a key a dead process minted but never recorded, found again by replaying its request_id", func() {
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				return tx.PutIntent(store.Intent{RequestID: "req-crashed", UserEmail: "alice@example.com", Username: "alice", ServiceID: "purchase_orders", TTLDays: 365, StartedAt: w.clock.Now()})
			})).To(Succeed())
			orphan := w.mint("purchase_orders", "req-crashed")
			Expect(w.liveTokenIDs("purchase_orders")).To(ConsistOf(orphan))

			w.conn.Reconcile(ctx())

			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			Expect(w.state().Intents).To(BeEmpty())
			Expect(w.state().Revocations).To(BeEmpty())
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
		})

		It("leaves nothing live when the dead process's request never reached the service", func() {
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				return tx.PutIntent(store.Intent{RequestID: "req-lost", UserEmail: "alice@example.com", Username: "alice", ServiceID: "crm", TTLDays: 30, StartedAt: w.clock.Now()})
			})).To(Succeed())

			w.conn.Reconcile(ctx())

			Expect(w.liveTokenIDs("crm")).To(BeEmpty())
			Expect(w.drained()).To(BeTrue())
		})

		It("finishes a reconnect whose process died after recording the new key: delivers it and revokes the old one", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			old, _ := w.recorded("purchase_orders")
			newID := w.mint("purchase_orders", "req-reconnect")
			minted := old
			minted.TokenID, minted.APIKey = newID, "replaced-in-the-spec-by-the-real-key"
			// The reference service answers the same request id with the same key.
			Expect(w.store.Update(ctx(), func(tx *store.Tx) error {
				Expect(tx.PutIntent(store.Intent{RequestID: "req-reconnect", UserEmail: "alice@example.com", Username: "alice", ServiceID: "purchase_orders", TokenID: newID, Replaces: old.TokenID})).To(Succeed())
				Expect(tx.Put(minted)).To(Succeed())
				return tx.PutDelivery(store.PendingDelivery{UserEmail: "alice@example.com", Username: "alice", Since: w.clock.Now()})
			})).To(Succeed())

			w.reconcileUntilDrained()

			Expect(w.liveTokenIDs("purchase_orders")).To(ConsistOf(newID))
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY=replaced-in-the-spec-by-the-real-key"))
			Expect(w.whoami("purchase_orders", old.APIKey)).To(Equal(401))
		})

		It("replays an exchange whose answer was lost, and revokes the key the service had minted", func() {
			w.loseExchangeAnswers.Store(true)
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).To(HaveOccurred())
			Expect(w.liveTokenIDs("purchase_orders")).To(HaveLen(1), "minted, and nobody heard of it")
			Expect(w.state().Intents).To(ConsistOf(And(HaveField("Attempts", 1), HaveField("LastError", ContainSubstring("HTTP 502")))))

			w.conn.Reconcile(ctx())
			Expect(w.state().Intents).To(HaveLen(1), "not due before its backoff")
			w.loseExchangeAnswers.Store(false)
			w.reconcileUntilDrained()

			Expect(w.state().Intents).To(BeEmpty())
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			_, ok := w.recorded("purchase_orders")
			Expect(ok).To(BeFalse())
		})

		It("forgets at once the intent of an exchange the service refused (4xx): nothing was minted", func() {
			w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).To(MatchError(ContainSubstring("HTTP 401")))
			Expect(w.state().Intents).To(BeEmpty())
			Expect(w.drained()).To(BeTrue())
		})
	})

	Describe("the revocation queue", func() {
		BeforeEach(func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			w.secrets["purchase_orders"] = "a-wrong-shared-secret-000"
			_, err = w.conn.Disconnect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
		})

		It("backs off exponentially with jitter, then waits for an admin as needs attention", func() {
			var waits []time.Duration
			for range 6 {
				r := w.state().Revocations[0]
				waits = append(waits, r.NextAttemptAt.Sub(w.clock.Now()))
				w.clock.Advance(time.Minute)
				w.conn.Reconcile(ctx())
			}
			r := w.state().Revocations[0]
			Expect(r.Attempts).To(Equal(4), "tried at most MaxRevokeAttempts times")
			Expect(r.NeedsAttention).To(BeTrue())
			Expect(waits[0]).To(And(BeNumerically(">=", 500*time.Millisecond), BeNumerically("<=", time.Second)))
			Expect(waits[1]).To(And(BeNumerically(">=", time.Second), BeNumerically("<=", 2*time.Second)))
			Expect(waits[2]).To(And(BeNumerically(">=", 2*time.Second), BeNumerically("<=", 4*time.Second)))
			Expect(w.drained()).To(BeTrue(), "what waits for an admin is not work for the worker")
		})

		It("revokes at once when an admin retries, once the cause is fixed", func() {
			for range 5 {
				w.clock.Advance(time.Minute)
				w.conn.Reconcile(ctx())
			}
			r := w.state().Revocations[0]
			Expect(r.NeedsAttention).To(BeTrue())

			w.secrets["purchase_orders"] = "secret-of-purchase_orders-0123456789"
			revoked, err := w.conn.RetryRevocation(ctx(), r.ServiceID, r.TokenID)

			Expect(err).NotTo(HaveOccurred())
			Expect(revoked).To(BeTrue())
			Expect(w.state().Revocations).To(BeEmpty())
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			_, err = w.conn.RetryRevocation(ctx(), r.ServiceID, r.TokenID)
			Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
		})
	})

	Describe("delivery that converges", func() {
		It("rolls a failed connect back, revokes its key, and delivers the restored state once the helper works", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			w.installer.Fail(errors.New("helper crashed"))

			_, err = w.conn.Connect(ctx(), w.alice, "purchase_orders")

			Expect(err).To(HaveOccurred())
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			Expect(w.state().Deliveries).To(ConsistOf(HaveField("UserEmail", "alice@example.com")))
			st, _ := w.conn.State(ctx(), w.alice, "crm")
			Expect(st.DeliveryPending).To(BeTrue())

			w.installer.Heal()
			w.reconcileUntilDrained()

			Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="))
			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY"))
			st, _ = w.conn.State(ctx(), w.alice, "crm")
			Expect(st.DeliveryPending).To(BeFalse())
		})
	})

	Describe("expiry", func() {
		It("takes an expired key out of the delivered files, keeps showing it as expired, and Reconnect replaces it", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			w.clock.Advance(30 * 24 * time.Hour)
			_, err = w.conn.Connect(ctx(), w.alice, "crm") // expires a month later
			Expect(err).NotTo(HaveOccurred())
			conn, _ := w.recorded("purchase_orders")
			w.clock.Advance(conn.ExpiresAt.Sub(w.clock.Now()) - time.Hour)
			w.conn.Reconcile(ctx())
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY="), "not expired yet")

			w.clock.Advance(2 * time.Hour)
			w.conn.Reconcile(ctx())

			Expect(w.home(".service_env")).NotTo(ContainSubstring("PO_API_KEY="))
			Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="))
			st, _ := w.conn.State(ctx(), w.alice, "purchase_orders")
			Expect(st.Status).To(Equal(connector.StatusExpired))
			Expect(st.ExpiresAt).To(Equal(conn.ExpiresAt))

			st, err = w.conn.Connect(ctx(), w.alice, "purchase_orders")
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Status).To(Equal(connector.StatusConnected))
			Expect(w.home(".service_env")).To(ContainSubstring("PO_API_KEY="))
		})
	})

	Describe("offboarding", func() {
		BeforeEach(func() {
			for _, id := range []string{"purchase_orders", "crm"} {
				_, err := w.conn.Connect(ctx(), w.alice, id)
				Expect(err).NotTo(HaveOccurred())
			}
		})

		It("forgets every connection, revokes every key and clears the files", func() {
			res, err := w.conn.Offboard(ctx(), "ALICE@example.com")

			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(connector.OffboardResult{Connections: 2, Revoked: 2, Delivered: true}))
			Expect(w.forUser("alice@example.com")).To(BeEmpty())
			Expect(w.liveTokenIDs("purchase_orders")).To(BeEmpty())
			Expect(w.liveTokenIDs("crm")).To(BeEmpty())
			Expect(w.home(".service_env")).NotTo(ContainSubstring("_API_KEY="))
			Expect(w.home(".claude_rules/sc_crm.md")).To(BeEmpty())
		})

		It("queues what a service cannot revoke now, and the worker finishes it", func() {
			w.secrets["crm"] = "a-wrong-shared-secret-000"

			res, err := w.conn.Offboard(ctx(), "alice@example.com")

			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(Equal(connector.OffboardResult{Connections: 2, Revoked: 1, Queued: 1, Delivered: true}))
			Expect(w.liveTokenIDs("crm")).To(HaveLen(1))
			w.secrets["crm"] = "secret-of-crm-0123456789"
			w.reconcileUntilDrained()
			Expect(w.liveTokenIDs("crm")).To(BeEmpty())
		})

		It("refuses a person with no connections and no known account", func() {
			_, err := w.conn.Offboard(ctx(), "nobody@example.com")
			Expect(services.ErrorCode(err)).To(Equal(services.ENotFound))
		})
	})

	Describe("Run", func() {
		It("works through the queue in the background and stops when its context ends", func() {
			_, err := w.conn.Connect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			w.installer.Fail(errors.New("helper crashed"))
			_, err = w.conn.Disconnect(ctx(), w.alice, "crm")
			Expect(err).NotTo(HaveOccurred())
			Expect(w.home(".service_env")).To(ContainSubstring("CRM_API_KEY="))

			runCtx, stop := context.WithCancel(ctx())
			done := make(chan struct{})
			go func() { defer close(done); w.conn.Run(runCtx) }()
			w.installer.Heal()
			w.clock.Advance(time.Minute)

			Eventually(func() string { return w.home(".service_env") }).WithTimeout(5 * time.Second).ShouldNot(ContainSubstring("CRM_API_KEY="))
			stop()
			Eventually(done).WithTimeout(5 * time.Second).Should(BeClosed())
		})
	})
})
