package connector

import (
	"context"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// reconcileParallelism bounds the calls one pass of the worker makes at once.
const reconcileParallelism = 8

// Run is the connector's background worker: it reconciles at once, which resumes whatever a
// previous process left (queued revocations, pending deliveries, exchanges in flight), then
// again whenever a use case queued work and every ReconcileInterval, until ctx ends.
func (c *Connector) Run(ctx context.Context) {
	ticker := time.NewTicker(c.opts.ReconcileInterval)
	defer ticker.Stop()
	for {
		c.Reconcile(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.work.wake:
		}
	}
}

// Reconcile makes one pass over the work that is due: exchange intents nobody in this process
// is running, pending deliveries, queued revocations, and keys that expired since the last
// pass (their people get a delivery without them); first, connections to services that left
// the registry are removed. It returns when the pass is done; what
// failed is retried on a later pass, after a backoff.
func (c *Connector) Reconcile(ctx context.Context) {
	st := c.store.State()
	removed := c.removeOrphans(ctx, st.Connections)
	if swept := c.sweepExpiries(st.Connections); removed || swept {
		st = c.store.State() // they queued work for this pass
	}
	now := c.opts.Now()
	sem := make(chan struct{}, reconcileParallelism)
	var wg sync.WaitGroup
	run := func(f func()) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() { defer func() { <-sem }(); f() })
	}
	for _, in := range st.Intents {
		if now.Before(in.NextAttemptAt) || c.work.isInflight(in.RequestID) {
			continue
		}
		run(func() { c.recoverIntent(ctx, in) })
	}
	for _, d := range st.Deliveries {
		if now.Before(d.NextAttemptAt) {
			continue
		}
		run(func() { c.redeliver(ctx, d) })
	}
	for _, r := range st.Revocations {
		if r.NeedsAttention || now.Before(r.NextAttemptAt) {
			continue
		}
		run(func() { c.tryRevocation(r) })
	}
	wg.Wait()
}

// Drained reports whether no work is left but what waits for an admin: no intents, no
// pending deliveries, no queued revocation that the worker would still try, and no
// connection to a service that left the registry.
func (c *Connector) Drained() bool {
	st := c.store.State()
	if len(st.Intents) > 0 || len(st.Deliveries) > 0 {
		return false
	}
	for _, r := range st.Revocations {
		if !r.NeedsAttention {
			return false
		}
	}
	for _, conn := range st.Connections {
		if _, ok := c.registry.Service(conn.ServiceID); !ok {
			return false // its service left the registry: still to be removed
		}
	}
	return true
}

// recoverIntent settles an exchange intent that no use case of this process is running: its
// process died, or its exchange failed. An intent without a token id may have minted a key
// nobody recorded: the exchange is replayed with the same request_id and what the service
// answers is queued for revocation. An intent with a token id had its key recorded and
// marked for delivery; the key it replaced is queued for revocation, unless the record was
// rolled back, in which case the new key is.
func (c *Connector) recoverIntent(ctx context.Context, in store.Intent) {
	unlock, err := c.locks.lock(ctx, in.Username)
	if err != nil {
		return
	}
	defer unlock()
	// Under the lock: a use case may have settled it meanwhile.
	in, ok := c.store.Intent(in.RequestID)
	if !ok || c.work.isInflight(in.RequestID) {
		return
	}
	if in.TokenID != "" {
		c.finishRecordedIntent(in)
		return
	}
	svc, ok := c.registry.Service(in.ServiceID)
	secret, configured := c.secrets(in.ServiceID)
	if !ok || !configured {
		c.retryIntent(in, services.Errorf(services.EUnavailable, "The service %q is not in the registry or has no shared secret, so the exchange cannot be replayed.", in.ServiceID))
		return
	}
	opCtx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	tok, err := c.exchanger.Exchange(opCtx, svc, secret, exchange.Request{UserEmail: in.UserEmail, TTLDays: in.TTLDays, RequestID: in.RequestID})
	if err != nil && tok.TokenID == "" {
		// Nothing named yet. A refusal (4xx) of the replay says nothing of what the first
		// request did, so every failure is retried.
		c.retryIntent(in, err)
		return
	}
	r := c.newRevocation(in.ServiceID, tok.TokenID, in.UserEmail, "minted for an exchange that did not finish")
	err = c.store.Update(func(tx *store.Tx) error {
		tx.RemoveIntent(in.RequestID)
		if conn, ok := tx.Get(in.UserEmail, in.ServiceID); ok && conn.TokenID == tok.TokenID {
			return nil // recorded after all: not ours to revoke
		}
		return tx.QueueRevocation(r)
	})
	if err != nil {
		c.opts.Log.Error("could not queue the revocation of a recovered key", "service", in.ServiceID, "user", in.UserEmail, "err", err)
		return
	}
	c.opts.Log.Info("recovered an unfinished exchange; its key is queued for revocation", "service", in.ServiceID, "user", in.UserEmail, "token_id", tok.TokenID)
	c.tryRevocation(r)
}

// finishRecordedIntent settles an intent whose new key was recorded before its process died.
func (c *Connector) finishRecordedIntent(in store.Intent) {
	var queued []store.Revocation
	err := c.store.Update(func(tx *store.Tx) error {
		queued = queued[:0]
		tx.RemoveIntent(in.RequestID)
		// Whatever the record holds now stays; the keys the intent names that it does not
		// hold go: the replaced one, and the new one too if the record moved on (a later
		// disconnect, a rollback).
		conn, _ := tx.Get(in.UserEmail, in.ServiceID)
		for _, id := range []string{in.Replaces, in.TokenID} {
			if id == "" || id == conn.TokenID {
				continue
			}
			r := c.newRevocation(in.ServiceID, id, in.UserEmail, "named by an exchange that did not finish")
			r.RevokeURL = conn.RevokeURL
			queued = append(queued, r)
			if err := tx.QueueRevocation(r); err != nil {
				return err
			}
		}
		return c.markPending(tx, services.User{Email: in.UserEmail, Username: in.Username})
	})
	if err != nil {
		c.opts.Log.Error("could not settle a recorded exchange intent", "service", in.ServiceID, "user", in.UserEmail, "err", err)
		return
	}
	c.revokeNow(queued...)
}

// retryIntent records a failed recovery attempt.
func (c *Connector) retryIntent(in store.Intent, cause error) {
	c.recordIntentFailure(in, cause)
	c.opts.Log.Warn("replaying an unfinished exchange failed; will retry", "service", in.ServiceID, "user", in.UserEmail, "err", cause)
}

// recordIntentFailure counts a failed attempt at an intent's exchange and sets when the
// worker replays it, after a backoff.
func (c *Connector) recordIntentFailure(in store.Intent, cause error) {
	in.Attempts++
	in.NextAttemptAt = c.now().Add(c.backoff(in.Attempts))
	in.LastError = services.ErrorMessage(cause)
	if err := c.store.Update(func(tx *store.Tx) error {
		if _, ok := tx.Intent(in.RequestID); !ok {
			return nil
		}
		return tx.PutIntent(in)
	}); err != nil {
		c.opts.Log.Error("could not record a failed exchange intent", "service", in.ServiceID, "user", in.UserEmail, "err", err)
	}
}

// redeliver retries a pending delivery of a person's whole state.
func (c *Connector) redeliver(ctx context.Context, d store.PendingDelivery) {
	unlock, err := c.locks.lock(ctx, d.Username)
	if err != nil {
		return
	}
	defer unlock()
	cur, ok := c.store.Delivery(d.UserEmail)
	if !ok || c.opts.Now().Before(cur.NextAttemptAt) {
		return // delivered meanwhile, or tried again by a use case
	}
	opCtx, cancel := context.WithTimeout(ctx, revokeTimeout)
	defer cancel()
	if err := c.deliverOrMark(opCtx, services.User{Email: cur.UserEmail, Username: cur.Username}); err != nil {
		c.opts.Log.Warn("pending delivery failed again; will retry", "user", cur.UserEmail, "attempts", cur.Attempts+1, "err", err)
		return
	}
	c.opts.Log.Info("pending delivery done", "user", cur.UserEmail, "attempts", cur.Attempts+1)
}

// sweepExpiries marks for delivery the people whose keys expired since the last sweep, so
// an expired key leaves their files. The first sweep of a process covers every expiry
// before it: a key that expired while the portal was down leaves the files too.
func (c *Connector) sweepExpiries(conns []services.Connection) (wrote bool) {
	now := c.opts.Now()
	c.work.mu.Lock()
	since := c.work.swept
	c.work.mu.Unlock()
	var expired []services.Connection
	for _, conn := range conns {
		if conn.Expired(now) && conn.ExpiresAt.After(since) {
			expired = append(expired, conn)
		}
	}
	if len(expired) > 0 {
		err := c.store.Update(func(tx *store.Tx) error {
			for _, conn := range expired {
				if err := c.markPendingNow(tx, services.User{Email: conn.UserEmail, Username: conn.Username}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			c.opts.Log.Error("could not mark expired keys for delivery", "err", err)
			return false
		}
	}
	c.work.mu.Lock()
	c.work.swept = now
	c.work.mu.Unlock()
	return len(expired) > 0
}

// markPendingNow marks the person's delivery as pending and due at once.
func (c *Connector) markPendingNow(tx *store.Tx, user services.User) error {
	d, ok := tx.Delivery(user.Email)
	if !ok {
		d = store.PendingDelivery{UserEmail: user.Email, Username: user.Username, Since: c.now()}
	}
	d.NextAttemptAt = time.Time{}
	return tx.PutDelivery(d)
}
