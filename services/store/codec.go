package store

import (
	"context"
	"database/sql"
	"time"
)

// unixNano is how a time is stored: nanoseconds since 1970 UTC, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the time a stored number stands for.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// querier is what reads and writes run on: the database, or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // read-only: Err below reports what matters
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs a query for at most one row; found is false when there is none.
func queryOne[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) (v T, found bool, err error) {
	all, err := queryAll(ctx, q, scan, query, args...)
	if err != nil || len(all) == 0 {
		return v, false, err
	}
	return all[0], true, nil
}

const connectionColumns = "user_email, service_id, username, token_id, api_key, key_id, connected_at, expires_at, revoke_url"

const revocationColumns = "service_id, token_id, user_email, reason, revoke_url, queued_at, attempts, next_attempt_at, last_error, needs_attention"

func scanRevocation(row scanner) (Revocation, error) {
	var r Revocation
	var queued, next int64
	err := row.Scan(&r.ServiceID, &r.TokenID, &r.UserEmail, &r.Reason, &r.RevokeURL, &queued, &r.Attempts, &next, &r.LastError, &r.NeedsAttention)
	r.QueuedAt, r.NextAttemptAt = fromUnixNano(queued), fromUnixNano(next)
	return r, err
}

func revocationArgs(r Revocation) []any {
	return []any{r.ServiceID, r.TokenID, r.UserEmail, r.Reason, r.RevokeURL, unixNano(r.QueuedAt), r.Attempts, unixNano(r.NextAttemptAt), r.LastError, r.NeedsAttention}
}

const deliveryColumns = "user_email, username, since, attempts, next_attempt_at, last_error"

func scanDelivery(row scanner) (PendingDelivery, error) {
	var d PendingDelivery
	var since, next int64
	err := row.Scan(&d.UserEmail, &d.Username, &since, &d.Attempts, &next, &d.LastError)
	d.Since, d.NextAttemptAt = fromUnixNano(since), fromUnixNano(next)
	return d, err
}

func deliveryArgs(d PendingDelivery) []any {
	return []any{d.UserEmail, d.Username, unixNano(d.Since), d.Attempts, unixNano(d.NextAttemptAt), d.LastError}
}

const intentColumns = "request_id, user_email, username, service_id, ttl_days, started_at, token_id, replaces_token_id, cancelled, attempts, next_attempt_at, last_error"

func scanIntent(row scanner) (Intent, error) {
	var in Intent
	var started, next int64
	err := row.Scan(&in.RequestID, &in.UserEmail, &in.Username, &in.ServiceID, &in.TTLDays, &started, &in.TokenID, &in.Replaces, &in.Cancelled, &in.Attempts, &next, &in.LastError)
	in.StartedAt, in.NextAttemptAt = fromUnixNano(started), fromUnixNano(next)
	return in, err
}

func intentArgs(in Intent) []any {
	return []any{in.RequestID, in.UserEmail, in.Username, in.ServiceID, in.TTLDays, unixNano(in.StartedAt), in.TokenID, in.Replaces, in.Cancelled, in.Attempts, unixNano(in.NextAttemptAt), in.LastError}
}
