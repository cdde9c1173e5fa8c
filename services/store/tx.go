package store

import (
	"github.com/service-connector/service-connector/services"
)

// Tx is the state of the store inside one Update. Its changes are written when the function
// given to Update returns nil, and dropped otherwise. It is valid only during that call.
type Tx struct {
	conns   map[key]services.Connection
	changed bool
	closed  bool
}

// Get returns the connection of the person with email to the service, if recorded.
func (tx *Tx) Get(email, serviceID string) (services.Connection, bool) {
	c, ok := tx.conns[key{normalizeEmail(email), serviceID}]
	return c, ok
}

// ForUser returns the connections of the person with email, sorted by service id.
func (tx *Tx) ForUser(email string) []services.Connection {
	return forUser(tx.conns, email)
}

// Put records c, replacing the connection of the same person to the same service. An
// invalid connection is an *services.Error with code EInvalid, and changes nothing.
func (tx *Tx) Put(c services.Connection) error {
	if tx.closed {
		return services.Errorf(services.EInternal, "store transaction used after its Update returned")
	}
	c, err := normalize(c)
	if err != nil {
		return err
	}
	tx.conns[key{c.UserEmail, c.ServiceID}] = c
	tx.changed = true
	return nil
}

// Delete removes the connection of the person with email to the service, and reports
// whether there was one.
func (tx *Tx) Delete(email, serviceID string) bool {
	k := key{normalizeEmail(email), serviceID}
	if _, ok := tx.conns[k]; !ok || tx.closed {
		return false
	}
	delete(tx.conns, k)
	tx.changed = true
	return true
}

// close ends the transaction, so a Tx kept past its Update can neither change nor race
// with the store's state, which may now be the very map the Tx held.
func (tx *Tx) close() {
	tx.closed = true
	tx.conns = nil
}
