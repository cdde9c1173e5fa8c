package refservice_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
)

// poConfig configures the Purchase Orders service on a state file.
func poConfig(clock *fakeClock, stateFile string) refservice.Config {
	return refservice.Config{ID: "purchase_orders", Name: "Purchase Orders", API: refservice.PurchaseOrders,
		Secret: poSecret, Now: clock.Now, StateFile: stateFile}
}

// newStatefulWorld serves the Purchase Orders service alone, on a state file.
func newStatefulWorld(clock *fakeClock, stateFile string) *world {
	GinkgoHelper()
	w := &world{clock: clock, po: newService(poConfig(clock, stateFile))}
	w.server = httptest.NewServer(refservice.Handler(w.po))
	DeferCleanup(w.server.Close)
	w.client = w.server.Client()
	return w
}

// editJSON returns a change to a valid state file made on its decoded JSON.
func editJSON(edit func(state map[string]any, firstToken map[string]any)) func([]byte) []byte {
	return func(valid []byte) []byte {
		var state map[string]any
		Expect(json.Unmarshal(valid, &state)).To(Succeed())
		edit(state, state["tokens"].([]any)[0].(map[string]any))
		edited, err := json.Marshal(state)
		Expect(err).NotTo(HaveOccurred())
		return edited
	}
}

var _ = Describe("The state file", func() {
	const whoami = "/purchase_orders/api/whoami"
	var (
		dir, file string
		clock     *fakeClock
		w         *world
	)

	// restart stops the service and starts a new one on the same state file.
	restart := func() {
		GinkgoHelper()
		w.server.Close()
		w = newStatefulWorld(clock, file)
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		file = filepath.Join(dir, "purchase_orders.json")
		clock = &fakeClock{now: time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)}
		w = newStatefulWorld(clock, file)
	})

	It("is created with mode 0600 when the service starts without one", func() {
		info, err := os.Stat(file)

		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		Expect(os.ReadFile(file)).To(ContainSubstring(`"hmac_key"`))
	})

	When("the service restarts", func() {
		var (
			key     services.Secret
			tokenID string
		)

		BeforeEach(func() {
			key, tokenID = w.connect("purchase_orders", poSecret, "john@your-domain.com")
		})

		It("still accepts a key it minted before", func() {
			restart()

			a := w.get(whoami, key.Reveal())
			Expect(a.status).To(Equal(http.StatusOK), a.raw)
			Expect(a.json).To(HaveKeyWithValue("token_id", tokenID))
			Expect(a.json).To(HaveKeyWithValue("user_email", "john@your-domain.com"))
			Expect(a.json).To(HaveKeyWithValue("expires_at", "2026-04-13T09:26:53Z"))
			Expect(w.po.LiveTokens()).To(ConsistOf(HaveField("TokenID", tokenID)))
		})

		It("still refuses a key revoked before", func() {
			Expect(w.revoke(tokenID).status).To(Equal(http.StatusOK))

			restart()

			a := w.get(whoami, key.Reveal())
			Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring("revoked")))
			Expect(w.po.LiveTokens()).To(BeEmpty())
		})

		It("still lets a key expire when it should", func() {
			restart()
			clock.Advance(30 * 24 * time.Hour)

			a := w.get(whoami, key.Reveal())
			Expect(a.status).To(Equal(http.StatusUnauthorized), a.raw)
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring("expired")))
		})

		It("answers a request_id retried after the restart with the same key", func() {
			first := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)
			Expect(first.status).To(Equal(http.StatusOK), first.raw)

			restart()

			again := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)
			Expect(again.status).To(Equal(http.StatusOK), again.raw)
			Expect(again.json).To(Equal(first.json))
			Expect(w.po.LiveTokens()).To(HaveLen(2))
			Expect(w.exchange(`{"user_email":"eve@your-domain.com","request_id":"req-1"}`).status).To(Equal(http.StatusConflict))
		})

		It("answers a request_id retried after a revoke with the key minted after it", func() {
			first := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)
			Expect(w.revoke(first.json["token_id"].(string)).status).To(Equal(http.StatusOK))
			second := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)
			Expect(second.json["token_id"]).NotTo(Equal(first.json["token_id"]))

			restart()

			Expect(w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`).json).To(Equal(second.json))
		})
	})

	It("never holds a key, and stays 0600 with no temporary file beside it", func() {
		john, johnToken := w.connect("purchase_orders", poSecret, "john@your-domain.com")
		mary, _ := w.connect("purchase_orders", poSecret, "mary@your-domain.com")
		Expect(w.revoke(johnToken).status).To(Equal(http.StatusOK))

		data, err := os.ReadFile(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(johnToken))
		for _, key := range []services.Secret{john, mary} {
			Expect(string(data)).NotTo(ContainSubstring(key.Reveal()))
			Expect(string(data)).NotTo(ContainSubstring(strings.TrimPrefix(key.Reveal(), "po_live_")))
		}
		info, err := os.Stat(file)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(ConsistOf(HaveField("Name()", "purchase_orders.json")))
	})

	It("removes a temporary file a killed service left behind", func() {
		leftover := filepath.Join(dir, ".purchase_orders.json.tmp-123456")
		Expect(os.WriteFile(leftover, []byte(`{"version":`), 0o600)).To(Succeed())

		restart()

		Expect(leftover).NotTo(BeAnExistingFile())
		Expect(file).To(BeAnExistingFile())
	})

	DescribeTable("refuses to start on a file it cannot read, and leaves the file as it was",
		func(corrupt func(valid []byte) []byte) {
			w.connect("purchase_orders", poSecret, "john@your-domain.com")
			valid, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			bad := corrupt(valid)
			Expect(os.WriteFile(file, bad, 0o600)).To(Succeed())

			_, err = refservice.New(poConfig(clock, file))

			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring("state file"))
			Expect(os.ReadFile(file)).To(Equal(bad))
		},
		Entry("an empty file", func([]byte) []byte { return []byte{} }),
		Entry("not JSON", func([]byte) []byte { return []byte("purchase_orders tokens") }),
		Entry("a file cut short", func(valid []byte) []byte { return valid[:len(valid)/2] }),
		Entry("data after the state", func(valid []byte) []byte { return append(valid, []byte(`{}`)...) }),
		Entry("an unknown field", editJSON(func(state, _ map[string]any) { state["comment"] = "hello" })),
		Entry("an unknown token field", editJSON(func(_, tok map[string]any) { tok["api_key"] = "po_live_x" })),
		Entry("another version", editJSON(func(state, _ map[string]any) { state["version"] = 2 })),
		Entry("another service's file", editJSON(func(state, _ map[string]any) { state["service"] = "crm" })),
		Entry("an hmac_key that is not base64", editJSON(func(state, _ map[string]any) { state["hmac_key"] = "not base64!" })),
		Entry("a short hmac_key", editJSON(func(state, _ map[string]any) {
			state["hmac_key"] = base64.StdEncoding.EncodeToString([]byte("short"))
		})),
		Entry("another hmac_key", editJSON(func(state, _ map[string]any) {
			state["hmac_key"] = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
		})),
		Entry("a key hash that does not match", editJSON(func(_, tok map[string]any) { tok["key_sha256"] = strings.Repeat("0", 64) })),
		Entry("a token without expiry", editJSON(func(_, tok map[string]any) { delete(tok, "expires_at") })),
		Entry("a token without owner", editJSON(func(_, tok map[string]any) { tok["user_email"] = "" })),
		Entry("a revoked token without revoked_at", editJSON(func(_, tok map[string]any) { tok["revoked"] = true })),
		Entry("the same token twice", editJSON(func(state, tok map[string]any) { state["tokens"] = []any{tok, tok} })),
	)

	It("refuses to start when the file's directory does not exist", func() {
		_, err := refservice.New(poConfig(clock, filepath.Join(dir, "missing", "purchase_orders.json")))

		Expect(err).To(HaveOccurred())
		Expect(filepath.Join(dir, "missing")).NotTo(BeADirectory())
	})

	When("the file cannot be written", func() {
		var (
			key     services.Secret
			tokenID string
		)

		BeforeEach(func() {
			key, tokenID = w.connect("purchase_orders", poSecret, "john@your-domain.com")
			// Removing the directory works even for root, which ignores permissions.
			Expect(os.RemoveAll(dir)).To(Succeed())
		})

		It("answers an exchange with 500 and hands out no key", func() {
			a := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)

			Expect(a.status).To(Equal(http.StatusInternalServerError), a.raw)
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
			Expect(a.json).NotTo(HaveKey("api_key"))
			Expect(a.raw).NotTo(ContainSubstring("po_live_"))
			Expect(w.po.LiveTokens()).To(ConsistOf(HaveField("TokenID", tokenID)))
		})

		It("answers a revoke with 500 and the key keeps working until a revoke succeeds", func() {
			a := w.revoke(tokenID)

			Expect(a.status).To(Equal(http.StatusInternalServerError), a.raw)
			Expect(a.json).To(HaveKeyWithValue("status", "error"))
			Expect(w.get(whoami, key.Reveal()).status).To(Equal(http.StatusOK))
		})

		It("carries on with the whole table once the file can be written again", func() {
			Expect(w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`).status).To(Equal(http.StatusInternalServerError))
			Expect(os.Mkdir(dir, 0o700)).To(Succeed())

			mary := w.exchange(`{"user_email":"mary@your-domain.com","request_id":"req-1"}`)
			Expect(mary.status).To(Equal(http.StatusOK), mary.raw)
			restart()

			Expect(w.get(whoami, key.Reveal()).status).To(Equal(http.StatusOK))
			Expect(w.get(whoami, mary.json["api_key"].(string)).status).To(Equal(http.StatusOK))
			Expect(w.po.LiveTokens()).To(HaveLen(2))
		})
	})

	When("tokens ended more than 30 days ago", func() {
		var (
			expired, revoked, kept       services.Secret
			expiredID, revokedID, keptID string
		)

		BeforeEach(func() {
			a := w.exchange(`{"user_email":"john@your-domain.com","ttl_days":1,"request_id":"req-1"}`)
			Expect(a.status).To(Equal(http.StatusOK), a.raw)
			expired, expiredID = services.Secret(a.json["api_key"].(string)), a.json["token_id"].(string)
			revoked, revokedID = w.connect("purchase_orders", poSecret, "mary@your-domain.com")
			a = w.exchange(`{"user_email":"mary@your-domain.com","ttl_days":365}`)
			Expect(a.status).To(Equal(http.StatusOK), a.raw)
			kept, keptID = services.Secret(a.json["api_key"].(string)), a.json["token_id"].(string)
			Expect(w.revoke(revokedID).status).To(Equal(http.StatusOK))
		})

		It("keeps them until then, and a request_id of theirs still conflicts", func() {
			clock.Advance(29 * 24 * time.Hour)
			w.connect("purchase_orders", poSecret, "bob@your-domain.com")

			Expect(os.ReadFile(file)).To(And(ContainSubstring(expiredID), ContainSubstring(revokedID)))
			Expect(w.get(whoami, expired.Reveal()).json).To(HaveKeyWithValue("error", ContainSubstring("expired")))
			Expect(w.exchange(`{"user_email":"eve@your-domain.com","request_id":"req-1"}`).status).To(Equal(http.StatusConflict))
		})

		It("drops them from the file and the table with the next change, restart or not", func() {
			clock.Advance(31 * 24 * time.Hour)
			w.connect("purchase_orders", poSecret, "bob@your-domain.com")

			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).NotTo(ContainSubstring(expiredID))
			Expect(string(data)).NotTo(ContainSubstring(revokedID))
			Expect(string(data)).To(ContainSubstring(keptID))
			for range 2 {
				Expect(w.get(whoami, expired.Reveal()).json).To(HaveKeyWithValue("error", ContainSubstring("not valid")))
				Expect(w.get(whoami, revoked.Reveal()).json).To(HaveKeyWithValue("error", ContainSubstring("not valid")))
				Expect(w.get(whoami, kept.Reveal()).status).To(Equal(http.StatusOK))
				restart()
			}
		})
	})
})
