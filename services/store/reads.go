package store

import (
	"context"
	"time"

	"github.com/service-connector/service-connector/services"
)

// reads are the point reads shared by the Store and its transactions. In a transaction on
// PostgreSQL they lock the rows they read (lock is " FOR UPDATE"), so what a change read
// cannot change under it before it commits.
type reads struct {
	q    querier
	lock string
	keys sealer
}

func (r reads) get(ctx context.Context, email, serviceID string) (services.Connection, bool, error) {
	return queryOne(ctx, r.q, r.keys.scanConnection,
		"SELECT "+connectionColumns+" FROM connections WHERE user_email = $1 AND service_id = $2"+r.lock,
		normalizeEmail(email), serviceID)
}

func (r reads) forUser(ctx context.Context, email string) ([]services.Connection, error) {
	return queryAll(ctx, r.q, r.keys.scanConnection,
		"SELECT "+connectionColumns+" FROM connections WHERE user_email = $1 ORDER BY service_id"+r.lock,
		normalizeEmail(email))
}

func (r reads) connectionsOf(ctx context.Context, serviceID string) ([]services.Connection, error) {
	return queryAll(ctx, r.q, r.keys.scanConnection,
		"SELECT "+connectionColumns+" FROM connections WHERE service_id = $1 ORDER BY user_email"+r.lock,
		serviceID)
}

// accountHolders never locks: PostgreSQL locks no rows of a UNION, and a person's lock
// already serializes the changes of an account.
func (r reads) accountHolders(ctx context.Context, username string) ([]string, error) {
	return queryAll(ctx, r.q, scanString,
		"SELECT user_email FROM connections WHERE username = $1 "+
			"UNION SELECT user_email FROM deliveries WHERE username = $1 "+
			"UNION SELECT user_email FROM intents WHERE username = $1 ORDER BY 1",
		username)
}

func scanString(row scanner) (string, error) {
	var v string
	return v, row.Scan(&v)
}

func (r reads) revocation(ctx context.Context, serviceID, tokenID string) (Revocation, bool, error) {
	return queryOne(ctx, r.q, scanRevocation,
		"SELECT "+revocationColumns+" FROM revocations WHERE service_id = $1 AND token_id = $2"+r.lock,
		serviceID, tokenID)
}

func (r reads) delivery(ctx context.Context, email string) (PendingDelivery, bool, error) {
	return queryOne(ctx, r.q, scanDelivery,
		"SELECT "+deliveryColumns+" FROM deliveries WHERE user_email = $1"+r.lock,
		normalizeEmail(email))
}

func (r reads) intent(ctx context.Context, requestID string) (Intent, bool, error) {
	return queryOne(ctx, r.q, scanIntent,
		"SELECT "+intentColumns+" FROM intents WHERE request_id = $1"+r.lock,
		requestID)
}

func (r reads) intentsOf(ctx context.Context, email string) ([]Intent, error) {
	return queryAll(ctx, r.q, scanIntent,
		"SELECT "+intentColumns+" FROM intents WHERE user_email = $1 ORDER BY started_at, request_id"+r.lock,
		normalizeEmail(email))
}

// reads returns the Store's reads outside any transaction.
func (s *Store) reads() reads { return reads{q: s.readQ, keys: s.keys} }

// Get returns the connection of the person with email to the service, if recorded.
func (s *Store) Get(ctx context.Context, email, serviceID string) (services.Connection, bool, error) {
	c, ok, err := s.reads().get(ctx, email, serviceID)
	return c, ok, storeError("get a connection", err)
}

// records is reads whose connections come without their API keys, never opened.
func (r reads) records() reads {
	r.keys.unopened = true
	return r
}

// Record is Get without the API key (APIKey is empty): for what needs only who, which
// service and which token, and works even on a record whose key does not open.
func (s *Store) Record(ctx context.Context, email, serviceID string) (services.Connection, bool, error) {
	c, ok, err := s.reads().records().get(ctx, email, serviceID)
	return c, ok, storeError("get a connection", err)
}

// Records is ForUser without the API keys (APIKey is empty), as Record.
func (s *Store) Records(ctx context.Context, email string) ([]services.Connection, error) {
	cs, err := s.reads().records().forUser(ctx, email)
	return cs, storeError("read a person's connections", err)
}

// ForUser returns the connections of the person with email, sorted by service id.
func (s *Store) ForUser(ctx context.Context, email string) ([]services.Connection, error) {
	cs, err := s.reads().forUser(ctx, email)
	return cs, storeError("read a person's connections", err)
}

// Revocation returns the queued revocation of a token, if any.
func (s *Store) Revocation(ctx context.Context, serviceID, tokenID string) (Revocation, bool, error) {
	r, ok, err := s.reads().revocation(ctx, serviceID, tokenID)
	return r, ok, storeError("get a revocation", err)
}

// Delivery returns the pending delivery of the person with email, if one is pending.
func (s *Store) Delivery(ctx context.Context, email string) (PendingDelivery, bool, error) {
	d, ok, err := s.reads().delivery(ctx, email)
	return d, ok, storeError("get a pending delivery", err)
}

// Intent returns the exchange intent with the request id, if recorded.
func (s *Store) Intent(ctx context.Context, requestID string) (Intent, bool, error) {
	in, ok, err := s.reads().intent(ctx, requestID)
	return in, ok, storeError("get an exchange intent", err)
}

// IntentsOf returns the exchange intents of the person with email, oldest first.
func (s *Store) IntentsOf(ctx context.Context, email string) ([]Intent, error) {
	ins, err := s.reads().intentsOf(ctx, email)
	return ins, storeError("read a person's exchange intents", err)
}

// ConnectionsOf returns the connections to the service, sorted by email, without their API
// keys (as Records): removing a service needs only who and which token.
func (s *Store) ConnectionsOf(ctx context.Context, serviceID string) ([]services.Connection, error) {
	cs, err := s.reads().records().connectionsOf(ctx, serviceID)
	return cs, storeError("read a service's connections", err)
}

// AccountHolders returns the emails whose connections, pending delivery or exchange intents
// name the server account, sorted: normally one person, but a second person mapped to the
// same account shows.
func (s *Store) AccountHolders(ctx context.Context, username string) ([]string, error) {
	emails, err := s.reads().accountHolders(ctx, username)
	return emails, storeError("read an account's holders", err)
}

// AnyExpired reports whether a key expired after after and no later than until.
func (s *Store) AnyExpired(ctx context.Context, after, until time.Time) (bool, error) {
	var found bool
	err := s.readQ.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM connections WHERE expires_at > 0 AND expires_at > $1 AND expires_at <= $2)",
		unixNano(after), unixNano(until)).Scan(&found)
	return found, storeError("look for expired keys", err)
}
