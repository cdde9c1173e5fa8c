package connector

import (
	"context"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/store"
)

// revokeTimeout bounds one revoke call, and a delivery made outside a use case's deadline.
const revokeTimeout = 15 * time.Second

// Disconnect removes the person's key for the service everywhere: forget → deliver → revoke.
// Disconnecting a service that is not connected changes nothing and is not an error.
//
// Forgetting the key, queueing its revocation and marking the delivery pending are one
// store change, so from then on nothing can lose the key: the delivery and the revocation
// are tried at once, and whatever fails is retried by the worker (see Run). The answer says
// so: a disconnect whose delivery failed shows "delivery pending"; a revocation that failed
// waits in the queue, which admins see.
func (c *Connector) Disconnect(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	svc, err := c.service(serviceID)
	if err != nil {
		return ServiceState{}, err
	}
	email := strings.ToLower(user.Email)
	unlock, err := c.locks.lock(ctx, user.Username)
	if err != nil {
		return ServiceState{}, err
	}
	defer unlock()

	conn, ok := c.store.Get(email, svc.ID)
	if !ok {
		return c.stateOf(svc, email), nil
	}
	r := c.newRevocation(svc.ID, conn.TokenID, email, "disconnected")
	err = c.store.Update(func(tx *store.Tx) error {
		tx.Delete(email, svc.ID)
		if err := c.markPending(tx, user); err != nil {
			return err
		}
		return tx.QueueRevocation(r)
	})
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "delete connection")
	}
	if err := c.deliverOrMark(ctx, user); err != nil {
		c.opts.Log.Error("delivery after disconnect failed; the reconciler will retry", "service", svc.ID, "user", email, "err", err)
	}
	c.revokeNow(r)
	c.opts.Log.Info("disconnected", "service", svc.ID, "user", email, "token_id", conn.TokenID)
	return c.stateOf(svc, email), nil
}

// markPending marks the person's delivery as pending inside a store change, keeping an
// earlier mark's history. The worker waits a little before
// it tries, as the caller is about to deliver itself.
func (c *Connector) markPending(tx *store.Tx, user services.User) error {
	d, ok := tx.Delivery(user.Email)
	if !ok {
		now := c.now()
		d = store.PendingDelivery{UserEmail: user.Email, Username: user.Username, Since: now, NextAttemptAt: now.Add(c.opts.RetryBase)}
	}
	return tx.PutDelivery(d)
}

// clearDelivery settles the person's delivery mark inside a store change, after a delivery
// of the state delivered succeeded: the mark is cleared when that is still the state the
// store holds for them. When it is not, a change came in between (another process, a
// removal, an expiry) and the files may hold an older state than the store, so the mark is
// kept, or set, and due at once.
func (c *Connector) clearDelivery(tx *store.Tx, user services.User, delivered delivery.Bundle) error {
	if sameBundle(delivered, c.bundleOf(tx.ForUser(user.Email))) {
		tx.RemoveDelivery(user.Email)
		return nil
	}
	return c.markPendingNow(tx, user)
}

// deliverOrMark delivers the person's whole state; on success it clears their pending
// delivery, on failure it records the attempt so the reconciler retries after a backoff.
// The person's lock must be held.
func (c *Connector) deliverOrMark(ctx context.Context, user services.User) error {
	delivered, deliverErr := c.deliver(ctx, user)
	err := c.store.Update(func(tx *store.Tx) error {
		d, pending := tx.Delivery(user.Email)
		if deliverErr == nil {
			return c.clearDelivery(tx, user, delivered)
		}
		if !pending {
			d = store.PendingDelivery{UserEmail: user.Email, Username: user.Username, Since: c.now()}
		}
		d.Username = user.Username
		d.Attempts++
		d.NextAttemptAt = c.now().Add(c.backoff(d.Attempts))
		d.LastError = services.ErrorMessage(deliverErr)
		return tx.PutDelivery(d)
	})
	if err != nil {
		c.opts.Log.Error("could not record the delivery's outcome", "user", user.Email, "err", err)
	}
	if deliverErr != nil {
		c.work.notify()
	}
	return deliverErr
}
