package store

import (
	"github.com/service-connector/service-connector/services"
)

// Tx is the state of the store inside one Update. Its changes are written when the function
// given to Update returns nil, and dropped otherwise. It is valid only during that call.
type Tx struct {
	recs    records
	changed bool
	closed  bool
}

// errClosed is what a Tx used after its Update returns answers.
func errClosed() error {
	return services.Errorf(services.EInternal, "store transaction used after its Update returned")
}

// Get returns the connection of the person with email to the service, if recorded.
func (tx *Tx) Get(email, serviceID string) (services.Connection, bool) {
	c, ok := tx.recs.conns[key{NormalizeEmail(email), serviceID}]
	return c, ok
}

// ForUser returns the connections of the person with email, sorted by service id.
func (tx *Tx) ForUser(email string) []services.Connection {
	return forUser(tx.recs.conns, email)
}

// State returns everything the transaction sees, as Store.State does.
func (tx *Tx) State() State { return tx.recs.state() }

// Put records c, replacing the connection of the same person to the same service. An
// invalid connection is an *services.Error with code EInvalid, and changes nothing.
func (tx *Tx) Put(c services.Connection) error {
	if tx.closed {
		return errClosed()
	}
	c, err := NormalizeConnection(c)
	if err != nil {
		return err
	}
	tx.recs.conns[key{c.UserEmail, c.ServiceID}] = c
	tx.changed = true
	return nil
}

// Delete removes the connection of the person with email to the service, and reports
// whether there was one.
func (tx *Tx) Delete(email, serviceID string) bool {
	k := key{NormalizeEmail(email), serviceID}
	if _, ok := tx.recs.conns[k]; !ok || tx.closed {
		return false
	}
	delete(tx.recs.conns, k)
	tx.changed = true
	return true
}

// Revocation returns the queued revocation of a token, if any.
func (tx *Tx) Revocation(serviceID, tokenID string) (Revocation, bool) {
	r, ok := tx.recs.revocations[revocationKey{serviceID, tokenID}]
	return r, ok
}

// PutRevocation queues r, or replaces the queued revocation of the same token.
func (tx *Tx) PutRevocation(r Revocation) error {
	if tx.closed {
		return errClosed()
	}
	r, err := NormalizeRevocation(r)
	if err != nil {
		return err
	}
	tx.recs.revocations[revocationKey{r.ServiceID, r.TokenID}] = r
	tx.changed = true
	return nil
}

// QueueRevocation queues r unless its token is queued already, in which case the queued
// entry, with its attempts and whether it needs attention, is kept as it is.
func (tx *Tx) QueueRevocation(r Revocation) error {
	if _, ok := tx.Revocation(r.ServiceID, r.TokenID); ok && !tx.closed {
		return nil
	}
	return tx.PutRevocation(r)
}

// RemoveRevocation takes a token off the queue, and reports whether it was queued.
func (tx *Tx) RemoveRevocation(serviceID, tokenID string) bool {
	k := revocationKey{serviceID, tokenID}
	if _, ok := tx.recs.revocations[k]; !ok || tx.closed {
		return false
	}
	delete(tx.recs.revocations, k)
	tx.changed = true
	return true
}

// Delivery returns the pending delivery of the person with email, if any.
func (tx *Tx) Delivery(email string) (PendingDelivery, bool) {
	d, ok := tx.recs.deliveries[NormalizeEmail(email)]
	return d, ok
}

// PutDelivery marks a person's delivery as pending, or replaces its mark.
func (tx *Tx) PutDelivery(d PendingDelivery) error {
	if tx.closed {
		return errClosed()
	}
	d, err := NormalizeDelivery(d)
	if err != nil {
		return err
	}
	tx.recs.deliveries[d.UserEmail] = d
	tx.changed = true
	return nil
}

// RemoveDelivery clears the pending delivery of the person with email, and reports whether
// there was one.
func (tx *Tx) RemoveDelivery(email string) bool {
	email = NormalizeEmail(email)
	if _, ok := tx.recs.deliveries[email]; !ok || tx.closed {
		return false
	}
	delete(tx.recs.deliveries, email)
	tx.changed = true
	return true
}

// Intent returns the exchange intent with the request id, if any.
func (tx *Tx) Intent(requestID string) (Intent, bool) {
	in, ok := tx.recs.intents[requestID]
	return in, ok
}

// PutIntent records an exchange intent, or replaces the one with the same request id.
func (tx *Tx) PutIntent(in Intent) error {
	if tx.closed {
		return errClosed()
	}
	in, err := NormalizeIntent(in)
	if err != nil {
		return err
	}
	tx.recs.intents[in.RequestID] = in
	tx.changed = true
	return nil
}

// RemoveIntent forgets an exchange intent, and reports whether it was recorded.
func (tx *Tx) RemoveIntent(requestID string) bool {
	if _, ok := tx.recs.intents[requestID]; !ok || tx.closed {
		return false
	}
	delete(tx.recs.intents, requestID)
	tx.changed = true
	return true
}

// close ends the transaction, so a Tx kept past its Update can neither change nor race
// with the store's state, which may now be the very maps the Tx held.
func (tx *Tx) close() {
	tx.closed = true
	tx.recs = newRecords()
}
