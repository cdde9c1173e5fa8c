package connector

import (
	"context"
	"fmt"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// RemoveService takes the connections to a service that left the registry out of service.
// Account by account, under its lock (so no change of theirs is half way), each connection
// is forgotten, its key queued for revocation at the revoke URL recorded with it (or
// revokeURL, the one the registry named, for records older than that), and the person's
// delivery marked pending, in one store change; then the keys are revoked, and the worker
// delivers the files without them and retries what fails. It returns how many connections
// it removed. Reconcile calls it too for any connection whose service is gone, so a removal
// a crash or a failed write interrupted is finished later.
func (c *Connector) RemoveService(ctx context.Context, serviceID, revokeURL string) (int, error) {
	// The people connected to it, by the account that serializes their changes.
	conns, err := c.store.ConnectionsOf(ctx, serviceID)
	if err != nil {
		return 0, services.Wrap(services.EInternal, err, "read the connections to %s", serviceID)
	}
	byAccount := map[string][]services.User{}
	var accounts []string
	for _, conn := range conns {
		if _, seen := byAccount[conn.Username]; !seen {
			accounts = append(accounts, conn.Username)
		}
		byAccount[conn.Username] = append(byAccount[conn.Username], services.User{Email: conn.UserEmail, Username: conn.Username})
	}
	var queued []queuedKey
	var firstErr error
	for _, username := range accounts {
		rs, err := c.removeServiceOf(ctx, byAccount[username], serviceID, revokeURL)
		queued = append(queued, rs...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(queued) > 0 {
		c.opts.Log.Info("service left the registry; its connections are being revoked", "service", serviceID, "connections", len(queued))
		c.revokeNow(ctx, queued...)
		c.work.notify()
	}
	return len(queued), firstErr
}

// removeServiceOf removes the connections to the service of people sharing one account.
func (c *Connector) removeServiceOf(ctx context.Context, people []services.User, serviceID, revokeURL string) ([]queuedKey, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	unlock, err := c.store.Lock(ctx, people[0].Username)
	if err != nil {
		return nil, err
	}
	defer unlock()
	queued, err := c.commitRevocations(ctx, func(tx *store.Tx, queue queueFunc) error {
		if _, back := c.registry.Service(serviceID); back {
			return nil // the service is back in the registry: nothing to remove
		}
		for _, user := range people {
			conn, ok, err := tx.Record(user.Email, serviceID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if _, err := tx.Delete(conn.UserEmail, conn.ServiceID); err != nil {
				return err
			}
			tx.Audit(c.event(ctx, EventServiceRemoved, string(OutcomeOK), "its service left the registry: the key is forgotten and queued for revocation",
				services.User{Email: conn.UserEmail, Username: conn.Username}, serviceID, conn.TokenID))
			r := c.newRevocation(serviceID, conn.TokenID, conn.UserEmail, "its service left the registry")
			r.RevokeURL = conn.RevokeURL
			if r.RevokeURL == "" {
				r.RevokeURL = revokeURL
			}
			if err := queue(r); err != nil {
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

// removeOrphans finishes the removal of services that left the registry: the connections to
// a service the registry does not name are removed as RemoveService does.
func (c *Connector) removeOrphans(ctx context.Context) {
	ids, err := c.store.ServiceIDs(ctx)
	if err != nil {
		c.opts.Log.Error("could not list the services with connections", "err", err)
		return
	}
	for _, id := range ids {
		if _, ok := c.registry.Service(id); ok {
			continue
		}
		if _, err := c.RemoveService(ctx, id, ""); err != nil {
			c.opts.Log.Error("could not remove the connections of a service that left the registry", "service", id, "err", err)
		}
	}
}

// RegistryChanged marks for delivery everyone with a connection, after an edit of the
// registry or its skill files: a renamed env var or an edited skill reaches every home, by
// the worker, not only the homes of people who happen to change something next. It is one
// statement, however many people that is.
func (c *Connector) RegistryChanged(ctx context.Context) error {
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		n, err := tx.MarkDeliveriesDue(store.ConnectionFilter{}, c.now())
		tx.Audit(c.event(ctx, EventRegistryReload, string(OutcomeOK),
			fmt.Sprintf("an edit of the registry is in service: %s; %s to be delivered again", plural(len(c.registry.Services()), "service"), plural(n, "home")),
			services.User{}, "", ""))
		return err
	})
	if err != nil {
		return services.Wrap(services.EInternal, err, "mark deliveries after a registry change")
	}
	c.work.notify()
	return nil
}
