package store

import (
	"context"
	"slices"
	"strings"
)

// Work items (queued revocations, pending deliveries, exchange intents) are claimed before
// they are worked: a claim leases the row to this Store's owner until WorkLease from now,
// and no other claim takes a row whose lease runs. The lease ends when the outcome is
// written (any Put or Remove of the row), when it is released, or when it runs out — a
// portal that died while working a row leaves it to the others after WorkLease.
//
// Due rows are found through the next_attempt_at index. On PostgreSQL the rows are picked
// with FOR UPDATE SKIP LOCKED, so portals claiming at the same moment take different rows
// without waiting for each other; on SQLite the claim is one write transaction. A claim of
// deliveries or intents passes over the people whose lock is held: a use case of theirs is
// under way, and works their delivery or settles their intent itself.

// ClaimDueRevocations claims up to limit queued revocations that are due (their next
// attempt time has come), not waiting for an admin, and not leased. Oldest due first.
func (s *Store) ClaimDueRevocations(ctx context.Context, limit int) ([]Revocation, error) {
	rs, err := claim(ctx, s, scanRevocation, "revocations", revocationColumns, "service_id, token_id",
		"needs_attention = FALSE AND next_attempt_at <= $3 AND lease_until <= $3", limit)
	slices.SortFunc(rs, func(a, b Revocation) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	return rs, storeError("claim due revocations", err)
}

// ClaimRevocation claims one queued revocation, due or not (the one a use case has just
// queued and tries at once, or one an admin retries). It reports false when the token is
// not queued or its lease runs, with this Store or another.
func (s *Store) ClaimRevocation(ctx context.Context, serviceID, tokenID string) (Revocation, bool, error) {
	rs, err := claimWhere(ctx, s, scanRevocation, "revocations", revocationColumns,
		"service_id = $4 AND token_id = $5 AND lease_until <= $3", serviceID, tokenID)
	if err != nil || len(rs) == 0 {
		return Revocation{}, false, storeError("claim a revocation", err)
	}
	return rs[0], true, nil
}

// ReleaseRevocation ends this Store's lease on a queued revocation, if it holds one.
func (s *Store) ReleaseRevocation(ctx context.Context, serviceID, tokenID string) error {
	return s.release(ctx, "revocations", "service_id = $2 AND token_id = $3", serviceID, tokenID)
}

// ClaimDueDeliveries claims up to limit pending deliveries that are due and not leased.
func (s *Store) ClaimDueDeliveries(ctx context.Context, limit int) ([]PendingDelivery, error) {
	ds, err := claim(ctx, s, scanDelivery, "deliveries", deliveryColumns, "user_email",
		"next_attempt_at <= $3 AND lease_until <= $3 AND "+personFree("deliveries"), limit)
	slices.SortFunc(ds, func(a, b PendingDelivery) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	return ds, storeError("claim due deliveries", err)
}

// ReleaseDelivery ends this Store's lease on a pending delivery, if it holds one.
func (s *Store) ReleaseDelivery(ctx context.Context, email string) error {
	return s.release(ctx, "deliveries", "user_email = $2", normalizeEmail(email))
}

// ClaimDueIntents claims up to limit exchange intents that are due and not leased.
func (s *Store) ClaimDueIntents(ctx context.Context, limit int) ([]Intent, error) {
	ins, err := claim(ctx, s, scanIntent, "intents", intentColumns, "request_id",
		"next_attempt_at <= $3 AND lease_until <= $3 AND "+personFree("intents"), limit)
	slices.SortFunc(ins, func(a, b Intent) int { return a.NextAttemptAt.Compare(b.NextAttemptAt) })
	return ins, storeError("claim due exchange intents", err)
}

// ReleaseIntent ends this Store's lease on an exchange intent, if it holds one.
func (s *Store) ReleaseIntent(ctx context.Context, requestID string) error {
	return s.release(ctx, "intents", "request_id = $2", requestID)
}

// personFree is the condition that the lock of the person of a row of table is not held.
// In it, $3 is now.
func personFree(table string) string {
	return "NOT EXISTS (SELECT 1 FROM person_locks WHERE person_locks.name = " + table + ".username AND person_locks.until > $3)"
}

// claim leases up to limit rows of table that due selects, in order of next attempt. In
// due, $3 is now; $1 and $2 are the owner and the lease's end. It first frees what dead
// portals on this machine hold, and asks the read side whether any row is due at all, so
// an idle worker's pass writes nothing.
func claim[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), table, columns, key, due string, limit int) ([]T, error) {
	if limit <= 0 {
		return nil, nil
	}
	s.reapDead(ctx)
	var found bool
	// due numbers now $3, as the claim passes it; the probe passes it alone.
	probe := "SELECT EXISTS (SELECT 1 FROM " + table + " WHERE " + strings.ReplaceAll(due, "$3", "$1") + ")"
	if err := s.readQ.QueryRowContext(ctx, probe, unixNano(s.now())).Scan(&found); err != nil || !found {
		return nil, err
	}
	pick := "(" + key + ") IN (SELECT " + key + " FROM " + table + " WHERE " + due +
		" ORDER BY next_attempt_at LIMIT $4" + s.dialect.skipLocked + ")"
	return claimWhere(ctx, s, scan, table, columns, pick, limit)
}

// claimWhere leases the rows of table that where selects, in one write transaction, and
// returns them. In where, $1 and $2 are the owner and the lease's end, $3 is now, and args
// follow from $4.
func claimWhere[T any](ctx context.Context, s *Store, scan func(scanner) (T, error), table, columns, where string, args ...any) ([]T, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TxTimeout)
	defer cancel()
	now := s.now()
	query := "UPDATE " + table + " SET lease_owner = $1, lease_until = $2 WHERE " + where + " RETURNING " + columns
	// SQLite: the lone write connection begins IMMEDIATE, so no two claims interleave.
	return queryAll(ctx, s.writeQ, scan, query, append([]any{s.cfg.Owner, unixNano(now.Add(s.cfg.WorkLease)), unixNano(now)}, args...)...)
}

// release ends this Store's lease on the row of table that where selects ($2 on).
func (s *Store) release(ctx context.Context, table, where string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.TxTimeout)
	defer cancel()
	_, err := s.writeQ.ExecContext(ctx, "UPDATE "+table+" SET "+leaseCleared+" WHERE lease_owner = $1 AND "+where,
		append([]any{s.cfg.Owner}, args...)...)
	return storeError("release a lease on "+strings.TrimSuffix(table, "s"), err)
}
