package connector

import (
	"context"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// revokeTimeout bounds one revoke call made on the connector's own deadline.
const revokeTimeout = 15 * time.Second

// Disconnect removes the person's key for the service everywhere: forget → deliver → revoke.
// Disconnecting a service that is not connected changes nothing and is not an error.
//
// The record goes first so the key leaves the delivered files; the key is revoked even if
// that delivery fails, so a key left behind in a file no longer works. Like Connect, it runs
// on its own deadline.
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
		return c.state(svc, conn, false), nil
	}
	if _, err := c.store.Delete(email, svc.ID); err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "delete connection")
	}
	state := c.state(svc, conn, false)
	deliverErr := c.deliver(ctx, user)
	if deliverErr != nil {
		c.opts.Log.Error("delivery after disconnect failed", "service", svc.ID, "user", email, "err", deliverErr)
	}

	secret, ok := c.secrets(svc.ID)
	if !ok {
		c.opts.Log.Error("cannot revoke: no shared secret configured", "service", svc.ID, "user", email, "token_id", conn.TokenID)
		return state, services.Errorf(services.EUnavailable,
			"%s is disconnected, but the portal has no shared secret to revoke the old key with. Please tell the platform team.", svc.Name)
	}
	if err := c.revoke(svc, secret, email, conn.TokenID, "disconnected"); err != nil {
		return state, services.Wrap(services.EUnavailable, err,
			"%s is disconnected, but the service did not confirm that the old key is revoked. Please tell the platform team.", svc.Name)
	}
	if deliverErr != nil {
		return state, services.Wrap(services.EUnavailable, deliverErr,
			"%s is disconnected and its key revoked, but we could not update the files in your server account.", svc.Name)
	}
	c.opts.Log.Info("disconnected", "service", svc.ID, "user", email, "token_id", conn.TokenID)
	return state, nil
}
