package store

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Revocation is a key waiting to be revoked at its service: queued in the same step that
// forgets the key, and removed once the service confirms. It names the key by its token id
// only; the key itself is never kept here.
type Revocation struct {
	ServiceID string `json:"service_id"`
	TokenID   string `json:"token_id"`
	UserEmail string `json:"user_email"`
	Reason    string `json:"reason"`
	// RevokeURL is where to revoke a key of a service removed from the registry; empty
	// while the registry still names the service.
	RevokeURL string    `json:"revoke_url,omitempty"`
	QueuedAt  time.Time `json:"queued_at"`
	Retry
	// NeedsAttention is set when the attempts ran out: the worker stops trying, and an admin
	// retries (or investigates) from the admin page.
	NeedsAttention bool `json:"needs_attention,omitempty"`
}

// PendingDelivery marks a person whose server account may not hold their recorded state: set
// in the same step as every change of their connections, and cleared once a delivery of the
// whole state succeeded.
type PendingDelivery struct {
	UserEmail string    `json:"user_email"`
	Username  string    `json:"username"`
	Since     time.Time `json:"since"`
	Retry
}

// Intent is an exchange in flight: recorded before the request goes out, so a key minted by
// a process that died before recording it can be found again, by replaying the exchange
// with the same request id, and revoked. Once the new key is recorded, TokenID names it
// until its delivery settles; Replaces names the key it replaces, revoked after that.
type Intent struct {
	RequestID string    `json:"request_id"`
	UserEmail string    `json:"user_email"`
	Username  string    `json:"username"`
	ServiceID string    `json:"service_id"`
	TTLDays   int       `json:"ttl_days"`
	StartedAt time.Time `json:"started_at"`
	TokenID   string    `json:"token_id,omitempty"`
	Replaces  string    `json:"replaces_token_id,omitempty"`
	// Cancelled is set when the person was offboarded while the exchange was in flight: the
	// key it brings is revoked instead of recorded.
	Cancelled bool `json:"cancelled,omitempty"`
	// Retry tracks the recovery of an intent whose process died, or whose exchange failed:
	// the worker replays the exchange until it answers.
	Retry
}

// Retry is the bookkeeping the three queues (revocations, pending deliveries, exchange
// intents) share: how often the worker's attempts failed, when it may try again, and why
// the last attempt failed.
type Retry struct {
	Attempts int `json:"attempts"`
	// NextAttemptAt is when the worker may try again; zero means now.
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
}

// Due reports whether the worker may try the entry at now.
func (r Retry) Due(now time.Time) bool { return !now.Before(r.NextAttemptAt) }

// State is everything the store holds. Its lists are sorted and are copies.
type State struct {
	Connections []services.Connection
	Revocations []Revocation
	Deliveries  []PendingDelivery
	Intents     []Intent
}

// revocationKey identifies a revocation: a token of a service.
type revocationKey struct{ serviceID, tokenID string }

// records is the store's content in memory.
type records struct {
	conns       map[key]services.Connection
	revocations map[revocationKey]Revocation
	deliveries  map[string]PendingDelivery // by email
	intents     map[string]Intent          // by request id
}

func newRecords() records {
	return records{
		conns:       map[key]services.Connection{},
		revocations: map[revocationKey]Revocation{},
		deliveries:  map[string]PendingDelivery{},
		intents:     map[string]Intent{},
	}
}

func (r records) clone() records {
	return records{
		conns:       maps.Clone(r.conns),
		revocations: maps.Clone(r.revocations),
		deliveries:  maps.Clone(r.deliveries),
		intents:     maps.Clone(r.intents),
	}
}

// state returns sorted copies of every list.
func (r records) state() State {
	return State{
		Connections: sorted(r.conns),
		Revocations: sortedBy(r.revocations, func(a, b Revocation) int {
			return cmp.Or(a.QueuedAt.Compare(b.QueuedAt), strings.Compare(a.ServiceID, b.ServiceID), strings.Compare(a.TokenID, b.TokenID))
		}),
		Deliveries: sortedBy(r.deliveries, func(a, b PendingDelivery) int {
			return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.UserEmail, b.UserEmail))
		}),
		Intents: sortedBy(r.intents, func(a, b Intent) int {
			return cmp.Or(a.StartedAt.Compare(b.StartedAt), strings.Compare(a.RequestID, b.RequestID))
		}),
	}
}

func sortedBy[K comparable, V any](m map[K]V, compare func(a, b V) int) []V {
	out := slices.AppendSeq(make([]V, 0, len(m)), maps.Values(m))
	slices.SortFunc(out, compare)
	return out
}
