package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LiveKeys counts one service's keys that are live at a moment.
type LiveKeys struct {
	ServiceID string
	Live      int // keys not expired at the moment, those that never expire included
	// Expiring[i] counts the live keys that expire no later than the moment plus within[i],
	// for the within asked for: each count includes those before it.
	Expiring []int
}

// LiveKeys counts, by service (sorted by id), the keys live at now and how many of them
// expire within each of within (ascending), for the portal's metrics: one grouped count, so
// a scrape costs the same whatever the number of people. A service without a live key is
// left out.
func (s *Store) LiveKeys(ctx context.Context, now time.Time, within []time.Duration) ([]LiveKeys, error) {
	args := []any{unixNano(now)}
	sums := make([]string, len(within))
	for i, d := range within {
		args = append(args, unixNano(now.Add(d)))
		sums[i] = fmt.Sprintf(", COALESCE(SUM(CASE WHEN expires_at > 0 AND expires_at <= $%d THEN 1 ELSE 0 END), 0)", i+2)
	}
	out, err := queryAll(ctx, s.readQ, func(row scanner) (LiveKeys, error) {
		lk := LiveKeys{Expiring: make([]int, len(within))}
		dest := []any{&lk.ServiceID, &lk.Live}
		for i := range lk.Expiring {
			dest = append(dest, &lk.Expiring[i])
		}
		return lk, row.Scan(dest...)
	}, "SELECT service_id, COUNT(*)"+strings.Join(sums, "")+
		" FROM connections WHERE expires_at = 0 OR expires_at > $1 GROUP BY service_id ORDER BY service_id", args...)
	return out, storeError("count the live keys", err)
}
