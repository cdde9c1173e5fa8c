// Package connector holds the use cases of Service Connector: list a person's services,
// connect one (exchange → record → deliver), and disconnect one (forget → deliver → revoke).
// It owns the lifecycle invariants of DESIGN.md: changes for one person are serialized, and
// every key a service minted for us is either recorded and delivered, or revoked.
package connector

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/store"
)

// Registry is what the connector reads of the service registry.
type Registry interface {
	Services() []services.Service
	Service(id string) (services.Service, bool)
	Skill(name string) (string, bool)
}

// Store is the record of connections, with the revocation queue, pending deliveries and
// exchange intents that make the lifecycle survive faults and crashes.
type Store interface {
	Get(email, serviceID string) (services.Connection, bool)
	ForUser(email string) []services.Connection
	All() []services.Connection
	Delivery(email string) (store.PendingDelivery, bool)
	Intent(requestID string) (store.Intent, bool)
	State() store.State
	Update(fn func(tx *store.Tx) error) error
}

// Exchanger speaks the token-exchange protocol with the services.
type Exchanger interface {
	Exchange(ctx context.Context, svc services.Service, secret services.Secret, req exchange.Request) (services.Token, error)
	Revoke(ctx context.Context, svc services.Service, secret services.Secret, tokenID string) error
	Health(ctx context.Context, svc services.Service) error
}

// Installer delivers a person's whole desired state to their server account.
type Installer interface {
	Install(ctx context.Context, username string, b delivery.Bundle) error
}

// Secrets returns the shared secret of a service, and false when none is configured.
type Secrets func(serviceID string) (services.Secret, bool)

// Options tune the connector; the zero value of each field picks the default.
type Options struct {
	Now            func() time.Time // the clock; time.Now by default
	Log            *slog.Logger     // slog.Default() by default
	DefaultTTLDays int              // key lifetime asked for when the registry names none; 365
	ExpiryWarning  time.Duration    // how early "expiring soon" shows; 14 days
	NewRequestID   func() string    // request_id of each exchange; a random UUID
	// OperationTimeout bounds one Connect or Disconnect, lock wait included; 45 seconds, so
	// it ends before the portal's HTTP write timeout.
	OperationTimeout time.Duration
	// HealthInterval is how often RunHealth polls every service's health_url; 30 seconds.
	HealthInterval time.Duration
	// RetryBase and RetryMax bound the backoff of queued revocations, pending deliveries and
	// unresolved exchanges: the first retry comes after about RetryBase, each later one
	// twice as late, never later than RetryMax; 2 seconds and 5 minutes.
	RetryBase, RetryMax time.Duration
	// MaxRevokeAttempts is how often a queued revocation is tried before it waits for an
	// admin as "needs attention"; 10.
	MaxRevokeAttempts int
	// ReconcileInterval is how often Run looks for due work when nothing woke it; 1 second.
	ReconcileInterval time.Duration
}

// Connector runs the use cases. It is safe for concurrent use.
type Connector struct {
	registry  Registry
	store     Store
	exchanger Exchanger
	installer Installer
	secrets   Secrets
	opts      Options
	locks     *userLocks
	health    *healthCache
	work      *workState
}

// New returns a Connector over its collaborators.
func New(registry Registry, store Store, exchanger Exchanger, installer Installer, secrets Secrets, opts Options) *Connector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.DefaultTTLDays <= 0 {
		opts.DefaultTTLDays = 365
	}
	if opts.ExpiryWarning <= 0 {
		opts.ExpiryWarning = 14 * 24 * time.Hour
	}
	if opts.OperationTimeout <= 0 {
		opts.OperationTimeout = 45 * time.Second
	}
	if opts.HealthInterval <= 0 {
		opts.HealthInterval = 30 * time.Second
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 2 * time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 5 * time.Minute
	}
	if opts.MaxRevokeAttempts <= 0 {
		opts.MaxRevokeAttempts = 10
	}
	if opts.ReconcileInterval <= 0 {
		opts.ReconcileInterval = time.Second
	}
	if opts.NewRequestID == nil {
		opts.NewRequestID = uuid.NewString
	}
	return &Connector{
		registry:  registry,
		store:     store,
		exchanger: exchanger,
		installer: installer,
		secrets:   secrets,
		opts:      opts,
		locks:     newUserLocks(),
		health:    newHealthCache(),
		work:      newWorkState(),
	}
}

// operation returns the context a use case runs in: ctx's values, not its cancellation, and
// the connector's own deadline. A change half done when the person goes away is finished,
// never abandoned between minting and recording a key.
func (c *Connector) operation(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), c.opts.OperationTimeout)
}

// service looks a service up by id, with a safe error for an unknown one.
func (c *Connector) service(id string) (services.Service, error) {
	svc, ok := c.registry.Service(id)
	if !ok {
		if len(id) > 64 {
			id = id[:64] + "…"
		}
		return services.Service{}, services.Errorf(services.ENotFound, "There is no service with the id %q.", id)
	}
	return svc, nil
}
