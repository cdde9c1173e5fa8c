package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
)

// ConnectionState selects connections by where their key stands, or by their person's
// pending delivery.
type ConnectionState string

// The states an admin can filter connections by.
const (
	// StateAny selects every connection.
	StateAny ConnectionState = ""
	// StateLive selects keys neither expired nor expiring soon.
	StateLive ConnectionState = "live"
	// StateExpiring selects live keys that expire within the warning window (at most half
	// their lifetime, as the connector says "expiring soon").
	StateExpiring ConnectionState = "expiring"
	// StateExpired selects keys that have expired.
	StateExpired ConnectionState = "expired"
	// StateDeliveryPending selects the connections of people whose server account waits for
	// a delivery.
	StateDeliveryPending ConnectionState = "delivery_pending"
)

// Cursor is a position in the connections sorted by email, then service id: a page starts
// after it or ends before it.
type Cursor struct {
	Email, ServiceID string
}

// IsZero reports whether the cursor names no position.
func (c Cursor) IsZero() bool { return c.Email == "" && c.ServiceID == "" }

// ConnectionQuery selects a page of connections for the admin page. Pages are keyset pages
// (WHERE (email, service) > cursor ORDER BY … LIMIT n), so the thousandth page costs what
// the first does.
type ConnectionQuery struct {
	// Search is a prefix of the person's email or of their server account, in any ASCII
	// case; empty selects everyone.
	Search    string
	ServiceID string // empty: every service
	State     ConnectionState
	Now       time.Time     // the time State is judged at
	Warning   time.Duration // how early a key is expiring soon (StateLive, StateExpiring)
	// After starts the page after a position; Before ends it before one; Last asks for the
	// last page. At most one of them is set; none asks for the first page.
	After, Before Cursor
	Last          bool
	Limit         int // rows per page; at least 1
	// CountUpTo bounds the count of matches: Total stops there (TotalCapped says so), so
	// counting a filter that matches most of a large company costs a bounded read. 0 counts
	// every match.
	CountUpTo int
}

// ConnectionRow is one connection as the admin page lists it: never its key.
type ConnectionRow struct {
	UserEmail, ServiceID, Username, TokenID string
	ConnectedAt, ExpiresAt                  time.Time
}

// Cursor is the row's position.
func (r ConnectionRow) Cursor() Cursor { return Cursor{Email: r.UserEmail, ServiceID: r.ServiceID} }

// ConnectionPage is one page of the connections a query selects.
type ConnectionPage struct {
	Rows             []ConnectionRow // by email, then service id
	Total            int             // how many the query selects in all (at most CountUpTo)
	TotalCapped      bool            // more than Total match
	HasPrev, HasNext bool            // rows come before the first, or after the last
}

// maxSearch is the longest search prefix kept: no email or account is longer.
const maxSearch = 320

// SearchConnections returns the page of connections q selects, and how many it selects.
// Every condition is one an index serves: the search a range of the primary key (email) or
// of the account index, the service and expiry conditions filters along the way; the page
// walks the primary key from the cursor, so deep pages are as fast as the first.
func (s *Store) SearchConnections(ctx context.Context, q ConnectionQuery) (ConnectionPage, error) {
	var page ConnectionPage
	where, args := s.searchWhere(ctx, q)
	limit := max(q.Limit, 1)
	cur, backward := q.After, false
	switch {
	case !q.Before.IsZero():
		cur, backward = q.Before, true
	case q.Last:
		backward = true
	}
	rows, err := s.connectionRows(ctx, where, args, cur, backward, limit+1)
	if err != nil {
		return page, err
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	if backward {
		slices.Reverse(rows)
	}
	page.Rows = rows
	if backward {
		page.HasPrev, page.HasNext = more, !q.Before.IsZero()
	} else {
		page.HasNext, page.HasPrev = more, !q.After.IsZero()
	}
	// A cursor from an old link may sit where nothing is left on its side: say so only
	// when a row really is there.
	if page.HasNext && backward && len(rows) > 0 {
		page.HasNext, err = s.anyBeyond(ctx, where, args, rows[len(rows)-1].Cursor(), false)
	} else if page.HasPrev && !backward && len(rows) > 0 {
		page.HasPrev, err = s.anyBeyond(ctx, where, args, rows[0].Cursor(), true)
	}
	if err != nil {
		return page, err
	}
	page.Total, page.TotalCapped, err = s.countConnections(ctx, where, args, q.CountUpTo)
	return page, err
}

// connectionRows reads up to limit rows of where, after cur (or before it, backward: then
// in descending order).
func (s *Store) connectionRows(ctx context.Context, where string, args []any, cur Cursor, backward bool, limit int) ([]ConnectionRow, error) {
	args = slices.Clone(args)
	order := " ORDER BY user_email, service_id"
	if backward {
		order = " ORDER BY user_email DESC, service_id DESC"
	}
	if !cur.IsZero() {
		op := ">"
		if backward {
			op = "<"
		}
		where += fmt.Sprintf(" AND (user_email, service_id) %s ($%d, $%d)", op, len(args)+1, len(args)+2)
		args = append(args, cur.Email, cur.ServiceID)
	}
	rows, err := queryAll(ctx, s.readQ, scanConnectionRow,
		"SELECT user_email, service_id, username, token_id, connected_at, expires_at FROM connections "+where+order+
			fmt.Sprintf(" LIMIT $%d", len(args)+1), append(args, int64(limit))...)
	return rows, storeError("list connections", err)
}

// anyBeyond reports whether where selects a row before cur (before) or after it.
func (s *Store) anyBeyond(ctx context.Context, where string, args []any, cur Cursor, before bool) (bool, error) {
	rows, err := s.connectionRows(ctx, where, args, cur, before, 1)
	return len(rows) > 0, err
}

// countConnections counts what where selects, up to upTo when it is positive.
func (s *Store) countConnections(ctx context.Context, where string, args []any, upTo int) (int, bool, error) {
	query := "SELECT COUNT(*) FROM connections " + where
	if upTo > 0 {
		query = fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1 FROM connections %s LIMIT $%d) AS matches", where, len(args)+1)
		args = append(slices.Clone(args), int64(upTo+1))
	}
	var n int
	if err := s.readQ.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, false, storeError("count connections", err)
	}
	if upTo > 0 && n > upTo {
		return upTo, true, nil
	}
	return n, false, nil
}

// searchWhere is q's selection as a WHERE clause and its arguments ($1 on).
func (s *Store) searchWhere(ctx context.Context, q ConnectionQuery) (string, []any) {
	conds := []string{"TRUE"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if prefix := services.LowerASCII(strings.TrimSpace(q.Search)); prefix != "" {
		if len(prefix) > maxSearch {
			prefix = prefix[:maxSearch]
		}
		conds = append(conds, "("+s.prefixCond(ctx, "user_email", prefix, arg)+" OR "+s.prefixCond(ctx, "username", prefix, arg)+")")
	}
	if q.ServiceID != "" {
		// With an expiry condition the expiry index finds the few rows that match it; the
		// service index would walk every connection of the service. "|| ''" keeps the
		// planner off the service index, on both backends.
		column := "service_id"
		if q.State == StateExpired || q.State == StateExpiring {
			column = "(service_id || '')"
		}
		conds = append(conds, column+" = "+arg(q.ServiceID))
	}
	now, warn := unixNano(q.Now), int64(q.Warning)
	switch q.State {
	case StateExpired:
		conds = append(conds, "expires_at > 0 AND expires_at <= "+arg(now))
	case StateExpiring:
		n := arg(now)
		conds = append(conds, fmt.Sprintf("expires_at > 0 AND expires_at > %[1]s AND expires_at <= %[2]s AND (connected_at = 0 OR (expires_at - %[1]s) * 2 <= expires_at - connected_at)", n, arg(now+warn)))
	case StateLive:
		n := arg(now)
		conds = append(conds, fmt.Sprintf("(expires_at = 0 OR expires_at > %[2]s OR (expires_at > %[1]s AND connected_at <> 0 AND (expires_at - %[1]s) * 2 > expires_at - connected_at))", n, arg(now+warn)))
	case StateDeliveryPending:
		conds = append(conds, "user_email IN (SELECT user_email FROM deliveries)")
	}
	return "WHERE " + strings.Join(conds, " AND "), args
}

// prefixCond selects the rows whose column starts with prefix. The exact test (substr) is
// right whatever the collation; the range beside it lets the column's index find the rows,
// and is added only where text sorts byte by byte (SQLite; PostgreSQL with the C
// collation), since elsewhere a range of strings is not a range of prefixes.
func (s *Store) prefixCond(ctx context.Context, column, prefix string, arg func(any) string) string {
	exact := fmt.Sprintf("substr(%s, 1, %s) = %s", column, arg(int64(len(prefix))), arg(prefix))
	if !s.sortsBytewise(ctx) {
		return exact
	}
	if upper, ok := prefixUpperBound(prefix); ok {
		return fmt.Sprintf("(%s >= %s AND %s < %s AND %s)", column, arg(prefix), column, arg(upper), exact)
	}
	return fmt.Sprintf("(%s >= %s AND %s)", column, arg(prefix), exact)
}

// prefixUpperBound is the least string above every string that starts with prefix, byte by
// byte: prefix with its last byte below 0xff raised by one and what follows dropped.
func prefixUpperBound(prefix string) (string, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// collation remembers whether the database sorts text byte by byte, once it is known.
type collation struct {
	mu              sync.Mutex
	known, bytewise bool
}

// sortsBytewise reports whether text compares byte by byte in this database: always on
// SQLite (BINARY), and on PostgreSQL when the database's collation is C, POSIX or C.UTF-8.
// A failed look-up answers false for this query (slower, never wrong) and asks again next
// time.
func (s *Store) sortsBytewise(ctx context.Context) bool {
	if s.dialect.name != postgresDialect.name {
		return true
	}
	s.collation.mu.Lock()
	defer s.collation.mu.Unlock()
	if !s.collation.known {
		var c string
		if err := s.readQ.QueryRowContext(ctx, "SELECT datcollate FROM pg_database WHERE datname = current_database()").Scan(&c); err != nil {
			return false
		}
		s.collation.known = true
		s.collation.bytewise = slices.Contains([]string{"C", "POSIX", "C.UTF-8", "C.utf8"}, c)
	}
	return s.collation.bytewise
}

func scanConnectionRow(row scanner) (ConnectionRow, error) {
	var r ConnectionRow
	var connected, expires int64
	err := row.Scan(&r.UserEmail, &r.ServiceID, &r.Username, &r.TokenID, &connected, &expires)
	r.ConnectedAt, r.ExpiresAt = fromUnixNano(connected), fromUnixNano(expires)
	return r, err
}
