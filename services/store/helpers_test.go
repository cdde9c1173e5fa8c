package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// backends are the entries every shared spec body runs with.
var backends = []TableEntry{
	Entry("on SQLite", storetest.SQLite),
	Entry("on PostgreSQL", storetest.PostgreSQL),
}

// keyMark is part of every API key the specs store, so a spec can prove no error holds one.
const keyMark = "KEYMARK9"

// t0 is the specs' "now".
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)

// clock is a settable clock for a store, safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

// Now is the clock's time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// connection returns a valid connection of email to serviceID.
func connection(email, serviceID string) services.Connection {
	return services.Connection{
		UserEmail:   email,
		Username:    strings.ToLower(strings.Split(email, "@")[0]),
		ServiceID:   serviceID,
		TokenID:     "tok_" + serviceID + "_" + strings.Split(email, "@")[0],
		APIKey:      services.Secret("pk_live_" + keyMark + "_" + serviceID),
		ConnectedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		ExpiresAt:   time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC),
		RevokeURL:   "http://127.0.0.1:1/" + serviceID + "/api/internal/token-revoke",
	}
}

// revocation returns a revocation of tokenID at serviceID, due at due.
func revocation(serviceID, tokenID string, due time.Time) store.Revocation {
	return store.Revocation{ServiceID: serviceID, TokenID: tokenID, UserEmail: "ann@example.com", Reason: "disconnected", QueuedAt: t0, Retry: store.Retry{NextAttemptAt: due}}
}

// update runs fn as one change of s, failing the spec on an error.
func update(s *store.Store, fn func(tx *store.Tx) error) {
	GinkgoHelper()
	Expect(s.Update(context.Background(), fn)).To(Succeed())
}

// put records each connection in one change.
func put(s *store.Store, conns ...services.Connection) {
	GinkgoHelper()
	update(s, func(tx *store.Tx) error {
		for _, c := range conns {
			if err := tx.Put(c); err != nil {
				return err
			}
		}
		return nil
	})
}

// expectNoKeyIn asserts that no rendering of err holds an API key the specs stored.
func expectNoKeyIn(err error) {
	GinkgoHelper()
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		Expect(text).NotTo(ContainSubstring(keyMark))
	}
}

// writeFileStore writes st at path as the file store of the previous version wrote it.
func writeFileStore(path string, st store.State) {
	GinkgoHelper()
	Expect(storetest.WriteFileStore(filepath.Dir(path), st)).To(Succeed())
}
