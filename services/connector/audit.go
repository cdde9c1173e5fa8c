package connector

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// What the connector does is recorded in the store's audit log: each event inside the store
// change it describes (tx.Audit), so the record and the change commit together at no extra
// commit, and what changes nothing in the state (a sign-in, a refused connect, a refused
// registry edit) in a change of its own (Store.Audit). A new use case records its events
// with c.event, inside its change:
//
//	tx.Audit(c.event(ctx, EventAdminRetry, OutcomeOK, "…", user, serviceID, tokenID))
//
// Events name people, accounts, services and token ids, never a key or a secret.

// The kinds of events the audit log records.
const (
	EventConnect           = "connect"            // a new key recorded and delivered, or a connect refused or failed
	EventReconnect         = "reconnect"          // a key replaced by a new one
	EventDisconnect        = "disconnect"         // the person disconnected; their key is queued for revocation
	EventAdminDisconnect   = "admin_disconnect"   // an admin disconnected a person
	EventRevocation        = "revocation"         // a service confirmed a key revoked, or did not
	EventExpirySweep       = "expiry_sweep"       // keys expired; their people's files are updated
	EventOffboard          = "offboard"           // a person offboarded (by an admin or the offboard command)
	EventAdminRetry        = "admin_retry"        // an admin put a queued revocation back to be tried now
	EventAdminRetryAll     = "admin_retry_all"    // an admin put the whole revocation queue back to be tried now
	EventServiceRemoved    = "service_removed"    // a connection forgotten as its service left the registry
	EventExchangeRecovered = "exchange_recovered" // the worker settled an exchange a process did not finish
	EventSignIn            = "sign_in"
	EventSignInRefused     = "sign_in_refused"
	EventSignOut           = "sign_out"
	EventRegistryReload    = "registry_reload" // the live registry loaded an edit, or refused it
)

// The outcomes the audit log records, beside the Outcome values of calls (ok, refused,
// failed).
const (
	AuditConfirmed      = "confirmed"       // the service confirmed the key revoked
	AuditQueued         = "queued"          // the key waits in the revocation queue
	AuditNeedsAttention = "needs_attention" // the attempts ran out: an admin must act
	AuditKept           = "kept"            // a connect kept the live key and delivered it again
)

// The actors of what no person did.
const (
	ActorWorker   = "worker"   // the background worker: retries, recovery, expiry, retention
	ActorCLI      = "cli"      // a command such as offboard
	ActorRegistry = "registry" // the watch of the live registry
	ActorPortal   = "portal"   // anything else the portal did on its own
)

// actorKey is the context key of the actor.
type actorKey struct{}

// WithActor returns ctx carrying who acts: the signed-in person or admin (their email), or
// one of the Actor names. The events recorded under ctx name them.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorOf is who acts under ctx; ActorPortal when nobody was named.
func ActorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return ActorPortal
}

// event is an audit event of kind, by the actor ctx carries, now.
func (c *Connector) event(ctx context.Context, kind, outcome, reason string, user services.User, serviceID, tokenID string) store.AuditEvent {
	return store.AuditEvent{At: c.opts.Now(), Actor: ActorOf(ctx), Kind: kind, Person: user.Email, Account: user.Username,
		ServiceID: serviceID, TokenID: tokenID, Outcome: outcome, Reason: reason}
}

// record appends events in a change of their own, for what changes nothing else. A failure
// is logged: the portal goes on, as the log lines say what happened.
func (c *Connector) record(ctx context.Context, events ...store.AuditEvent) {
	if err := c.store.Audit(context.WithoutCancel(ctx), events...); err != nil {
		c.opts.Log.Error("could not append to the audit log", "kind", events[0].Kind, "err", err)
	}
}

// SignedIn records that the person signed in, and how (google, dev).
func (c *Connector) SignedIn(ctx context.Context, user services.User, method string) {
	ctx = WithActor(ctx, services.LowerASCII(user.Email))
	c.record(ctx, c.event(ctx, EventSignIn, string(OutcomeOK), "signed in with "+method, user, "", ""))
}

// SignInRefused records a refused sign-in: the email it was for (empty when unknown), how,
// and why it was refused.
func (c *Connector) SignInRefused(ctx context.Context, email, method, reason string) {
	email = services.LowerASCII(strings.TrimSpace(email))
	ctx = WithActor(ctx, email)
	if email == "" {
		ctx = WithActor(ctx, "anonymous")
	}
	c.record(ctx, c.event(ctx, EventSignInRefused, string(OutcomeRefused), method+": "+reason, services.User{Email: email}, "", ""))
}

// SignedOut records that the person signed out.
func (c *Connector) SignedOut(ctx context.Context, user services.User) {
	ctx = WithActor(ctx, services.LowerASCII(user.Email))
	c.record(ctx, c.event(ctx, EventSignOut, string(OutcomeOK), "", user, "", ""))
}

// RegistryRefused records an edit of the live registry that did not validate: the last good
// registry stays in service.
func (c *Connector) RegistryRefused(ctx context.Context, problems []string) {
	reason := fmt.Sprintf("the edit does not validate (%d problems; the first: %s); the last good registry stays in service",
		len(problems), firstOr(problems, "unknown"))
	c.record(ctx, c.event(ctx, EventRegistryReload, string(OutcomeRefused), reason, services.User{}, "", ""))
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

// AuditRecord is a record of the audit log: an event, numbered and chained.
type AuditRecord = store.AuditRecord

// AuditPageSize is how many records a page of the audit view holds.
const AuditPageSize = 50

// AuditQuery selects a page of the audit log: by person and service (either may be empty),
// and the records older than Before or newer than After (both zero: the newest).
type AuditQuery struct {
	Person    string
	ServiceID string
	Before    int64
	After     int64
}

// AuditLogPage is a page of the audit log, newest first, for admins.
type AuditLogPage struct {
	Query   AuditQuery // as normalized
	Records []AuditRecord
	// Older and Newer say whether there are records beyond the page either way.
	Older, Newer bool
	// Services are the registry's service ids, for the search.
	Services []string
}

// AuditLog returns a page of the audit log, newest first, searched by person and service. A
// malformed email or service id is an EInvalid error.
func (c *Connector) AuditLog(ctx context.Context, q AuditQuery) (AuditLogPage, error) {
	q.Person, q.ServiceID = strings.TrimSpace(q.Person), strings.TrimSpace(q.ServiceID)
	if q.Person != "" {
		email, err := identity.NormalizeEmail(q.Person)
		if err != nil {
			return AuditLogPage{Query: q}, services.Errorf(services.EInvalid, "Search by person needs a whole email address: %s.", services.ErrorMessage(err))
		}
		q.Person = email
	}
	if q.ServiceID != "" && !services.ValidServiceID(q.ServiceID) {
		return AuditLogPage{Query: q}, services.Errorf(services.EInvalid, "There is no service with that id.")
	}
	page, err := c.store.AuditRecords(ctx, store.AuditFilter{Person: q.Person, ServiceID: q.ServiceID},
		store.AuditCursor{Before: max(q.Before, 0), After: max(q.After, 0)}, AuditPageSize)
	if err != nil {
		return AuditLogPage{Query: q}, services.Wrap(services.EInternal, err, "read the audit log")
	}
	out := AuditLogPage{Query: q, Records: page.Records, Older: page.Older, Newer: page.Newer}
	for _, svc := range c.registry.Services() {
		out.Services = append(out.Services, svc.ID)
	}
	return out, nil
}

// PruneAudit deletes the audit records older than keep, as the worker's retention does, and
// returns how many it deleted. The chain stays verifiable from the first record kept.
func (c *Connector) PruneAudit(ctx context.Context, keep time.Duration) (int, error) {
	before := c.opts.Now().Add(-keep)
	total := 0
	for {
		n, err := c.store.PruneAudit(ctx, before, ActorWorker)
		total += n
		if err != nil || n == 0 || ctx.Err() != nil {
			return total, err
		}
	}
}
