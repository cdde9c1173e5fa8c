package connector

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// Connect gives the person a key for the service: intent → exchange → record → deliver.
//
// A person already connected with a live key that is not about to expire keeps it: the
// files are delivered again (which repairs a deleted ~/.service_env) and no key is minted, so
// a double click mints at most one key. An expiring or expired key is replaced, and the old
// one revoked only once the new one is delivered. If delivery fails the new key is revoked
// and the previous state restored, so no key is left live and unrecorded.
//
// Crash safety: the exchange's request_id is recorded (an intent) before the request goes
// out, and the intent is settled in the same atomic store change that records the key. If
// the process dies in between, or the exchange fails in a way that may have minted a key,
// recovery replays the exchange with the same request_id (a service answers a retried
// request with the same key) and revokes what it gets back. See Reconcile.
//
// The work runs on its own deadline, detached from ctx's cancellation: a person closing the
// tab mid-exchange must not leave a minted key that nobody recorded.
func (c *Connector) Connect(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	svc, err := c.service(serviceID)
	if err != nil {
		return ServiceState{}, err
	}
	if !svc.Enabled {
		return ServiceState{}, services.Errorf(services.EConflict, "%s is switched off for now; please try again later.", svc.Name)
	}
	secret, ok := c.secrets(svc.ID)
	if !ok {
		return ServiceState{}, services.Errorf(services.EUnavailable, "%s is not configured yet: the portal has no shared secret for it. Please tell the platform team.", svc.Name)
	}
	email := strings.ToLower(user.Email)
	unlock, err := c.locks.lock(ctx, user.Username)
	if err != nil {
		return ServiceState{}, err
	}
	defer unlock()
	if err := c.checkAccountOwner(user); err != nil {
		return ServiceState{}, err
	}

	prev, hadPrev := c.store.Get(email, svc.ID)
	if hadPrev {
		if st := c.state(svc, prev, true); st.Status == StatusConnected {
			return c.stateOf(svc, email), c.deliverOrMark(ctx, user)
		}
	}

	intent := store.Intent{
		RequestID: c.opts.NewRequestID(), UserEmail: email, Username: user.Username, ServiceID: svc.ID,
		TTLDays: c.ttlDays(svc), StartedAt: c.now(),
	}
	c.work.begin(intent.RequestID)
	// From here on an intent this call cannot settle is left to recovery.
	defer c.work.end(intent.RequestID)
	if err := c.store.Update(func(tx *store.Tx) error { return tx.PutIntent(intent) }); err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "record the exchange intent")
	}

	tok, err := c.exchanger.Exchange(ctx, svc, secret, exchange.Request{UserEmail: email, TTLDays: intent.TTLDays, RequestID: intent.RequestID})
	if err != nil {
		c.opts.Log.Warn("token exchange failed", "service", svc.ID, "user", email, "request_id", intent.RequestID, "err", err)
		if tok.TokenID != "" {
			// The service named the key it minted but the answer is unusable: revoke it.
			c.revokeInstead(intent, svc, tok.TokenID, "its exchange answer was unusable")
			return ServiceState{}, err
		}
		if errors.Is(err, exchange.ErrRefused) {
			// Refused (4xx): no key was minted, so there is nothing to recover.
			c.dropIntent(intent)
			return ServiceState{}, err
		}
		// The service may have minted a key before the answer went wrong; the intent stays
		// for recovery to replay and revoke whatever the service made of this request.
		c.keepForRecovery(intent, err)
		return ServiceState{}, err
	}
	conn := services.Connection{
		UserEmail: email, Username: user.Username, ServiceID: svc.ID, RevokeURL: svc.TokenRevokeURL,
		TokenID: tok.TokenID, APIKey: tok.APIKey, ConnectedAt: c.now(), ExpiresAt: tok.ExpiresAt,
	}
	intent.TokenID = tok.TokenID
	if hadPrev && prev.TokenID != tok.TokenID {
		intent.Replaces = prev.TokenID
	}
	var cancelled string // why the key is revoked instead of recorded
	err = c.store.Update(func(tx *store.Tx) error {
		cancelled = ""
		if cur, ok := tx.Intent(intent.RequestID); !ok || cur.Cancelled {
			cancelled = "its person was offboarded while its exchange was in flight"
		} else if _, ok := c.registry.Service(svc.ID); !ok {
			cancelled = "its service left the registry while its exchange was in flight"
		}
		if cancelled != "" {
			return nil
		}
		if err := tx.Put(conn); err != nil {
			return err
		}
		if err := tx.PutIntent(intent); err != nil {
			return err
		}
		return c.markPending(tx, user)
	})
	if err != nil {
		// The key is known: revoke it now rather than count on the replay, which a service
		// that ignores request_id would answer with another key. The intent stays, so a
		// revoke that fails here is still found again by recovery.
		c.opts.Log.Error("the new key could not be recorded; revoking it", "service", svc.ID, "user", email, "token_id", tok.TokenID, "err", err)
		if rerr := c.revokeAtService(store.Revocation{ServiceID: svc.ID, TokenID: tok.TokenID, RevokeURL: svc.TokenRevokeURL}); rerr != nil {
			c.opts.Log.Error("revoke failed; recovery will retry", "service", svc.ID, "user", email, "token_id", tok.TokenID, "err", rerr)
		}
		c.keepForRecovery(store.Intent{}, nil)
		return ServiceState{}, services.Wrap(services.EInternal, err, "record connection")
	}
	if cancelled != "" {
		c.revokeInstead(intent, svc, tok.TokenID, cancelled)
		return ServiceState{}, services.Errorf(services.EConflict, "%s: the connection was cancelled while the key was being issued (%s).", svc.Name, cancelled)
	}

	delivered, err := c.deliver(ctx, user)
	if err != nil {
		c.opts.Log.Error("delivery failed; rolling back the new key", "service", svc.ID, "user", email, "err", err)
		c.rollback(user, intent, prev, hadPrev)
		return ServiceState{}, err
	}
	if err := c.settle(user, intent, delivered, "it was replaced"); err != nil {
		// The key is delivered and recorded; the intent left behind is settled by recovery.
		c.opts.Log.Error("could not settle the exchange intent", "service", svc.ID, "user", email, "err", err)
	}
	c.opts.Log.Info("connected", "service", svc.ID, "user", email, "token_id", tok.TokenID, "replaced", hadPrev)
	return c.state(svc, conn, true), nil
}

// settle ends a connect whose new key is recorded and delivered: the intent is dropped, the
// delivery mark cleared and the replaced key queued for revocation, in one store change.
// The replaced key's revocation is then tried at once.
// The mark stays when the store moved on from the state delivered (see clearDelivery).
func (c *Connector) settle(user services.User, intent store.Intent, delivered delivery.Bundle, why string) error {
	var queued []store.Revocation
	err := c.store.Update(func(tx *store.Tx) error {
		queued = queued[:0]
		tx.RemoveIntent(intent.RequestID)
		if err := c.clearDelivery(tx, user, delivered); err != nil {
			return err
		}
		if intent.Replaces == "" {
			return nil
		}
		r := c.newRevocation(intent.ServiceID, intent.Replaces, intent.UserEmail, why)
		queued = append(queued, r)
		return tx.QueueRevocation(r)
	})
	if err != nil {
		return err
	}
	c.revokeNow(queued...)
	return nil
}

// rollback undoes a connect whose delivery failed: the previous record is put back and the
// new key queued for revocation in one store change, then the restored state is delivered
// (or left pending for the reconciler) and the new key revoked.
func (c *Connector) rollback(user services.User, intent store.Intent, prev services.Connection, hadPrev bool) {
	r := c.newRevocation(intent.ServiceID, intent.TokenID, intent.UserEmail, "its delivery failed")
	// A service may answer a reconnect with the key it already gave: then that key is the
	// one restored, and nothing is revoked.
	revokeNew := !hadPrev || prev.TokenID != intent.TokenID
	err := c.store.Update(func(tx *store.Tx) error {
		if hadPrev {
			if err := tx.Put(prev); err != nil {
				return err
			}
		} else {
			tx.Delete(intent.UserEmail, intent.ServiceID)
		}
		tx.RemoveIntent(intent.RequestID)
		if err := c.markPending(tx, user); err != nil {
			return err
		}
		if !revokeNew {
			return nil
		}
		return tx.QueueRevocation(r)
	})
	if err != nil {
		// The intent still names the new key: recovery finds it recorded and undelivered
		// and the reconciler delivers it; nothing is lost, the rollback just did not happen.
		c.opts.Log.Error("could not restore the previous connection", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := c.deliverOrMark(ctx, user); err != nil {
		c.opts.Log.Error("could not deliver the restored state; the reconciler will retry", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
	}
	if revokeNew {
		c.revokeNow(r)
	}
}

// revokeInstead settles an intent whose key must not be recorded: the intent goes and the
// key is queued for revocation in one store change, then revoked. If that change fails the
// intent stays, and recovery replays and revokes.
func (c *Connector) revokeInstead(intent store.Intent, svc services.Service, tokenID, why string) {
	r := c.newRevocation(intent.ServiceID, tokenID, intent.UserEmail, why)
	r.RevokeURL = svc.TokenRevokeURL
	if err := c.store.Update(func(tx *store.Tx) error {
		tx.RemoveIntent(intent.RequestID)
		return tx.QueueRevocation(r)
	}); err != nil {
		c.opts.Log.Error("could not queue the revocation of a key that must not be recorded", "service", intent.ServiceID, "user", intent.UserEmail, "token_id", tokenID, "err", err)
		return
	}
	c.revokeNow(r)
}

// dropIntent forgets an intent whose exchange certainly minted nothing. If that fails the
// intent stays, and recovery's replay finds nothing to revoke beyond what it mints itself.
func (c *Connector) dropIntent(intent store.Intent) {
	if err := c.store.Update(func(tx *store.Tx) error { tx.RemoveIntent(intent.RequestID); return nil }); err != nil {
		c.opts.Log.Error("could not forget a refused exchange intent", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
	}
}

// keepForRecovery records why an intent could not be settled, so that the worker replays it
// after a backoff rather than at once.
func (c *Connector) keepForRecovery(intent store.Intent, cause error) {
	if intent.RequestID == "" {
		c.work.notify()
		return
	}
	c.recordIntentFailure(intent, cause)
	c.work.notify()
}

func (c *Connector) ttlDays(svc services.Service) int {
	if svc.TTLDays > 0 {
		return svc.TTLDays
	}
	return c.opts.DefaultTTLDays
}

// now is the connector's clock, to the second: what the store keeps and the cards show.
func (c *Connector) now() time.Time { return c.opts.Now().UTC().Truncate(time.Second) }

// checkAccountOwner refuses to deliver into a server account that already receives keys for
// another email: two people mapped to one account would overwrite each other's files.
func (c *Connector) checkAccountOwner(user services.User) error {
	email := strings.ToLower(user.Email)
	for _, conn := range c.store.All() {
		if conn.Username == user.Username && conn.UserEmail != email {
			return services.Errorf(services.EConflict,
				"The server account %q already receives keys for another person. Please ask the platform team to map your email to your own account.", user.Username)
		}
	}
	return nil
}
