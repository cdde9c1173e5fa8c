package store

import (
	"context"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Update runs fn in one database transaction and commits what it did when it returns nil;
// when fn returns an error, or one of its statements failed (even if fn went on), or the
// commit fails, nothing of it is kept and the error is returned. fn runs exactly once. A
// panic in fn rolls the transaction back and goes on to Update's caller.
//
// The transaction is bounded by Config.TxTimeout; keep calls to other systems (services,
// delivery) out of fn, and the Store's own methods too (on SQLite they would wait for the
// connection fn holds). Concurrent changes are serialized as a whole on SQLite (BEGIN
// IMMEDIATE); on PostgreSQL, every row fn reads through tx is locked until the transaction
// ends, so a read-modify-write of a row is never interleaved with another change of it,
// and per-person serialization across portals is Lock's.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TxTimeout)
	defer cancel()
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return storeError("begin a change", err)
	}
	q := preparedTx{tx: sqlTx, db: s.writeQ, missed: new([]string)}
	defer q.prepareMissed(ctx) // runs last: the transaction is over by then
	committed := false
	defer func() {
		if !committed {
			_ = sqlTx.Rollback() // the change is abandoned: nothing to keep
		}
	}()
	tx := &Tx{ctx: ctx, q: q, r: reads{q: q, lock: s.dialect.lockRows, keys: s.keys},
		lease: txLease{owner: s.cfg.Owner, until: s.now().Add(s.cfg.WorkLease)}}
	if err := fn(tx); err != nil {
		return err
	}
	if tx.err != nil {
		return tx.err
	}
	if err := tx.appendAudit(s.now()); err != nil {
		return err
	}
	start := time.Now()
	if err := sqlTx.Commit(); err != nil {
		return storeError("commit a change", err)
	}
	if tx.wrote {
		s.cfg.ObserveCommit(time.Since(start))
	}
	committed = true
	return nil
}

// Tx is one change in progress: reads see the change's own writes, and the writes are kept
// only if the change commits. It is valid only during the function given to Update.
type Tx struct {
	ctx   context.Context
	q     preparedTx
	r     reads
	lease txLease // the lease of the revocations the change queues
	err   error   // the first statement that failed: the change must not commit
	wrote bool    // a statement changed a row
	// audit are the events to append to the audit log, last, when the change commits.
	audit []AuditEvent
}

// txLease is the lease a change gives the work it queues: to this Store's owner, until
// WorkLease from the change's start.
type txLease struct {
	owner string
	until time.Time
}

// failed records err, the first failure of a statement, and returns it wrapped.
func (tx *Tx) failed(op string, err error) error {
	if err == nil {
		return nil
	}
	err = storeError(op, err)
	if tx.err == nil {
		tx.err = err
	}
	return err
}

// exec runs a statement and returns how many rows it changed.
func (tx *Tx) exec(op, query string, args ...any) (int64, error) {
	res, err := tx.q.ExecContext(tx.ctx, query, args...)
	if err != nil {
		return 0, tx.failed(op, err)
	}
	n, err := res.RowsAffected()
	tx.wrote = tx.wrote || n > 0
	return n, tx.failed(op, err)
}

// Get returns the connection of the person with email to the service, if recorded.
func (tx *Tx) Get(email, serviceID string) (services.Connection, bool, error) {
	c, ok, err := tx.r.get(tx.ctx, email, serviceID)
	return c, ok, tx.failed("get a connection", err)
}

// ForUser returns the connections of the person with email, sorted by service id.
func (tx *Tx) ForUser(email string) ([]services.Connection, error) {
	cs, err := tx.r.forUser(tx.ctx, email)
	return cs, tx.failed("read a person's connections", err)
}

// Record is Get without the API key, as Store.Record.
func (tx *Tx) Record(email, serviceID string) (services.Connection, bool, error) {
	c, ok, err := tx.r.records().get(tx.ctx, email, serviceID)
	return c, ok, tx.failed("get a connection", err)
}

// Records is ForUser without the API keys, as Store.Record.
func (tx *Tx) Records(email string) ([]services.Connection, error) {
	cs, err := tx.r.records().forUser(tx.ctx, email)
	return cs, tx.failed("read a person's connections", err)
}

// AccountHolders returns the emails whose connections, pending delivery or exchange intents
// name the server account, sorted. It locks no row.
func (tx *Tx) AccountHolders(username string) ([]string, error) {
	emails, err := tx.r.accountHolders(tx.ctx, username)
	return emails, tx.failed("read an account's holders", err)
}

// Put records c, replacing the connection of the same person to the same service. An
// invalid connection is an *services.Error with code EInvalid, and changes nothing.
func (tx *Tx) Put(c services.Connection) error {
	c, err := normalizeConnection(c)
	if err != nil {
		return err
	}
	_, err = tx.exec("record a connection", putConnectionSQL, tx.r.keys.connectionArgs(c)...)
	return err
}

// Delete removes the connection of the person with email to the service, and reports
// whether there was one.
func (tx *Tx) Delete(email, serviceID string) (bool, error) {
	n, err := tx.exec("delete a connection", "DELETE FROM connections WHERE user_email = $1 AND service_id = $2", normalizeEmail(email), serviceID)
	return n > 0, err
}

// Revocation returns the queued revocation of a token, if any.
func (tx *Tx) Revocation(serviceID, tokenID string) (Revocation, bool, error) {
	r, ok, err := tx.r.revocation(tx.ctx, serviceID, tokenID)
	return r, ok, tx.failed("get a revocation", err)
}

// PutRevocation queues r, or replaces the queued revocation of the same token; a lease on it
// ends.
func (tx *Tx) PutRevocation(r Revocation) error {
	r, err := normalizeRevocation(r)
	if err != nil {
		return err
	}
	_, err = tx.exec("queue a revocation", putRevocationSQL, revocationArgs(r)...)
	return err
}

// QueueRevocation queues r, leased to this Store as a claim would lease it, unless its token
// is queued already, in which case the queued entry, with its attempts, lease and whether it
// needs attention, is kept as it is. It reports whether r was queued: the caller then holds
// its claim once the change commits, and makes the first attempt without claiming it, so
// neither a worker nor another portal takes it first; if the caller dies, the lease runs
// out (or is freed with the dead portal's) and the worker takes it.
func (tx *Tx) QueueRevocation(r Revocation) (bool, error) {
	r, err := normalizeRevocation(r)
	if err != nil {
		return false, err
	}
	lease := []any{tx.lease.owner, unixNano(tx.lease.until)}
	n, err := tx.exec("queue a revocation", queueRevocationSQL, append(revocationArgs(r), lease...)...)
	return n > 0, err
}

// RemoveRevocation takes a token off the queue, and reports whether it was queued.
func (tx *Tx) RemoveRevocation(serviceID, tokenID string) (bool, error) {
	n, err := tx.exec("remove a revocation", "DELETE FROM revocations WHERE service_id = $1 AND token_id = $2", serviceID, tokenID)
	return n > 0, err
}

// Delivery returns the pending delivery of the person with email, if any.
func (tx *Tx) Delivery(email string) (PendingDelivery, bool, error) {
	d, ok, err := tx.r.delivery(tx.ctx, email)
	return d, ok, tx.failed("get a pending delivery", err)
}

// PutDelivery marks a person's delivery as pending, or replaces its mark; a lease on it ends.
func (tx *Tx) PutDelivery(d PendingDelivery) error {
	d, err := normalizeDelivery(d)
	if err != nil {
		return err
	}
	_, err = tx.exec("mark a delivery pending", putDeliverySQL, deliveryArgs(d)...)
	return err
}

// RemoveDelivery clears the pending delivery of the person with email, and reports whether
// there was one.
func (tx *Tx) RemoveDelivery(email string) (bool, error) {
	n, err := tx.exec("clear a pending delivery", "DELETE FROM deliveries WHERE user_email = $1", normalizeEmail(email))
	return n > 0, err
}

// MarkDeliveriesDue marks the delivery of every person with a connection that f selects as
// pending and due at now: a new mark starts at now; a mark already there keeps its history
// (since, attempts, last error) and is due at once; a lease on it ends. It returns how many
// people it marked. It is one statement, however many people f selects (every connected
// person after a registry edit, the people whose keys expired since the last sweep).
func (tx *Tx) MarkDeliveriesDue(f ConnectionFilter, now time.Time) (int, error) {
	where, args := f.where(2)
	n, err := tx.exec("mark deliveries due",
		"INSERT INTO deliveries ("+deliveryColumns+") SELECT user_email, MIN(username), CAST($1 AS BIGINT), 0, 0, '' FROM connections "+where+
			" GROUP BY user_email ON CONFLICT (user_email) DO UPDATE SET next_attempt_at = 0, "+leaseCleared,
		append([]any{unixNano(now.UTC())}, args...)...)
	return int(n), err
}

// Intent returns the exchange intent with the request id, if any.
func (tx *Tx) Intent(requestID string) (Intent, bool, error) {
	in, ok, err := tx.r.intent(tx.ctx, requestID)
	return in, ok, tx.failed("get an exchange intent", err)
}

// IntentsOf returns the exchange intents of the person with email, oldest first.
func (tx *Tx) IntentsOf(email string) ([]Intent, error) {
	ins, err := tx.r.intentsOf(tx.ctx, email)
	return ins, tx.failed("read a person's exchange intents", err)
}

// PutIntent records an exchange intent, or replaces the one with the same request id; a
// lease on it ends.
func (tx *Tx) PutIntent(in Intent) error {
	in, err := normalizeIntent(in)
	if err != nil {
		return err
	}
	_, err = tx.exec("record an exchange intent", putIntentSQL, intentArgs(in)...)
	return err
}

// RemoveIntent forgets an exchange intent, and reports whether it was recorded.
func (tx *Tx) RemoveIntent(requestID string) (bool, error) {
	n, err := tx.exec("forget an exchange intent", "DELETE FROM intents WHERE request_id = $1", requestID)
	return n > 0, err
}

// DeleteSessionsOf ends every session of the person with email (offboarding), and returns
// how many there were.
func (tx *Tx) DeleteSessionsOf(email string) (int, error) {
	n, err := tx.exec("end a person's sessions", "DELETE FROM sessions WHERE user_email = $1", normalizeEmail(email))
	return int(n), err
}
