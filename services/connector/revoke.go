package connector

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// queueFunc puts a key in the revocation queue inside a store change.
type queueFunc func(store.Revocation) error

// queuedKey is a key a store change queued for revocation. leased says the change queued it
// afresh, leased to this portal: its first attempt needs no claim, and no worker takes it
// meanwhile. A key that was queued already keeps its entry and is claimed like any other.
type queuedKey struct {
	store.Revocation
	leased bool
}

// commitRevocations runs change as one store change; the keys change queues for revocation
// with queue are returned once it is committed, for the caller to revoke (revokeNow) when its
// next step allows. A key is thus forgotten and queued in one change, and revoked only after
// it; a change that fails queues nothing.
func (c *Connector) commitRevocations(ctx context.Context, change func(tx *store.Tx, queue queueFunc) error) ([]queuedKey, error) {
	var queued []queuedKey
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		return change(tx, func(r store.Revocation) error {
			leased, err := tx.QueueRevocation(r)
			queued = append(queued, queuedKey{Revocation: r, leased: leased})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	return queued, nil
}

// updateAndRevoke is commitRevocations with nothing between the change and the revocations.
func (c *Connector) updateAndRevoke(ctx context.Context, change func(tx *store.Tx, queue queueFunc) error) error {
	queued, err := c.commitRevocations(ctx, change)
	if err != nil {
		return err
	}
	c.revokeNow(ctx, queued...)
	return nil
}

// newRevocation is the queue entry of a key to revoke. Whoever queues it holds its lease and
// tries it at once; the worker takes it after RetryBase if that first attempt failed, or
// once the lease runs out if the one that queued it died before trying.
func (c *Connector) newRevocation(serviceID, tokenID, email, why string) store.Revocation {
	now := c.now()
	return store.Revocation{ServiceID: serviceID, TokenID: tokenID, UserEmail: email, Reason: why, QueuedAt: now,
		Retry: store.Retry{NextAttemptAt: now.Add(c.opts.RetryBase)}}
}

// revokeNow tries queued revocations right away, concurrently, each bounded by callTimeout;
// what fails stays queued for the worker. It returns how many the services confirmed.
func (c *Connector) revokeNow(ctx context.Context, queued ...queuedKey) int {
	var wg sync.WaitGroup
	var revoked atomic.Int64
	for _, r := range queued {
		wg.Go(func() {
			if c.tryRevocation(ctx, r) {
				revoked.Add(1)
			}
		})
	}
	wg.Wait()
	return int(revoked.Load())
}

// tryRevocation makes one attempt at a queued revocation, claiming it first unless this
// portal queued it leased. It reports false, trying nothing, when another attempt holds the
// claim (this portal's worker, or another portal): that one reports the outcome, and the
// key is pending meanwhile.
func (c *Connector) tryRevocation(ctx context.Context, r queuedKey) bool {
	if r.leased {
		return c.attemptRevocation(ctx, r.Revocation)
	}
	claimed, ok, err := c.store.ClaimRevocation(ctx, r.ServiceID, r.TokenID)
	if err != nil {
		c.opts.Log.Warn("could not claim a queued revocation; the worker tries it later", "service", r.ServiceID, "token_id", r.TokenID, "err", err)
	}
	return ok && c.attemptRevocation(ctx, claimed)
}

// attemptRevocation makes one attempt at a claimed revocation and records its outcome, which
// ends the claim: removed from the queue when the service confirms, otherwise retried after a
// backoff, or left for an admin once the attempts run out. It reports whether the key is
// revoked. An attempt cut short because ctx ended (the portal shutting down) says nothing
// about the service, is not counted, and gives the claim back.
func (c *Connector) attemptRevocation(ctx context.Context, r store.Revocation) bool {
	err := c.revokeAtService(ctx, r)
	switch {
	case err == nil:
		c.revoked(ctx, r)
		return true
	case ctx.Err() != nil:
		if rerr := c.store.ReleaseRevocation(context.WithoutCancel(ctx), r.ServiceID, r.TokenID); rerr != nil {
			c.opts.Log.Warn("could not release a queued revocation; its claim runs out by itself", "service", r.ServiceID, "token_id", r.TokenID, "err", rerr)
		}
		return false
	}
	var attention bool
	uerr := c.store.Update(ctx, func(tx *store.Tx) error {
		cur, ok, rerr := tx.Revocation(r.ServiceID, r.TokenID)
		if rerr != nil || !ok {
			return rerr // !ok: an admin removed it meanwhile
		}
		c.failed(&cur.Retry, err)
		cur.NeedsAttention = cur.Attempts >= c.opts.MaxRevokeAttempts
		attention = cur.NeedsAttention
		outcome := string(OutcomeFailed)
		if attention {
			outcome = AuditNeedsAttention
		}
		tx.Audit(c.event(ctx, EventRevocation, outcome, fmt.Sprintf("attempt %d failed: %s (queued as %s)", cur.Attempts, cur.LastError, r.Reason),
			services.User{Email: r.UserEmail}, r.ServiceID, r.TokenID))
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

// revoked takes a key its service confirmed revoked off the queue.
func (c *Connector) revoked(ctx context.Context, r store.Revocation) {
	err := c.store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		tx.Audit(c.event(ctx, EventRevocation, AuditConfirmed, "the service confirmed the key revoked (queued as "+r.Reason+")",
			services.User{Email: r.UserEmail}, r.ServiceID, r.TokenID))
		_, err := tx.RemoveRevocation(r.ServiceID, r.TokenID)
		return err
	})
	if err != nil {
		// Revoke is idempotent: the entry is simply tried again.
		c.opts.Log.Error("could not take a revoked key off the queue", "service", r.ServiceID, "token_id", r.TokenID, "err", err)
	}
	c.opts.Log.Info("revoked", "service", r.ServiceID, "user", r.UserEmail, "token_id", r.TokenID, "reason", r.Reason)
}

// revokeAtService asks the key's service to revoke it, within callTimeout.
func (c *Connector) revokeAtService(ctx context.Context, r store.Revocation) (err error) {
	defer func() { c.opts.Observer.Revoked(r.ServiceID, revokeOutcome(err)) }()
	svc, secret, err := c.revoker(r.ServiceID, r.RevokeURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.exchanger.Revoke(ctx, svc, secret, r.TokenID)
}

// revoker is the service to revoke a key of serviceID at, with its shared secret: the
// registry's entry, or, for a service that left the registry, the revoke URL recorded with
// the key. The error says why the portal cannot revoke it now.
func (c *Connector) revoker(serviceID, revokeURL string) (services.Service, services.Secret, error) {
	svc, ok := c.registry.Service(serviceID)
	if !ok && revokeURL != "" {
		svc, ok = services.Service{ID: serviceID, Name: serviceID, TokenRevokeURL: revokeURL}, true
	}
	if !ok {
		return svc, "", services.Errorf(services.EUnavailable, "The service %q is not in the registry any more, so the portal does not know where to revoke the key.", serviceID)
	}
	secret, ok := c.secrets(svc.ID)
	if !ok {
		return svc, "", services.Errorf(services.EUnavailable, "The portal has no shared secret for %s to revoke the key with.", svc.Name)
	}
	return svc, secret, nil
}

// RetryRevocation puts a queued revocation (typically one that needs attention) back in the
// queue, due at once, and tries it. It reports whether the key is revoked now. A malformed
// service id or token id is an EInvalid error, a key not in the queue ENotFound.
func (c *Connector) RetryRevocation(ctx context.Context, serviceID, tokenID string) (bool, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	if !services.ValidServiceID(serviceID) {
		return false, services.Errorf(services.EInvalid, "Retry needs a valid service id.")
	}
	if !exchange.ValidTokenID(tokenID) {
		return false, services.Errorf(services.EInvalid, "Retry needs the token id of a queued revocation.")
	}
	var r store.Revocation
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		cur, ok, err := tx.Revocation(serviceID, tokenID)
		if err != nil {
			return err
		}
		if !ok {
			return services.Errorf(services.ENotFound, "That key is not in the revocation queue (any more).")
		}
		cur.Attempts, cur.NeedsAttention, cur.NextAttemptAt = 0, false, c.now().Add(c.opts.RetryBase)
		r = cur
		tx.Audit(c.event(ctx, EventAdminRetry, string(OutcomeOK), "the queued revocation is tried again now", services.User{Email: cur.UserEmail}, serviceID, tokenID))
		return tx.PutRevocation(cur)
	})
	if err != nil {
		return false, err
	}
	return c.tryRevocation(ctx, queuedKey{Revocation: r}), nil
}

// retryAllBatch is how many queued revocations Retry all tries itself, and retryAllParallel
// how many at once; the rest of the queue is made due for the worker.
const (
	retryAllBatch    = 100
	retryAllParallel = 8
)

// RetryAllResult is what Retry all did: how many revocations the queue held, how many it
// tried now, and how many of those the services confirmed revoked. The others stay queued.
type RetryAllResult struct {
	Queued, Tried, Revoked int
}

// RetryAllRevocations puts every queued revocation back to its first attempt (none waits
// for an admin any more) and tries the first retryAllBatch of them at once, those that
// needed attention first, a few at a time; the rest are due at once for the worker. It
// reports how many the services confirmed revoked: the others stay queued and the worker
// goes on retrying them.
func (c *Connector) RetryAllRevocations(ctx context.Context) (RetryAllResult, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	batch, _, err := c.store.Revocations(ctx, store.Page{Limit: retryAllBatch})
	if err != nil {
		return RetryAllResult{}, services.Wrap(services.EInternal, err, "list the revocation queue")
	}
	var res RetryAllResult
	err = c.store.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.RetryRevocations(c.now(), c.now().Add(c.opts.RetryBase), batch)
		res.Queued = n
		tx.Audit(c.event(ctx, EventAdminRetryAll, string(OutcomeOK),
			"Retry all: "+plural(n, "queued revocation")+" put back to be tried now", services.User{}, "", ""))
		return err
	})
	if err != nil {
		return RetryAllResult{}, services.Wrap(services.EInternal, err, "retry the revocation queue")
	}
	var wg sync.WaitGroup
	var tried, revoked atomic.Int64
	slots := make(chan struct{}, retryAllParallel)
	for _, r := range batch {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if ctx.Err() != nil {
				return // out of time: the worker tries the rest
			}
			tried.Add(1)
			if c.tryRevocation(ctx, queuedKey{Revocation: r}) {
				revoked.Add(1)
			}
		})
	}
	wg.Wait()
	res.Tried, res.Revoked = int(tried.Load()), int(revoked.Load())
	c.opts.Log.Info("retried the revocation queue", "queued", res.Queued, "tried", res.Tried, "revoked", res.Revoked)
	return res, nil
}
