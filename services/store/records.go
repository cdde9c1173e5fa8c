package store

import (
	"time"

	"github.com/service-connector/service-connector/services"
)

// Revocation is a key waiting to be revoked at its service: queued in the same change that
// forgets the key, and removed once the service confirms. It names the key by its token id
// only; the key itself is never kept here.
type Revocation struct {
	ServiceID string
	TokenID   string
	UserEmail string
	Reason    string
	// RevokeURL is where to revoke a key of a service removed from the registry; empty
	// while the registry still names the service.
	RevokeURL string
	QueuedAt  time.Time
	Retry
	// NeedsAttention is set when the attempts ran out: the worker stops trying, and an admin
	// retries (or investigates) from the admin page.
	NeedsAttention bool
}

// PendingDelivery marks a person whose server account may not hold their recorded state: set
// in the same change as every change of their connections, and cleared once a delivery of
// the whole state succeeded.
type PendingDelivery struct {
	UserEmail string
	Username  string
	Since     time.Time
	Retry
}

// Intent is an exchange in flight: recorded before the request goes out, so a key minted by
// a process that died before recording it can be found again, by replaying the exchange
// with the same request id, and revoked. Once the new key is recorded, TokenID names it
// until its delivery settles; Replaces names the key it replaces, revoked after that.
type Intent struct {
	RequestID string
	UserEmail string
	Username  string
	ServiceID string
	TTLDays   int
	StartedAt time.Time
	TokenID   string
	Replaces  string
	// Cancelled is set when the person was offboarded while the exchange was in flight: the
	// key it brings is revoked instead of recorded.
	Cancelled bool
	// Retry tracks the recovery of an intent whose process died, or whose exchange failed:
	// the worker replays the exchange until it answers.
	Retry
}

// Retry is the bookkeeping the three queues (revocations, pending deliveries, exchange
// intents) share: how often the worker's attempts failed, when it may try again, and why
// the last attempt failed.
type Retry struct {
	Attempts int
	// NextAttemptAt is when the worker may try again; zero means now.
	NextAttemptAt time.Time
	LastError     string
}

// Due reports whether the worker may try the entry at now.
func (r Retry) Due(now time.Time) bool { return !now.Before(r.NextAttemptAt) }

// State is a whole store's content: what the import of connections.json brings in, and
// what the specs read back.
type State struct {
	Connections []services.Connection
	Revocations []Revocation
	Deliveries  []PendingDelivery
	Intents     []Intent
}
