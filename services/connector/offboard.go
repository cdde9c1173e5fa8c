package connector

import (
	"context"
	"strings"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// OffboardResult says what offboarding a person did.
type OffboardResult struct {
	Connections int  // connections forgotten
	Revoked     int  // keys the services confirmed revoked now
	Queued      int  // keys left in the revocation queue for the worker
	Delivered   bool // the person's files were cleared now; otherwise the delivery is pending
}

// Offboard is for the day someone leaves: every connection of the person is forgotten, every
// key queued for revocation and their delivery marked pending, in one store change; then
// their files are cleared and the keys revoked. What fails now is finished by the worker of
// whichever process runs it (the portal's, for the offboard command). username names the
// server account whose files to clear; empty means the one their connections name.
func (c *Connector) Offboard(ctx context.Context, email, username string) (OffboardResult, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	email = strings.ToLower(strings.TrimSpace(email))
	conns := c.store.ForUser(email)
	if username == "" && len(conns) > 0 {
		username = conns[0].Username
	}
	if !services.ValidUsername(username) {
		return OffboardResult{}, services.Errorf(services.ENotFound, "%s has no connections, and no server account is known for them.", email)
	}
	user := services.User{Email: email, Username: username}
	unlock, err := c.locks.lock(ctx, username)
	if err != nil {
		return OffboardResult{}, err
	}
	defer unlock()

	var queued []store.Revocation
	err = c.store.Update(func(tx *store.Tx) error {
		queued = queued[:0]
		for _, conn := range tx.ForUser(email) {
			tx.Delete(email, conn.ServiceID)
			r := c.newRevocation(conn.ServiceID, conn.TokenID, email, "offboarded")
			queued = append(queued, r)
			if err := tx.QueueRevocation(r); err != nil {
				return err
			}
		}
		// An exchange in flight for the person (in the portal, another process) brings a key
		// after this: it is revoked instead of recorded.
		for _, in := range tx.State().Intents {
			if in.UserEmail == email && in.TokenID == "" && !in.Cancelled {
				in.Cancelled = true
				if err := tx.PutIntent(in); err != nil {
					return err
				}
			}
		}
		return c.markPendingNow(tx, user)
	})
	if err != nil {
		return OffboardResult{}, services.Wrap(services.EInternal, err, "offboard")
	}
	res := OffboardResult{Connections: len(queued)}
	if err := c.deliverOrMark(ctx, user); err != nil {
		c.opts.Log.Error("delivery after offboarding failed; the reconciler will retry", "user", email, "err", err)
	} else {
		res.Delivered = true
	}
	for _, r := range queued {
		if c.tryRevocation(r) {
			res.Revoked++
		} else {
			res.Queued++
		}
	}
	c.opts.Log.Info("offboarded", "user", email, "account", username, "connections", res.Connections, "revoked", res.Revoked, "queued", res.Queued, "delivered", res.Delivered)
	return res, nil
}

// DisconnectFor disconnects one connection on an admin's behalf: the person is the one the
// connection records.
func (c *Connector) DisconnectFor(ctx context.Context, email, serviceID string) error {
	conn, ok := c.store.Get(strings.ToLower(email), serviceID)
	if !ok {
		return services.Errorf(services.ENotFound, "%s has no connection to %q.", strings.ToLower(email), serviceID)
	}
	_, err := c.Disconnect(ctx, services.User{Email: conn.UserEmail, Username: conn.Username}, serviceID)
	return err
}
