package store

import (
	"slices"
	"time"

	"github.com/service-connector/service-connector/services"
)

// The targeted reads the connector makes: each names the rows of one person, one account or
// one service, or the queue entries that are due, so a store over a database answers each
// from an index instead of reading everything.

// Backlog counts the work the worker still has: exchange intents, pending deliveries, and
// queued revocations it would try (those that need an admin are left out).
type Backlog struct {
	Intents     int
	Deliveries  int
	Revocations int
}

// ConnectionsOf returns the connections to the service, sorted by email.
func (s *Store) ConnectionsOf(serviceID string) []services.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return s.recs.connectionsOf(serviceID)
}

// ServiceIDs returns the ids of the services that have connections, sorted.
func (s *Store) ServiceIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	var ids []string
	for k := range s.recs.conns {
		ids = append(ids, k.serviceID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// ExpiredBetween returns the connections whose key expired after after and no later than
// until, sorted by email, then service id.
func (s *Store) ExpiredBetween(after, until time.Time) []services.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	out := []services.Connection{}
	for _, c := range s.recs.conns {
		if c.Expired(until) && c.ExpiresAt.After(after) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareConnections)
	return out
}

// AccountHolders returns the emails whose connections, pending delivery or unfinished
// exchanges name the server account, sorted.
func (s *Store) AccountHolders(username string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return s.recs.accountHolders(username)
}

// DueIntents returns the exchange intents the worker may try at now, oldest first.
func (s *Store) DueIntents(now time.Time) []Intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return filter(s.recs.state().Intents, func(in Intent) bool { return in.Due(now) })
}

// DueDeliveries returns the pending deliveries the worker may try at now, oldest first.
func (s *Store) DueDeliveries(now time.Time) []PendingDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return filter(s.recs.state().Deliveries, func(d PendingDelivery) bool { return d.Due(now) })
}

// DueRevocations returns the queued revocations the worker may try at now, oldest first:
// those that need an admin are left out.
func (s *Store) DueRevocations(now time.Time) []Revocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return filter(s.recs.state().Revocations, func(r Revocation) bool { return !r.NeedsAttention && r.Due(now) })
}

// Backlog counts the work the worker still has.
func (s *Store) Backlog() Backlog {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	b := Backlog{Intents: len(s.recs.intents), Deliveries: len(s.recs.deliveries)}
	for _, r := range s.recs.revocations {
		if !r.NeedsAttention {
			b.Revocations++
		}
	}
	return b
}

// IntentsOf returns the exchange intents of the person with email, oldest first.
func (s *Store) IntentsOf(email string) []Intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return s.recs.intentsOf(email)
}

// IntentsOf returns the exchange intents of the person with email, oldest first.
func (tx *Tx) IntentsOf(email string) []Intent {
	return tx.recs.intentsOf(email)
}

// AccountHolders returns the emails whose connections, pending delivery or unfinished
// exchanges name the server account, sorted.
func (tx *Tx) AccountHolders(username string) []string {
	return tx.recs.accountHolders(username)
}

// ConnectedPeople returns everyone with at least one connection, with the account their
// connections name, sorted by email. It reads every connection: it serves a registry edit,
// which concerns everyone, not a click.
func (tx *Tx) ConnectedPeople() []services.User {
	var out []services.User
	for _, c := range sorted(tx.recs.conns) {
		u := services.User{Email: c.UserEmail, Username: c.Username}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

func (r records) connectionsOf(serviceID string) []services.Connection {
	out := []services.Connection{}
	for k, c := range r.conns {
		if k.serviceID == serviceID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareConnections)
	return out
}

func (r records) intentsOf(email string) []Intent {
	email = NormalizeEmail(email)
	return filter(r.state().Intents, func(in Intent) bool { return in.UserEmail == email })
}

func (r records) accountHolders(username string) []string {
	var emails []string
	for _, c := range r.conns {
		if c.Username == username {
			emails = append(emails, c.UserEmail)
		}
	}
	for _, d := range r.deliveries {
		if d.Username == username {
			emails = append(emails, d.UserEmail)
		}
	}
	for _, in := range r.intents {
		if in.Username == username {
			emails = append(emails, in.UserEmail)
		}
	}
	slices.Sort(emails)
	return slices.Compact(emails)
}

// filter returns the entries of list that keep says to keep, in list's order.
func filter[T any](list []T, keep func(T) bool) []T {
	out := []T{}
	for _, e := range list {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
