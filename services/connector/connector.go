// Package connector holds the use cases of Service Connector: list a person's services,
// connect one (exchange → record → deliver), and disconnect one (forget → deliver → revoke).
// It owns the lifecycle invariants of DESIGN.md: changes for one person are serialized (by
// the store's person lock, shared by every portal on the database), and every key a service
// minted for us is either recorded and delivered, or revoked.
//
// One file per step of the lifecycle: connect.go (Connect's steps), disconnect.go,
// intents.go (an exchange's intent from reserve to settle, and its recovery), deliver.go
// (delivery and the pending-delivery mark), revoke.go (the revocation queue), reconcile.go
// (the background worker), remove.go (services leaving the registry), offboard.go, and
// overview.go, admin.go and health.go for what people and admins see.
package connector

import (
	"context"
	"log/slog"
	"math/rand/v2"
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
// exchange intents that make the lifecycle survive faults and crashes, in a database several
// portals may share. Every read names the rows of one person, one account or one service,
// or the work that is due, so a click costs the same whatever the size of the company.
type Store interface {
	Get(ctx context.Context, email, serviceID string) (services.Connection, bool, error)
	ForUser(ctx context.Context, email string) ([]services.Connection, error)
	// Record and Records read connections without their API keys: what needs only who,
	// which service and which token (Disconnect, offboarding, the overview) works even on a
	// record whose key does not open.
	Record(ctx context.Context, email, serviceID string) (services.Connection, bool, error)
	Records(ctx context.Context, email string) ([]services.Connection, error)
	ConnectionsOf(ctx context.Context, serviceID string) ([]services.Connection, error)
	ServiceIDs(ctx context.Context) ([]string, error)
	AnyExpired(ctx context.Context, after, until time.Time) (bool, error)
	AccountHolders(ctx context.Context, username string) ([]string, error)
	Delivery(ctx context.Context, email string) (store.PendingDelivery, bool, error)
	Intent(ctx context.Context, requestID string) (store.Intent, bool, error)
	IntentsOf(ctx context.Context, email string) ([]store.Intent, error)
	// Update runs fn as one transaction; fn must make no call to a service and no call to
	// the Store itself.
	Update(ctx context.Context, fn func(tx *store.Tx) error) error

	// Lock serializes the changes of one person (by server account) across every portal
	// sharing the database; TryLock does not wait.
	Lock(ctx context.Context, name string) (unlock func(), err error)
	TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error)

	// The worker claims due work, so each item is worked by one portal at a time; an item
	// it cannot work now is released for a later pass, and writing its outcome ends the
	// claim.
	ClaimDueIntents(ctx context.Context, limit int) ([]store.Intent, error)
	ReleaseIntent(ctx context.Context, requestID string) error
	ClaimDueDeliveries(ctx context.Context, limit int) ([]store.PendingDelivery, error)
	ReleaseDelivery(ctx context.Context, email string) error
	ClaimDueRevocations(ctx context.Context, limit int) ([]store.Revocation, error)
	ClaimRevocation(ctx context.Context, serviceID, tokenID string) (store.Revocation, bool, error)
	ReleaseRevocation(ctx context.Context, serviceID, tokenID string) error

	// What admins see: counts from the database, and pages of each list.
	Counts(ctx context.Context, now time.Time) (store.Counts, error)
	QueueCounts(ctx context.Context) (store.Counts, error)
	SearchConnections(ctx context.Context, q store.ConnectionQuery) (store.ConnectionPage, error)
	Revocations(ctx context.Context, p store.Page) ([]store.Revocation, int, error)
	Deliveries(ctx context.Context, p store.Page) ([]store.PendingDelivery, int, error)
	Intents(ctx context.Context, p store.Page) ([]store.Intent, int, error)

	// The audit log: events are appended inside the change they describe (tx.Audit), or by
	// Audit in a change of their own; AuditRecords reads a page of it, newest first, and
	// PruneAudit deletes what retention no longer keeps.
	Audit(ctx context.Context, events ...store.AuditEvent) error
	AuditRecords(ctx context.Context, f store.AuditFilter, cur store.AuditCursor, limit int) (store.AuditPage, error)
	PruneAudit(ctx context.Context, before time.Time, actor string) (int, error)
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

// Accounts maps an email to the server account it signs in as.
type Accounts interface {
	Username(email string) (string, error)
}

// Options tune the connector; the zero value of each field picks the default.
type Options struct {
	Now            func() time.Time // the clock; time.Now by default
	Log            *slog.Logger     // slog.Default() by default
	DefaultTTLDays int              // key lifetime asked for when the registry names none; 365
	ExpiryWarning  time.Duration    // how early "expiring soon" shows; 14 days
	NewRequestID   func() string    // request_id of each exchange; a random UUID
	// OperationTimeout bounds one Connect or Disconnect, lock wait included; 45 seconds, so
	// it ends before the portal's HTTP write timeout. The store's person lock must outlive
	// it, with the rollback a failed connect may add (callTimeout twice).
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
	// Accounts finds the server account of a person no record names, for offboarding them;
	// nil means such a person cannot be offboarded.
	Accounts Accounts
	// AccountExists reports whether the server has an account of that name: Connect refuses
	// a person without one, as there is nowhere to deliver. nil means every name has one
	// (the demo creates its homes itself).
	AccountExists func(username string) bool
	// Observer is told the outcome of every exchange, revocation and delivery, for metrics;
	// nil tells no one.
	Observer Observer
}

// callTimeout bounds one call made outside a use case's own deadline: a revocation, a
// delivery or a replayed exchange of the worker, and the delivery that restores the state a
// failed connect rolled back.
const callTimeout = 15 * time.Second

// Connector runs the use cases. It is safe for concurrent use.
type Connector struct {
	registry  Registry
	store     Store
	exchanger Exchanger
	installer Installer
	secrets   Secrets
	opts      Options
	health    *healthCache
	work      *workState
}

// New returns a Connector over its collaborators.
func New(registry Registry, store Store, exchanger Exchanger, installer Installer, secrets Secrets, opts Options) *Connector {
	return &Connector{
		registry:  registry,
		store:     store,
		exchanger: exchanger,
		installer: installer,
		secrets:   secrets,
		opts:      opts.withDefaults(),
		health:    newHealthCache(),
		work:      newWorkState(),
	}
}

// withDefaults fills in the default of every field left zero.
func (o Options) withDefaults() Options {
	orDefault := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	orDefault(&o.ExpiryWarning, 14*24*time.Hour)
	orDefault(&o.OperationTimeout, 45*time.Second)
	orDefault(&o.HealthInterval, 30*time.Second)
	orDefault(&o.RetryBase, 2*time.Second)
	orDefault(&o.RetryMax, 5*time.Minute)
	orDefault(&o.ReconcileInterval, time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.DefaultTTLDays <= 0 {
		o.DefaultTTLDays = 365
	}
	if o.MaxRevokeAttempts <= 0 {
		o.MaxRevokeAttempts = 10
	}
	if o.NewRequestID == nil {
		o.NewRequestID = uuid.NewString
	}
	if o.AccountExists == nil {
		o.AccountExists = func(string) bool { return true }
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	return o
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

// now is the connector's clock, to the second: what the store keeps and the cards show.
func (c *Connector) now() time.Time { return c.opts.Now().UTC().Truncate(time.Second) }

// ttlDays is the key lifetime to ask the service for.
func (c *Connector) ttlDays(svc services.Service) int {
	if svc.TTLDays > 0 {
		return svc.TTLDays
	}
	return c.opts.DefaultTTLDays
}

// backoff is how long to wait after the attempts-th failure: RetryBase doubled per earlier
// failure, at most RetryMax, with "equal jitter" (a uniform half of it added to the other
// half) so that many failures at once do not retry in lockstep.
func (c *Connector) backoff(attempts int) time.Duration {
	d := c.opts.RetryBase
	for i := 1; i < attempts && d < c.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.RetryMax)
	half := d / 2
	return half + rand.N(d-half+1)
}

// failed records a failed attempt in a queue entry's retry bookkeeping: one attempt more,
// the next one after a backoff, and the safe message of why it failed.
func (c *Connector) failed(r *store.Retry, cause error) {
	r.Attempts++
	r.NextAttemptAt = c.now().Add(c.backoff(r.Attempts))
	r.LastError = services.ErrorMessage(cause)
}
