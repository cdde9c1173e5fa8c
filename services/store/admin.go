package store

import (
	"context"
	"fmt"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Page selects a window of a sorted list: Limit rows from Offset; a Limit of 0 or less
// means every row from Offset.
type Page struct {
	Limit, Offset int
}

// clause is the page as LIMIT/OFFSET, with its arguments numbered from $first.
func (p Page) clause(first int) (string, []any) {
	if p.Limit <= 0 && p.Offset <= 0 {
		return "", nil
	}
	limit := int64(p.Limit)
	if limit <= 0 {
		limit = 1 << 62
	}
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", first, first+1), []any{limit, int64(max(p.Offset, 0))}
}

// Connections returns a page of the connections f selects, sorted by email, then service
// id, and how many f selects in all.
func (s *Store) Connections(ctx context.Context, f ConnectionFilter, p Page) ([]services.Connection, int, error) {
	where, args := f.where(1)
	var total int
	if err := s.readQ.QueryRowContext(ctx, "SELECT COUNT(*) FROM connections "+where, args...).Scan(&total); err != nil {
		return nil, 0, storeError("count connections", err)
	}
	page, pargs := p.clause(len(args) + 1)
	cs, err := queryAll(ctx, s.readQ, s.keys.scanConnection,
		"SELECT "+connectionColumns+" FROM connections "+where+" ORDER BY user_email, service_id"+page, append(args, pargs...)...)
	return cs, total, storeError("list connections", err)
}

// ServiceIDs returns the ids of the services that have connections, sorted. It walks the
// service index from one id to the next, so it costs a lookup per service, not per
// connection.
func (s *Store) ServiceIDs(ctx context.Context) ([]string, error) {
	ids, err := queryAll(ctx, s.readQ, scanString, `WITH RECURSIVE ids(id) AS (
		SELECT MIN(service_id) FROM connections
		UNION ALL
		SELECT (SELECT MIN(service_id) FROM connections WHERE service_id > ids.id) FROM ids WHERE ids.id IS NOT NULL
	) SELECT id FROM ids WHERE id IS NOT NULL`)
	return ids, storeError("list the services with connections", err)
}

// ServiceCount is how many connections one service has, and how many of their keys have
// expired.
type ServiceCount struct {
	ServiceID   string
	Connections int
	Expired     int
}

// Counts is what the admin page and the worker count.
type Counts struct {
	Connections    int
	Expired        int            // connections whose key has expired
	Services       []ServiceCount // by service id
	Revocations    int            // queued, including those waiting for an admin
	NeedsAttention int            // queued revocations waiting for an admin
	Deliveries     int
	Intents        int
}

// Counts counts connections by service (with their expired keys as of now), the
// revocation queue, pending deliveries and exchange intents. The connections are counted on
// the service index, and the expired ones on the expiry index, so no row is read.
func (s *Store) Counts(ctx context.Context, now time.Time) (Counts, error) {
	var c Counts
	svcs, err := queryAll(ctx, s.readQ, func(row scanner) (ServiceCount, error) {
		var sc ServiceCount
		return sc, row.Scan(&sc.ServiceID, &sc.Connections)
	}, "SELECT service_id, COUNT(*) FROM connections GROUP BY service_id ORDER BY service_id")
	if err != nil {
		return c, storeError("count connections", err)
	}
	expired, err := queryAll(ctx, s.readQ, func(row scanner) (ServiceCount, error) {
		var sc ServiceCount
		return sc, row.Scan(&sc.ServiceID, &sc.Expired)
	}, "SELECT service_id, COUNT(*) FROM connections WHERE expires_at > 0 AND expires_at <= $1 GROUP BY service_id", unixNano(now))
	if err != nil {
		return c, storeError("count expired connections", err)
	}
	for i := range svcs {
		for _, e := range expired {
			if e.ServiceID == svcs[i].ServiceID {
				svcs[i].Expired = e.Expired
			}
		}
	}
	c.Services = svcs
	for _, sc := range svcs {
		c.Connections += sc.Connections
		c.Expired += sc.Expired
	}
	q, err := s.QueueCounts(ctx)
	c.Revocations, c.NeedsAttention, c.Deliveries, c.Intents = q.Revocations, q.NeedsAttention, q.Deliveries, q.Intents
	return c, err
}

// QueueCounts counts the work queues only, which stay small: cheap enough for every pass of
// the worker.
func (s *Store) QueueCounts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.readQ.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM revocations),
		(SELECT COUNT(*) FROM revocations WHERE needs_attention = TRUE),
		(SELECT COUNT(*) FROM deliveries),
		(SELECT COUNT(*) FROM intents)`).Scan(&c.Revocations, &c.NeedsAttention, &c.Deliveries, &c.Intents)
	return c, storeError("count the work queues", err)
}

// Revocations returns a page of the revocation queue, those waiting for an admin first, then
// oldest first, and the queue's length.
func (s *Store) Revocations(ctx context.Context, p Page) ([]Revocation, int, error) {
	return list(ctx, s, scanRevocation, "revocations", revocationColumns, "needs_attention DESC, queued_at, service_id, token_id", p)
}

// Deliveries returns a page of the pending deliveries, oldest first, and how many are pending.
func (s *Store) Deliveries(ctx context.Context, p Page) ([]PendingDelivery, int, error) {
	return list(ctx, s, scanDelivery, "deliveries", deliveryColumns, "since, user_email", p)
}

// Intents returns a page of the exchange intents, oldest first, and how many there are.
func (s *Store) Intents(ctx context.Context, p Page) ([]Intent, int, error) {
	return list(ctx, s, scanIntent, "intents", intentColumns, "started_at, request_id", p)
}

// list returns a page of a table in order, and the table's length.
func list[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), table, columns, order string, p Page) ([]T, int, error) {
	var total int
	if err := s.readQ.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&total); err != nil {
		return nil, 0, storeError("count "+table, err)
	}
	page, args := p.clause(1)
	items, err := queryAll(ctx, s.readQ, scan, "SELECT "+columns+" FROM "+table+" ORDER BY "+order+page, args...)
	return items, total, storeError("list "+table, err)
}

// RetryRevocations puts the whole revocation queue back to its first attempt: no entry
// waits for an admin any more, and each is due at due, except those the caller names in
// now, due at later so the worker leaves them to the caller, which tries them itself. It
// returns how many entries the queue holds.
func (tx *Tx) RetryRevocations(due, later time.Time, now []Revocation) (int, error) {
	n, err := tx.exec("retry the revocation queue", "UPDATE revocations SET attempts = 0, needs_attention = FALSE, next_attempt_at = $1", unixNano(due))
	if err != nil {
		return 0, err
	}
	for _, r := range now {
		if _, err := tx.exec("retry a queued revocation", "UPDATE revocations SET next_attempt_at = $1 WHERE service_id = $2 AND token_id = $3",
			unixNano(later), r.ServiceID, r.TokenID); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}
