package connector

import (
	"context"
	"slices"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// RemoveService takes the connections to a service that left the registry out of service.
// Person by person, under their lock (so no change of theirs is half way), each connection
// is forgotten, its key queued for revocation at the revoke URL recorded with it (or
// revokeURL, the one the registry named, for records older than that), and the person's
// delivery marked pending, in one store change; then the keys are revoked, and the worker
// delivers the files without them and retries what fails. It returns how many connections
// it removed. Reconcile calls it too for any connection whose service is gone, so a removal
// a crash or a failed write interrupted is finished later.
func (c *Connector) RemoveService(ctx context.Context, serviceID, revokeURL string) (int, error) {
	var users []string
	for _, conn := range c.store.All() {
		if conn.ServiceID == serviceID && !slices.Contains(users, conn.Username) {
			users = append(users, conn.Username)
		}
	}
	var queued []store.Revocation
	var firstErr error
	for _, username := range users {
		rs, err := c.removeServiceOf(ctx, username, serviceID, revokeURL)
		queued = append(queued, rs...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(queued) > 0 {
		c.opts.Log.Info("service left the registry; its connections are being revoked", "service", serviceID, "connections", len(queued))
		c.revokeNow(queued...)
		c.work.notify()
	}
	return len(queued), firstErr
}

// removeServiceOf removes the connections of one server account to the service.
func (c *Connector) removeServiceOf(ctx context.Context, username, serviceID, revokeURL string) ([]store.Revocation, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	unlock, err := c.locks.lock(ctx, username)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var queued []store.Revocation
	err = c.store.Update(func(tx *store.Tx) error {
		queued = queued[:0]
		for _, conn := range tx.State().Connections {
			if conn.ServiceID != serviceID || conn.Username != username {
				continue
			}
			if _, back := c.registry.Service(serviceID); back {
				return nil // the service is back in the registry: nothing to remove
			}
			tx.Delete(conn.UserEmail, conn.ServiceID)
			r := c.newRevocation(serviceID, conn.TokenID, conn.UserEmail, "its service left the registry")
			r.RevokeURL = conn.RevokeURL
			if r.RevokeURL == "" {
				r.RevokeURL = revokeURL
			}
			queued = append(queued, r)
			if err := tx.QueueRevocation(r); err != nil {
				return err
			}
			if err := c.markPendingNow(tx, services.User{Email: conn.UserEmail, Username: conn.Username}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, services.Wrap(services.EInternal, err, "remove the connections to %s", serviceID)
	}
	return queued, nil
}

// removeOrphans finishes the removal of services that left the registry: any of conns to a
// service the registry does not name is removed as RemoveService does. It reports whether
// it found any.
func (c *Connector) removeOrphans(ctx context.Context, conns []services.Connection) bool {
	var gone []string
	for _, conn := range conns {
		if _, ok := c.registry.Service(conn.ServiceID); !ok && !slices.Contains(gone, conn.ServiceID) {
			gone = append(gone, conn.ServiceID)
		}
	}
	for _, id := range gone {
		if _, err := c.RemoveService(ctx, id, ""); err != nil {
			c.opts.Log.Error("could not remove the connections of a service that left the registry", "service", id, "err", err)
		}
	}
	return len(gone) > 0
}

// RegistryChanged marks for delivery everyone with a connection, after an edit of the
// registry or its skill files: a renamed env var or an edited skill reaches every home, by
// the worker, not only the homes of people who happen to change something next.
func (c *Connector) RegistryChanged() error {
	err := c.store.Update(func(tx *store.Tx) error {
		for _, conn := range tx.State().Connections {
			if err := c.markPendingNow(tx, services.User{Email: conn.UserEmail, Username: conn.Username}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return services.Wrap(services.EInternal, err, "mark deliveries after a registry change")
	}
	c.work.notify()
	return nil
}
