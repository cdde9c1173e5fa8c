package store

import (
	"context"
	"slices"
	"time"
)

// What the portal's metrics read at each scrape: counts, never rows. A store over a database
// answers each with a COUNT through an index; this one counts its maps under its lock.

// Counts counts the work queues.
type Counts struct {
	Revocations    int // queued, including those waiting for an admin
	NeedsAttention int // queued revocations waiting for an admin
	Deliveries     int // pending deliveries
	Intents        int // exchange intents not settled yet
}

// QueueCounts counts the work queues.
func (s *Store) QueueCounts(_ context.Context) (Counts, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	c := Counts{Revocations: len(s.recs.revocations), Deliveries: len(s.recs.deliveries), Intents: len(s.recs.intents)}
	for _, r := range s.recs.revocations {
		if r.NeedsAttention {
			c.NeedsAttention++
		}
	}
	return c, nil
}

// LiveKeys counts one service's keys that are live at a moment.
type LiveKeys struct {
	ServiceID string
	Live      int // keys not expired at the moment, those that never expire included
	// Expiring[i] counts the live keys that expire no later than the moment plus within[i],
	// for the within asked for: each count includes those before it.
	Expiring []int
}

// LiveKeys counts, by service (sorted by id), the keys live at now and how many of them
// expire within each of within (ascending). A service without a live key is left out.
func (s *Store) LiveKeys(_ context.Context, now time.Time, within []time.Duration) ([]LiveKeys, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	byService := map[string]*LiveKeys{}
	var ids []string
	for _, c := range s.recs.conns {
		if c.Expired(now) {
			continue
		}
		lk := byService[c.ServiceID]
		if lk == nil {
			lk = &LiveKeys{ServiceID: c.ServiceID, Expiring: make([]int, len(within))}
			byService[c.ServiceID] = lk
			ids = append(ids, c.ServiceID)
		}
		lk.Live++
		if c.ExpiresAt.IsZero() {
			continue
		}
		for i, d := range within {
			if !c.ExpiresAt.After(now.Add(d)) {
				lk.Expiring[i]++
			}
		}
	}
	slices.Sort(ids)
	out := make([]LiveKeys, 0, len(ids))
	for _, id := range ids {
		out = append(out, *byService[id])
	}
	return out, nil
}
