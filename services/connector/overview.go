package connector

import (
	"context"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Status is where a person stands with one service.
type Status string

// The statuses a service card can show.
const (
	StatusNotConnected Status = "not_connected"
	StatusConnected    Status = "connected"
	StatusExpiringSoon Status = "expiring_soon" // connected, but the key expires within the warning window
	StatusExpired      Status = "expired"
)

// ServiceState is one service as a person sees it. It never holds a key.
type ServiceState struct {
	Service     services.Service
	Configured  bool // the portal has the service's shared secret
	Status      Status
	ConnectedAt time.Time // zero when not connected
	ExpiresAt   time.Time // zero when not connected or the key does not expire
	// TokenID is the service's id of the person's key (never the key): empty when not
	// connected. The service shows the same id, so a person can match the two.
	TokenID string
	// DeliveryPending is set while the person's server account may not hold their recorded
	// state: a delivery failed and the reconciler keeps retrying it.
	DeliveryPending bool
	// Health is the service's state as of the last background health poll.
	Health ServiceHealth
	// Revocation is set in the answer of a Disconnect that removed a key: whether the
	// service confirmed it revoked, or its revocation is still pending. It is empty when no
	// key was removed, and in every other answer.
	Revocation Revocation
}

// Revocation is what became of a key the portal forgot.
type Revocation string

// What became of a forgotten key.
const (
	// RevocationConfirmed: the service confirmed the key revoked.
	RevocationConfirmed Revocation = "revoked"
	// RevocationPending: the service has not confirmed it yet; the key waits in the
	// revocation queue and the worker keeps trying.
	RevocationPending Revocation = "pending"
)

// Connected reports whether the person holds a key for the service, live or expired.
func (s ServiceState) Connected() bool { return s.Status != StatusNotConnected }

// Overview lists every service of the registry, in registry order, with the person's state.
func (c *Connector) Overview(ctx context.Context, user services.User) ([]ServiceState, error) {
	email := services.LowerASCII(user.Email)
	recorded, err := c.store.Records(ctx, email)
	if err != nil {
		return nil, services.Wrap(services.EInternal, err, "read the connections")
	}
	conns := map[string]services.Connection{}
	for _, conn := range recorded {
		conns[conn.ServiceID] = conn
	}
	_, pending, err := c.store.Delivery(ctx, email)
	if err != nil {
		return nil, services.Wrap(services.EInternal, err, "read the pending delivery")
	}
	svcs := c.registry.Services()
	states := make([]ServiceState, 0, len(svcs))
	for _, svc := range svcs {
		conn, ok := conns[svc.ID]
		st := c.state(svc, conn, ok)
		st.DeliveryPending = pending
		states = append(states, st)
	}
	return states, nil
}

// State returns the person's state for one service.
func (c *Connector) State(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	svc, err := c.service(serviceID)
	if err != nil {
		return ServiceState{}, err
	}
	return c.stateOf(ctx, svc, services.LowerASCII(user.Email))
}

// CheckAccount says, before any Connect, whether the person's server account can receive
// their keys: nil, or the same conflict Connect would answer when the account already
// receives keys for another email. It reads and changes nothing else.
func (c *Connector) CheckAccount(ctx context.Context, user services.User) error {
	return c.checkAccountOwner(ctx, user)
}

// stateOf is the person's state for one service as the store has it now.
func (c *Connector) stateOf(ctx context.Context, svc services.Service, email string) (ServiceState, error) {
	conn, ok, err := c.store.Record(ctx, email, svc.ID)
	if err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "read the connection")
	}
	st := c.state(svc, conn, ok)
	if _, st.DeliveryPending, err = c.store.Delivery(ctx, email); err != nil {
		return ServiceState{}, services.Wrap(services.EInternal, err, "read the pending delivery")
	}
	return st, nil
}

func (c *Connector) state(svc services.Service, conn services.Connection, connected bool) ServiceState {
	_, configured := c.secrets(svc.ID)
	st := ServiceState{Service: svc, Configured: configured, Status: StatusNotConnected, Health: c.health.of(svc)}
	if !connected {
		return st
	}
	st.ConnectedAt, st.ExpiresAt, st.TokenID = conn.ConnectedAt, conn.ExpiresAt, conn.TokenID
	now := c.opts.Now()
	switch {
	case conn.Expired(now):
		st.Status = StatusExpired
	case !conn.ExpiresAt.IsZero() && conn.ExpiresAt.Sub(now) <= c.warningWindow(conn):
		st.Status = StatusExpiringSoon
	default:
		st.Status = StatusConnected
	}
	return st
}

// warningWindow is how long before its expiry a key shows as expiring soon: the configured
// window, but at most half the key's lifetime, so a key with a short TTL is not "expiring
// soon" (and replaced on the next click) the moment it is issued.
func (c *Connector) warningWindow(conn services.Connection) time.Duration {
	window := c.opts.ExpiryWarning
	if lifetime := conn.ExpiresAt.Sub(conn.ConnectedAt); !conn.ConnectedAt.IsZero() && lifetime/2 < window {
		window = lifetime / 2
	}
	return window
}

// serviceName is the registry's name of a service, or its id when the registry no longer
// has it.
func (c *Connector) serviceName(id string) string {
	if svc, ok := c.registry.Service(id); ok {
		return svc.Name
	}
	return id
}
