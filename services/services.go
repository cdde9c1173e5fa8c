// Package services is the domain of Service Connector: the types every use case shares and
// the error vocabulary. Its subpackages hold the registry, the store, the exchange client,
// the connector use cases, delivery and identity. Nothing under services imports gin or
// templ. The tools for service owners, the reference service and the probe, live beside
// the domain in deploy/.
package services

import (
	"log/slog"
	"time"
)

// Service is one entry of the registry: an internal service that issues personal API keys.
type Service struct {
	ID               string // ^[a-z][a-z0-9_]*$
	Name             string
	Description      string
	TokenExchangeURL string
	TokenRevokeURL   string
	HealthURL        string // optional
	APIBaseURL       string // optional: where the service's API is; fills the skills' @@API_BASE_URL@@
	EnvVarName       string // ^[A-Z][A-Z0-9_]*$, unique in the registry
	SkillFile        string // sc_<something>.md, present in the skills dir
	Enabled          bool
	TTLDays          int // 0 means the portal default
}

// User is a signed-in person and the server account their files are delivered to.
type User struct {
	Email    string
	Username string
}

// Secret is a credential: an API key, a shared secret or a session secret. It prints as
// [REDACTED] with fmt and slog, so an accidental log line cannot leak it; Reveal returns
// the value for the few places that must send or store it. encoding/json stores it as is.
type Secret string

// Redacted is what a Secret prints as.
const Redacted = "[REDACTED]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String hides the value from fmt's %v and %s.
func (s Secret) String() string { return Redacted }

// GoString hides the value from fmt's %#v.
func (s Secret) GoString() string { return Redacted }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// Token is what a service's token exchange answered.
type Token struct {
	APIKey    Secret
	TokenID   string
	ExpiresAt time.Time // zero when the service gave no expiry
}

// Connection is a recorded key: who holds it, for which service, and until when.
type Connection struct {
	UserEmail   string    `json:"user_email"`
	Username    string    `json:"username"`
	ServiceID   string    `json:"service_id"`
	TokenID     string    `json:"token_id"`
	APIKey      Secret    `json:"api_key"`
	ConnectedAt time.Time `json:"connected_at"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	// RevokeURL is where the key is revoked, as the registry said when it was minted; it
	// lets the key be revoked after its service has left the registry.
	RevokeURL string `json:"revoke_url,omitempty"`
}

// Expired reports whether the key has passed its expiry at now.
func (c Connection) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}
