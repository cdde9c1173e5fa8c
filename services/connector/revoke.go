package connector

import (
	"context"
	"sync"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// newRevocation is the queue entry of a key to revoke. Whoever queues it tries it at once, so
// the worker leaves it alone for RetryBase: two tries at once would race, and the one that
// queued it would report a key the service is revoking as merely queued.
func (c *Connector) newRevocation(serviceID, tokenID, email, why string) store.Revocation {
	now := c.now()
	return store.Revocation{ServiceID: serviceID, TokenID: tokenID, UserEmail: email, Reason: why, QueuedAt: now, NextAttemptAt: now.Add(c.opts.RetryBase)}
}

// revokeNow tries queued revocations right away, concurrently, each on its own deadline;
// what fails stays queued for the worker.
func (c *Connector) revokeNow(queued ...store.Revocation) {
	var wg sync.WaitGroup
	for _, r := range queued {
		wg.Go(func() { c.tryRevocation(r) })
	}
	wg.Wait()
}

// tryRevocation makes one attempt at a queued revocation and records its outcome: removed
// from the queue when the service confirms, otherwise retried after a backoff, or left for
// an admin once the attempts run out. It reports whether the key is revoked.
func (c *Connector) tryRevocation(r store.Revocation) bool {
	k := revocationKey{r.ServiceID, r.TokenID}
	if !c.work.claimRevocation(k) {
		return false
	}
	defer c.work.releaseRevocation(k)

	err := c.revokeAtService(r)
	if err == nil {
		if uerr := c.store.Update(func(tx *store.Tx) error { tx.RemoveRevocation(r.ServiceID, r.TokenID); return nil }); uerr != nil {
			// Revoke is idempotent: the entry is simply tried again.
			c.opts.Log.Error("could not take a revoked key off the queue", "service", r.ServiceID, "token_id", r.TokenID, "err", uerr)
		}
		c.opts.Log.Info("revoked", "service", r.ServiceID, "user", r.UserEmail, "token_id", r.TokenID, "reason", r.Reason)
		return true
	}
	var attention bool
	uerr := c.store.Update(func(tx *store.Tx) error {
		cur, ok := tx.Revocation(r.ServiceID, r.TokenID)
		if !ok {
			return nil // an admin removed it meanwhile
		}
		cur.Attempts++
		cur.LastError = services.ErrorMessage(err)
		cur.NextAttemptAt = c.now().Add(c.backoff(cur.Attempts))
		cur.NeedsAttention = cur.Attempts >= c.opts.MaxRevokeAttempts
		attention = cur.NeedsAttention
		return tx.PutRevocation(cur)
	})
	if uerr != nil {
		c.opts.Log.Error("could not record a failed revocation", "service", r.ServiceID, "token_id", r.TokenID, "err", uerr)
	}
	if attention {
		c.opts.Log.Error("revocation needs attention: the attempts ran out and the key may still be live", "service", r.ServiceID, "user", r.UserEmail, "token_id", r.TokenID, "err", err)
	} else {
		c.opts.Log.Warn("revoke failed; queued for a retry", "service", r.ServiceID, "user", r.UserEmail, "token_id", r.TokenID, "err", err)
	}
	return false
}

// revokeAtService asks the key's service to revoke it.
func (c *Connector) revokeAtService(r store.Revocation) error {
	svc, ok := c.registry.Service(r.ServiceID)
	if !ok && r.RevokeURL != "" {
		// Removed from the registry: revoked where the registry said when it was removed.
		svc, ok = services.Service{ID: r.ServiceID, Name: r.ServiceID, TokenRevokeURL: r.RevokeURL}, true
	}
	if !ok {
		return services.Errorf(services.EUnavailable, "The service %q is not in the registry any more, so the portal does not know where to revoke the key.", r.ServiceID)
	}
	secret, ok := c.secrets(svc.ID)
	if !ok {
		return services.Errorf(services.EUnavailable, "The portal has no shared secret for %s to revoke the key with.", svc.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	return c.exchanger.Revoke(ctx, svc, secret, r.TokenID)
}

// RetryRevocation puts a revocation that needs attention back in the queue, due at once, and
// tries it. It reports whether the key is revoked now.
func (c *Connector) RetryRevocation(serviceID, tokenID string) (bool, error) {
	var r store.Revocation
	err := c.store.Update(func(tx *store.Tx) error {
		cur, ok := tx.Revocation(serviceID, tokenID)
		if !ok {
			return services.Errorf(services.ENotFound, "That key is not in the revocation queue (any more).")
		}
		cur.Attempts, cur.NeedsAttention, cur.NextAttemptAt = 0, false, c.now().Add(c.opts.RetryBase)
		r = cur
		return tx.PutRevocation(cur)
	})
	if err != nil {
		return false, err
	}
	return c.tryRevocation(r), nil
}
