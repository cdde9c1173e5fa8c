package store

import (
	"fmt"
	"strings"
	"time"
)

// The statements of the work tables. A write of a work item ends any lease on it: the write
// is the outcome of the work.
var (
	putConnectionSQL = upsertSQL("connections", connectionColumns, "user_email, service_id", "")
	putRevocationSQL = upsertSQL("revocations", revocationColumns, "service_id, token_id", leaseCleared)
	putDeliverySQL   = upsertSQL("deliveries", deliveryColumns, "user_email", leaseCleared)
	putIntentSQL     = upsertSQL("intents", intentColumns, "request_id", leaseCleared)
	// queueRevocationSQL queues an entry leased to its queuer, and keeps an entry already
	// queued as it is, attempts, lease and all.
	queueRevocationSQL = insertSQL("revocations", revocationColumns+", lease_owner, lease_until") + " ON CONFLICT (service_id, token_id) DO NOTHING"
)

// leaseCleared is the SET clause that ends a lease.
const leaseCleared = "lease_owner = '', lease_until = 0"

// insertSQL is an INSERT of one row of columns, as $1…$n.
func insertSQL(table, columns string) string {
	n := len(strings.Split(columns, ","))
	params := make([]string, n)
	for i := range params {
		params[i] = fmt.Sprintf("$%d", i+1)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, columns, strings.Join(params, ", "))
}

// upsertSQL is an INSERT of one row that replaces the row with the same key: every column
// but the key's takes the new value, and extra, when given, is set too.
func upsertSQL(table, columns, key, extra string) string {
	keys := map[string]bool{}
	for _, k := range strings.Split(key, ",") {
		keys[strings.TrimSpace(k)] = true
	}
	var set []string
	for _, c := range strings.Split(columns, ",") {
		c = strings.TrimSpace(c)
		if !keys[c] {
			set = append(set, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	if extra != "" {
		set = append(set, extra)
	}
	return fmt.Sprintf("%s ON CONFLICT (%s) DO UPDATE SET %s", insertSQL(table, columns), key, strings.Join(set, ", "))
}

// ConnectionFilter selects connections; its zero value selects all of them. Every field set
// must match.
type ConnectionFilter struct {
	UserEmail string // any case
	Username  string
	ServiceID string
	// ExpiresAfter and ExpiresBy select keys whose expiry is in (ExpiresAfter, ExpiresBy];
	// either bound may be zero. A filter with either selects keys that expire only.
	ExpiresAfter, ExpiresBy time.Time
}

// where is the filter as a WHERE clause (starting with WHERE; "WHERE TRUE" for none, which
// SQLite's INSERT … SELECT … ON CONFLICT also needs), with its arguments numbered from
// $first.
func (f ConnectionFilter) where(first int) (string, []any) {
	w := conditions{first: first, conds: []string{"TRUE"}}
	add := w.add
	if f.UserEmail != "" {
		add("user_email = $%d", normalizeEmail(f.UserEmail))
	}
	if f.Username != "" {
		add("username = $%d", f.Username)
	}
	if f.ServiceID != "" {
		add("service_id = $%d", f.ServiceID)
	}
	if !f.ExpiresAfter.IsZero() || !f.ExpiresBy.IsZero() {
		w.conds = append(w.conds, "expires_at > 0")
	}
	if !f.ExpiresAfter.IsZero() {
		add("expires_at > $%d", unixNano(f.ExpiresAfter))
	}
	if !f.ExpiresBy.IsZero() {
		add("expires_at <= $%d", unixNano(f.ExpiresBy))
	}
	return "WHERE " + w.sql(), w.args
}

// conditions builds conditions joined by AND, numbering their arguments from $first.
type conditions struct {
	first int
	conds []string
	args  []any
}

// add appends cond, whose %d is the number of arg's parameter.
func (w *conditions) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, w.first+len(w.args)-1))
}

// sql is the conditions joined by AND.
func (w *conditions) sql() string { return strings.Join(w.conds, " AND ") }
