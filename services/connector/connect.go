package connector

import (
	"context"
	"errors"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// Connect gives the person a key for the service, in five steps: reserve (record the
// exchange's intent), exchange, record (or revoke), deliver (or roll back), settle.
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
// request with the same key) and revokes what it gets back. See intents.go.
//
// The work runs on its own deadline, detached from ctx's cancellation: a person closing the
// tab mid-exchange must not leave a minted key that nobody recorded.
func (c *Connector) Connect(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	user.Email = services.LowerASCII(user.Email)
	svc, secret, err := c.connectable(user, serviceID)
	if err != nil {
		c.refusedConnect(ctx, user, serviceID, err)
		return ServiceState{}, err
	}
	unlock, err := c.store.Lock(ctx, user.Username)
	if err != nil {
		return ServiceState{}, err
	}
	defer unlock()
	if err := c.checkAccountOwner(ctx, user); err != nil {
		c.refusedConnect(ctx, user, svc.ID, err)
		return ServiceState{}, err
	}
	prev, hadPrev, err := c.store.Get(ctx, user.Email, svc.ID)
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "read the connection")
	}
	if hadPrev && c.state(svc, prev, true).Status == StatusConnected {
		return c.deliverAgain(ctx, svc, user, prev)
	}

	intent, err := c.reserve(ctx, user, svc)
	if err != nil {
		return ServiceState{}, err
	}
	tok, err := c.exchangeKey(ctx, user, intent, svc, secret)
	if err != nil {
		return ServiceState{}, err
	}
	intent.TokenID = tok.TokenID
	if hadPrev && prev.TokenID != tok.TokenID {
		intent.Replaces = prev.TokenID
	}
	conn, err := c.recordKey(ctx, user, svc, intent, tok)
	if err != nil {
		return ServiceState{}, err
	}
	if err := c.deliverKey(ctx, user, intent, prev, hadPrev); err != nil {
		return ServiceState{}, err
	}
	c.opts.Log.Info("connected", "service", svc.ID, "user", user.Email, "token_id", tok.TokenID, "replaced", hadPrev)
	return c.state(svc, conn, true), nil
}

// connectable checks that the person may connect the service now: they have a server
// account to deliver to, and the service exists, is switched on and is configured.
func (c *Connector) connectable(user services.User, serviceID string) (services.Service, services.Secret, error) {
	if !c.opts.AccountExists(user.Username) {
		return services.Service{}, "", services.Errorf(services.EUnavailable,
			"There is no server account for %s yet, so Connect is unavailable. Ask an admin to create it.", user.Username)
	}
	svc, err := c.service(serviceID)
	if err != nil {
		return svc, "", err
	}
	if !svc.Enabled {
		return svc, "", services.Errorf(services.EConflict, "%s is switched off for now; please try again later.", svc.Name)
	}
	secret, ok := c.secrets(svc.ID)
	if !ok {
		return svc, "", services.Errorf(services.EUnavailable, "%s is not configured yet: the portal has no shared secret for it. Please tell the platform team.", svc.Name)
	}
	return svc, secret, nil
}

// HasAccount reports whether the person has a server account to deliver to, without which
// Connect is unavailable.
func (c *Connector) HasAccount(user services.User) bool { return c.opts.AccountExists(user.Username) }

// exchangeKey asks the service for a key under the intent. When the exchange fails, the
// intent is given up or left to recovery, as what the failure says about a minted key
// requires.
func (c *Connector) exchangeKey(ctx context.Context, user services.User, intent store.Intent, svc services.Service, secret services.Secret) (services.Token, error) {
	tok, err := c.exchanger.Exchange(ctx, svc, secret, exchange.Request{UserEmail: intent.UserEmail, TTLDays: intent.TTLDays, RequestID: intent.RequestID})
	c.opts.Observer.Exchanged(svc.ID, exchangeOutcome(err))
	if err == nil {
		return tok, nil
	}
	c.opts.Log.Warn("token exchange failed", "service", svc.ID, "user", intent.UserEmail, "request_id", intent.RequestID, "err", err)
	outcome := exchangeOutcome(err)
	ev := c.event(ctx, EventConnect, string(outcome), "the exchange failed: "+services.ErrorMessage(err), user, svc.ID, tok.TokenID)
	switch {
	case tok.TokenID != "":
		// The service named the key it minted but the answer is unusable: revoke it.
		c.revokeInstead(ctx, intent, svc, tok.TokenID, "its exchange answer was unusable", ev)
	case errors.Is(err, exchange.ErrRefused):
		// Refused (4xx): no key was minted, so there is nothing to recover.
		c.dropIntent(ctx, intent, ev)
	default:
		// The service may have minted a key before the answer went wrong; the intent stays
		// for recovery to replay and revoke whatever the service made of this request.
		c.keepForRecovery(ctx, intent, err, ev)
	}
	return services.Token{}, err
}

// recordKey records the new key, the intent naming it and the pending delivery in one store
// change. A key whose person was offboarded, or whose service left the registry, while the
// exchange was in flight is revoked instead, and the connect refused.
func (c *Connector) recordKey(ctx context.Context, user services.User, svc services.Service, intent store.Intent, tok services.Token) (services.Connection, error) {
	conn := services.Connection{
		UserEmail: user.Email, Username: user.Username, ServiceID: svc.ID, RevokeURL: svc.TokenRevokeURL,
		TokenID: tok.TokenID, APIKey: tok.APIKey, ConnectedAt: c.now(), ExpiresAt: tok.ExpiresAt,
	}
	var cancelled string // why the key is revoked instead of recorded
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		cur, ok, err := tx.Intent(intent.RequestID)
		if err != nil {
			return err
		}
		if !ok || cur.Cancelled {
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
		c.opts.Log.Error("the new key could not be recorded; revoking it", "service", svc.ID, "user", user.Email, "token_id", tok.TokenID, "err", err)
		if rerr := c.revokeAtService(ctx, store.Revocation{ServiceID: svc.ID, TokenID: tok.TokenID, RevokeURL: svc.TokenRevokeURL}); rerr != nil {
			c.opts.Log.Error("revoke failed; recovery will retry", "service", svc.ID, "user", user.Email, "token_id", tok.TokenID, "err", rerr)
		}
		c.work.notify()
		return conn, services.Wrap(services.EInternal, err, "record connection")
	}
	if cancelled != "" {
		c.revokeInstead(ctx, intent, svc, tok.TokenID, cancelled,
			c.event(ctx, EventConnect, string(OutcomeRefused), "cancelled: "+cancelled+"; the key is queued for revocation", user, svc.ID, tok.TokenID))
		return conn, services.Errorf(services.EConflict, "%s: the connection was cancelled while the key was being issued (%s).", svc.Name, cancelled)
	}
	return conn, nil
}

// deliverKey delivers the person's state with the new key and settles the connect; a failed
// delivery rolls it back.
func (c *Connector) deliverKey(ctx context.Context, user services.User, intent store.Intent, prev services.Connection, hadPrev bool) error {
	delivered, err := c.deliver(ctx, user)
	if err != nil {
		c.opts.Log.Error("delivery failed; rolling back the new key", "service", intent.ServiceID, "user", user.Email, "err", err)
		c.rollback(ctx, user, intent, prev, hadPrev)
		return err
	}
	kind, reason := EventConnect, "the key is recorded and delivered"
	if hadPrev {
		kind, reason = EventReconnect, "the key replaces "+prev.TokenID+", which is queued for revocation"
		if prev.TokenID == intent.TokenID {
			reason = "the service answered with the key already recorded"
		}
	}
	if err := c.settle(ctx, user, intent, delivered, c.event(ctx, kind, string(OutcomeOK), reason, user, intent.ServiceID, intent.TokenID)); err != nil {
		// The key is delivered and recorded; the intent left behind is settled by recovery.
		c.opts.Log.Error("could not settle the exchange intent", "service", intent.ServiceID, "user", user.Email, "err", err)
	}
	return nil
}

// rollback undoes a connect whose delivery failed: the previous record is put back and the
// new key queued for revocation in one store change, then the restored state is delivered
// (or left pending for the worker) and the new key revoked. It runs on a fresh deadline, as
// the failed delivery may have used up the connect's.
func (c *Connector) rollback(ctx context.Context, user services.User, intent store.Intent, prev services.Connection, hadPrev bool) {
	// A service may answer a reconnect with the key it already gave: then that key is the
	// one restored, and nothing is revoked.
	revokeNew := !hadPrev || prev.TokenID != intent.TokenID
	ctx = context.WithoutCancel(ctx)
	queued, err := c.commitRevocations(ctx, func(tx *store.Tx, queue queueFunc) error {
		if hadPrev {
			if err := tx.Put(prev); err != nil {
				return err
			}
		} else if _, err := tx.Delete(intent.UserEmail, intent.ServiceID); err != nil {
			return err
		}
		if _, err := tx.RemoveIntent(intent.RequestID); err != nil {
			return err
		}
		if err := c.markPending(tx, user); err != nil {
			return err
		}
		reason := "the delivery failed: the previous state is restored"
		if revokeNew {
			reason += " and the new key queued for revocation"
		}
		tx.Audit(c.event(ctx, EventConnect, string(OutcomeFailed), reason, user, intent.ServiceID, intent.TokenID))
		if !revokeNew {
			return nil
		}
		return queue(c.newRevocation(intent.ServiceID, intent.TokenID, intent.UserEmail, "its delivery failed"))
	})
	if err != nil {
		// The intent still names the new key: recovery finds it recorded and undelivered
		// and the worker delivers it; nothing is lost, the rollback just did not happen.
		c.opts.Log.Error("could not restore the previous connection", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
		return
	}
	deliverCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := c.deliverOrMark(deliverCtx, user); err != nil {
		c.opts.Log.Error("could not deliver the restored state; the worker will retry", "service", intent.ServiceID, "user", intent.UserEmail, "err", err)
	}
	c.revokeNow(ctx, queued...)
}

// deliverAgain answers a Connect of a live key: nothing is minted, the person's state is
// delivered again. Like every delivery it is marked pending first, so a portal killed
// mid-way leaves the worker a delivery to finish (and the temp files to sweep).
func (c *Connector) deliverAgain(ctx context.Context, svc services.Service, user services.User, prev services.Connection) (ServiceState, error) {
	err := c.store.Update(ctx, func(tx *store.Tx) error { return c.markPending(tx, user) })
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "mark the delivery")
	}
	deliverErr := c.deliverOrMark(ctx, user, func(err error) store.AuditEvent {
		if err != nil {
			return c.event(ctx, EventConnect, string(OutcomeFailed), "already connected with a live key, so no key was minted; "+
				"delivering the files again failed and is retried: "+services.ErrorMessage(err), user, svc.ID, prev.TokenID)
		}
		return c.event(ctx, EventConnect, AuditKept, "already connected with a live key: no key minted, the files delivered again", user, svc.ID, prev.TokenID)
	})
	st, err := c.stateOf(ctx, svc, user.Email)
	if err != nil {
		return st, err
	}
	return st, deliverErr
}

// checkAccountOwner refuses to deliver into a server account that holds the keys of another
// email: two people mapped to one account would overwrite each other's files.
func (c *Connector) checkAccountOwner(ctx context.Context, user services.User) error {
	other, err := c.otherHolder(ctx, user)
	if err != nil {
		return err
	}
	if other != "" {
		return services.Errorf(services.EConflict,
			"The server account %q already receives keys for another person. Please ask the platform team to map your email to your own account.", user.Username)
	}
	return nil
}

// otherHolder returns an email other than the person's whose connections, pending delivery
// or unfinished exchanges name the person's server account, or "" when there is none.
func (c *Connector) otherHolder(ctx context.Context, user services.User) (string, error) {
	email := services.LowerASCII(user.Email)
	holders, err := c.store.AccountHolders(ctx, user.Username)
	if err != nil {
		return "", services.Wrap(services.EInternal, err, "read who holds the account")
	}
	for _, holder := range holders {
		if holder != email {
			return holder, nil
		}
	}
	return "", nil
}

// refusedConnect records a connect refused before any key was asked for. A service id that
// is not one (what a person typed) is left out: the reason quotes it, shortened.
func (c *Connector) refusedConnect(ctx context.Context, user services.User, serviceID string, err error) {
	if !services.ValidServiceID(serviceID) {
		serviceID = ""
	}
	c.record(ctx, c.event(ctx, EventConnect, string(OutcomeRefused), services.ErrorMessage(err), user, serviceID, ""))
}
