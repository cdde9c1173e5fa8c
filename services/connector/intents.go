package connector

import (
	"context"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// An exchange intent is recorded before an exchange goes out and settled in the same store
// change that records its key, so a key minted by a process that died in between can be
// found again (by replaying the exchange with the same request_id) and revoked. This file
// holds the intent's whole life: reserve, settle, the ways a connect gives it up, and the
// worker's recovery of the intents nobody settled.

// reserve records the intent of an exchange for the person and service.
func (c *Connector) reserve(ctx context.Context, user services.User, svc services.Service) (store.Intent, error) {
	intent := store.Intent{
		RequestID: c.opts.NewRequestID(), UserEmail: user.Email, Username: user.Username, ServiceID: svc.ID,
		TTLDays: c.ttlDays(svc), StartedAt: c.now(),
	}
	if err := c.store.Update(ctx, func(tx *store.Tx) error { return tx.PutIntent(intent) }); err != nil {
		return store.Intent{}, services.Wrap(services.EInternal, err, "record the exchange intent")
	}
	return intent, nil
}

// settle ends a connect whose new key is recorded and delivered: the intent is dropped, the
// delivery mark cleared and the replaced key queued for revocation, in one store change; the
// replaced key is then revoked. The mark stays when the store moved on from the state
// delivered (see clearDelivery).
func (c *Connector) settle(ctx context.Context, user services.User, intent store.Intent, delivered delivery.Bundle, ev store.AuditEvent) error {
	return c.updateAndRevoke(ctx, func(tx *store.Tx, queue queueFunc) error {
		tx.Audit(ev)
		if _, err := tx.RemoveIntent(intent.RequestID); err != nil {
			return err
		}
		if err := c.clearDelivery(tx, user, delivered); err != nil {
			return err
		}
		if intent.Replaces == "" {
			return nil
		}
		return queue(c.newRevocation(intent.ServiceID, intent.Replaces, intent.UserEmail, "it was replaced"))
	})
}

// revokeInstead settles an intent whose key must not be recorded: the intent goes and the
// key is queued for revocation in one store change, then revoked. If that change fails the
// intent stays, and recovery replays and revokes.
func (c *Connector) revokeInstead(ctx context.Context, intent store.Intent, svc services.Service, tokenID, why string, events ...store.AuditEvent) {
	err := c.updateAndRevoke(ctx, func(tx *store.Tx, queue queueFunc) error {
		tx.Audit(events...)
		if _, err := tx.RemoveIntent(intent.RequestID); err != nil {
			return err
		}
		r := c.newRevocation(intent.ServiceID, tokenID, intent.UserEmail, why)
		r.RevokeURL = svc.TokenRevokeURL
		return queue(r)
	})
	if err != nil {
		c.opts.Log.Error("could not queue the revocation of a key that must not be recorded", "service", intent.ServiceID, "user", intent.UserEmail, "token_id", tokenID, "err", err)
	}
}

// dropIntent forgets an intent whose exchange certainly minted nothing. If that fails the
// intent stays, and recovery's replay finds nothing to revoke beyond what it mints itself.
func (c *Connector) dropIntent(ctx context.Context, intent store.Intent, events ...store.AuditEvent) {
	if err := c.store.Update(ctx, func(tx *store.Tx) error {
		tx.Audit(events...)
		_, err := tx.RemoveIntent(intent.RequestID)
		return err
	}); err != nil {
		c.opts.Log.Error("could not forget a refused exchange intent", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
	}
}

// keepForRecovery leaves an intent to the worker, which replays its exchange after a
// backoff, counted from this failure.
func (c *Connector) keepForRecovery(ctx context.Context, intent store.Intent, cause error, events ...store.AuditEvent) {
	c.recordIntentFailure(ctx, intent, cause, events...)
	c.work.notify()
}

// recordIntentFailure counts a failed attempt at an intent's exchange and sets when the
// worker replays it, after a backoff.
func (c *Connector) recordIntentFailure(ctx context.Context, in store.Intent, cause error, events ...store.AuditEvent) {
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		tx.Audit(events...)
		cur, ok, err := tx.Intent(in.RequestID)
		if err != nil || !ok {
			return err
		}
		c.failed(&cur.Retry, cause)
		return tx.PutIntent(cur)
	})
	if err != nil {
		c.opts.Log.Error("could not record a failed exchange intent", "service", in.ServiceID, "user", in.UserEmail, "err", err)
	}
}

// recoverIntent settles an exchange intent the worker claimed: its process died, or its
// exchange failed. A use case that runs it holds its person's lock, so the intent is passed
// over while the lock is taken (released for a later pass). An intent without a token id
// may have minted a key nobody recorded: the exchange is replayed with the same request_id
// and what the service answers is queued for revocation. An intent with a token id had its
// key recorded and marked for delivery (see finishRecordedIntent). Every outcome is written
// to the intent, which ends the claim; an outcome that could not be written leaves the
// claim to run out, and a later pass tries again.
func (c *Connector) recoverIntent(ctx context.Context, in store.Intent) {
	unlock, ok, err := c.store.TryLock(ctx, in.Username)
	if err != nil || !ok {
		c.releaseIntent(ctx, in)
		return
	}
	defer unlock()
	// Under the lock: a use case may have settled it meanwhile.
	in, ok, err = c.store.Intent(ctx, in.RequestID)
	if err != nil || !ok {
		return
	}
	if in.TokenID != "" {
		c.finishRecordedIntent(ctx, in)
		return
	}
	tok, err := c.replay(ctx, in)
	if err != nil && tok.TokenID == "" {
		// Nothing named yet. A refusal (4xx) of the replay says nothing of what the first
		// request did, so every failure is retried.
		c.recordIntentFailure(ctx, in, err)
		c.opts.Log.Warn("replaying an unfinished exchange failed; will retry", "service", in.ServiceID, "user", in.UserEmail, "err", err)
		return
	}
	err = c.updateAndRevoke(ctx, func(tx *store.Tx, queue queueFunc) error {
		if _, err := tx.RemoveIntent(in.RequestID); err != nil {
			return err
		}
		conn, ok, err := tx.Get(in.UserEmail, in.ServiceID)
		if err != nil || (ok && conn.TokenID == tok.TokenID) {
			return err // recorded after all: not ours to revoke
		}
		tx.Audit(c.event(ctx, EventExchangeRecovered, AuditQueued, "the exchange replayed for an unfinished connect; its key is queued for revocation",
			services.User{Email: in.UserEmail, Username: in.Username}, in.ServiceID, tok.TokenID))
		return queue(c.newRevocation(in.ServiceID, tok.TokenID, in.UserEmail, "minted for an exchange that did not finish"))
	})
	if err != nil {
		c.opts.Log.Error("could not queue the revocation of a recovered key", "service", in.ServiceID, "user", in.UserEmail, "err", err)
		return
	}
	c.opts.Log.Info("recovered an unfinished exchange; its key is queued for revocation", "service", in.ServiceID, "user", in.UserEmail, "token_id", tok.TokenID)
}

// releaseIntent gives a claimed intent back for a later pass.
func (c *Connector) releaseIntent(ctx context.Context, in store.Intent) {
	if err := c.store.ReleaseIntent(ctx, in.RequestID); err != nil {
		c.opts.Log.Warn("could not release an exchange intent; its claim runs out by itself", "request_id", in.RequestID, "err", err)
	}
}

// replay asks the service again for the key of an intent, with the same request_id.
func (c *Connector) replay(ctx context.Context, in store.Intent) (_ services.Token, err error) {
	defer func() { c.opts.Observer.Exchanged(in.ServiceID, exchangeOutcome(err)) }()
	svc, ok := c.registry.Service(in.ServiceID)
	secret, configured := c.secrets(in.ServiceID)
	if !ok || !configured {
		return services.Token{}, services.Errorf(services.EUnavailable, "The service %q is not in the registry or has no shared secret, so the exchange cannot be replayed.", in.ServiceID)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.exchanger.Exchange(ctx, svc, secret, exchange.Request{UserEmail: in.UserEmail, TTLDays: in.TTLDays, RequestID: in.RequestID})
}

// finishRecordedIntent settles an intent whose new key was recorded before its process died.
// Whatever the record holds now stays; the keys the intent names that it does not hold go:
// the replaced one, and the new one too if the record moved on (a later disconnect, a
// rollback).
func (c *Connector) finishRecordedIntent(ctx context.Context, in store.Intent) {
	err := c.updateAndRevoke(ctx, func(tx *store.Tx, queue queueFunc) error {
		if _, err := tx.RemoveIntent(in.RequestID); err != nil {
			return err
		}
		conn, _, err := tx.Get(in.UserEmail, in.ServiceID)
		if err != nil {
			return err
		}
		tx.Audit(c.event(ctx, EventExchangeRecovered, string(OutcomeOK), "an unfinished connect settled: the key recorded stays, any other it named is queued for revocation",
			services.User{Email: in.UserEmail, Username: in.Username}, in.ServiceID, conn.TokenID))
		for _, id := range []string{in.Replaces, in.TokenID} {
			if id == "" || id == conn.TokenID {
				continue
			}
			r := c.newRevocation(in.ServiceID, id, in.UserEmail, "named by an exchange that did not finish")
			r.RevokeURL = conn.RevokeURL
			if err := queue(r); err != nil {
				return err
			}
		}
		return c.markPending(tx, services.User{Email: in.UserEmail, Username: in.Username})
	})
	if err != nil {
		c.opts.Log.Error("could not settle a recorded exchange intent", "service", in.ServiceID, "user", in.UserEmail, "err", err)
	}
}
