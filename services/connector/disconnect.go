package connector

import (
	"context"
	"strings"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// Disconnect removes the person's key for the service everywhere: forget → deliver → revoke.
// Disconnecting a service that is not connected changes nothing and is not an error.
//
// Forgetting the key, queueing its revocation and marking the delivery pending are one
// store change, so from then on nothing can lose the key: the delivery and the revocation
// are tried at once, and whatever fails is retried by the worker (see Run). The answer says
// what happened: its DeliveryPending when the delivery failed, and its Revocation whether
// the service confirmed the key revoked or the key waits in the queue, which admins see.
func (c *Connector) Disconnect(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	return c.disconnect(ctx, user, serviceID, EventDisconnect)
}

// disconnect is Disconnect, recorded in the audit log as kind.
func (c *Connector) disconnect(ctx context.Context, user services.User, serviceID, kind string) (ServiceState, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	svc, err := c.service(serviceID)
	if err != nil {
		return ServiceState{}, err
	}
	user.Email = services.LowerASCII(user.Email)
	unlock, err := c.store.Lock(ctx, user.Username)
	if err != nil {
		return ServiceState{}, err
	}
	defer unlock()

	conn, ok, err := c.store.Record(ctx, user.Email, svc.ID)
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "read the connection")
	}
	if !ok {
		return c.stateOf(ctx, svc, user.Email)
	}
	queued, err := c.commitRevocations(ctx, func(tx *store.Tx, queue queueFunc) error {
		if _, err := tx.Delete(user.Email, svc.ID); err != nil {
			return err
		}
		if err := c.markPending(tx, user); err != nil {
			return err
		}
		tx.Audit(c.event(ctx, kind, string(OutcomeOK), "the key is forgotten and queued for revocation", user, svc.ID, conn.TokenID))
		return queue(c.newRevocation(svc.ID, conn.TokenID, user.Email, "disconnected"))
	})
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "delete connection")
	}
	deliverErr := c.deliverOrMark(ctx, user)
	if deliverErr != nil {
		c.opts.Log.Error("delivery after disconnect failed; the worker will retry", "service", svc.ID, "user", user.Email, "err", deliverErr)
	}
	st, err := c.stateOf(ctx, svc, user.Email)
	if err != nil {
		// The key is forgotten and queued; only the rest of the answer could not be read.
		c.opts.Log.Error("could not read the state after a disconnect", "service", svc.ID, "user", user.Email, "err", err)
		st = c.state(svc, services.Connection{}, false)
		st.DeliveryPending = deliverErr != nil
	}
	st.Revocation = RevocationPending
	if c.revokeNow(ctx, queued...) == len(queued) {
		st.Revocation = RevocationConfirmed
	}
	c.opts.Log.Info("disconnected", "service", svc.ID, "user", user.Email, "token_id", conn.TokenID, "revocation", string(st.Revocation))
	return st, nil
}

// Disconnection is what an admin's Disconnect did: whose key, for which service, and
// whether the service confirmed it revoked.
type Disconnection struct {
	Email       string
	ServiceID   string
	ServiceName string // the service id when the registry no longer has it
	TokenID     string
	// Revocation is RevocationConfirmed when the service confirmed the key revoked, and
	// RevocationPending when it waits in the queue.
	Revocation Revocation
	// DeliveryPending is set when removing the key from the person's account failed; the
	// worker retries it.
	DeliveryPending bool
}

// DisconnectFor disconnects one connection on an admin's behalf; the person is the one the
// connection records. A malformed email or service id is an EInvalid error, a connection
// that does not exist ENotFound. Once the connection is found the Disconnection names it,
// even when the disconnect then fails.
func (c *Connector) DisconnectFor(ctx context.Context, email, serviceID string) (Disconnection, error) {
	email, err := identity.NormalizeEmail(email)
	if err != nil {
		return Disconnection{}, services.Errorf(services.EInvalid, "Disconnect needs the person's email: %s.", services.ErrorMessage(err))
	}
	serviceID = strings.TrimSpace(serviceID)
	if !services.ValidServiceID(serviceID) {
		return Disconnection{}, services.Errorf(services.EInvalid, "Disconnect needs a valid service id.")
	}
	conn, ok, err := c.store.Record(ctx, email, serviceID)
	if err != nil {
		return Disconnection{}, services.Wrap(services.EInternal, err, "read the connection")
	}
	if !ok {
		return Disconnection{}, services.Errorf(services.ENotFound, "%s has no connection to %s, so nothing was changed.", email, serviceID)
	}
	d := Disconnection{Email: email, ServiceID: serviceID, ServiceName: c.serviceName(serviceID), TokenID: conn.TokenID}
	st, err := c.disconnect(ctx, services.User{Email: conn.UserEmail, Username: conn.Username}, serviceID, EventAdminDisconnect)
	d.Revocation, d.DeliveryPending = st.Revocation, st.DeliveryPending
	return d, err
}
