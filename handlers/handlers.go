// Package handlers holds the portal's gin handlers: pages, HTMX fragments, the JSON API and
// sign-in. A handler parses the request, calls a service and renders; the business rules live
// in services. Each file serves one resource; every handler names the route it serves.
package handlers

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// Connector is what the dashboard, the service cards and the JSON API need of the
// connection use cases.
type Connector interface {
	Overview(ctx context.Context, user services.User) ([]connector.ServiceState, error)
	State(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error)
	Connect(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error)
	Disconnect(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error)
	Health(ctx context.Context) []connector.ServiceHealth
	HasAccount(user services.User) bool
	// CheckAccount tells the dashboard, before any Connect, that the person's server account
	// already receives another person's keys (EConflict).
	CheckAccount(ctx context.Context, user services.User) error
}

// Admin is what the admin page needs of the connection use cases. They validate what an
// admin typed themselves and answer EInvalid when it is malformed.
type Admin interface {
	Admin(ctx context.Context, q connector.AdminQuery) (connector.AdminOverview, error)
	DisconnectFor(ctx context.Context, email, serviceID string) (connector.Disconnection, error)
	OffboardPlan(ctx context.Context, email string) (connector.OffboardPlan, error)
	Offboard(ctx context.Context, email string) (connector.OffboardResult, error)
	RetryRevocation(ctx context.Context, serviceID, tokenID string) (bool, error)
	RetryAllRevocations(ctx context.Context) (connector.RetryAllResult, error)
}

// Audit records sign-ins in the audit log, and reads the log for the admins' audit page.
// Recording never fails a sign-in: a record that could not be written is logged.
type Audit interface {
	SignedIn(ctx context.Context, user services.User, method string)
	SignInRefused(ctx context.Context, email, method, reason string)
	SignedOut(ctx context.Context, user services.User)
	AuditLog(ctx context.Context, q connector.AuditQuery) (connector.AuditLogPage, error)
}

// RegistryStatus is what the admin page shows of the registry in service.
type RegistryStatus struct {
	Source   string    // the registry file, or a name for the embedded example
	Services int       // how many services it lists
	LoadedAt time.Time // when the registry in service was loaded
	Problems []string  // why the file on disk is not the one in service; empty when it is
}

// Identity maps a sign-in email to the server account files are delivered to.
type Identity interface {
	Username(email string) (string, error)
}

// GoogleUser is what Google says about the person who signed in.
type GoogleUser struct {
	Email         string
	EmailVerified bool
	HostedDomain  string // the "hd" claim: the Google Workspace domain; empty for a personal account
}

// Google runs the OAuth exchange with Google; app implements it with goth.
type Google interface {
	AuthURL(state string) (string, error)
	User(ctx context.Context, code string) (GoogleUser, error)
}

// Check is one readiness check: nil when the part it checks can serve.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Config holds what the handlers are built from.
type Config struct {
	Connector Connector
	Admin     Admin
	// Audit records sign-ins and serves the audit page; nil records nothing and has no
	// audit page.
	Audit      Audit
	Identity   Identity
	Log        *slog.Logger
	Demo       bool     // offers the dev sign-in
	DemoPeople []string // one-click demo sign-ins
	DemoHomes  string   // the demo's folder of home directories, shown on the dashboard
	DemoFaults []string // the faults the demo injects on purpose (SC_DEMO_FAULTS), in words
	Admins     []string // emails of admins
	Ready      []Check  // readiness checks for /readyz
	// Google signs people in (serve); AllowedDomains are the email domains it lets in.
	Google         Google
	AllowedDomains []string
	// Registry says, for the admin page, which registry is in service and whether the file
	// on disk has problems; nil shows nothing is known about it.
	Registry func() RegistryStatus
}

// Handlers serves the portal's routes. Build it with New; app wires it to the router.
type Handlers struct {
	connector  Connector
	admin      Admin
	audit      Audit
	identity   Identity
	log        *slog.Logger
	demo       bool
	demoPeople []string
	demoHomes  string
	demoFaults []string
	admins     map[string]bool
	ready      []Check
	google     Google
	domains    map[string]bool
	registry   func() RegistryStatus
}

// New returns the handlers over cfg.
func New(cfg Config) *Handlers {
	h := &Handlers{
		connector:  cfg.Connector,
		admin:      cfg.Admin,
		audit:      cfg.Audit,
		identity:   cfg.Identity,
		log:        cfg.Log,
		demo:       cfg.Demo,
		demoPeople: cfg.DemoPeople,
		demoHomes:  cfg.DemoHomes,
		demoFaults: cfg.DemoFaults,
		admins:     map[string]bool{},
		ready:      cfg.Ready,
		google:     cfg.Google,
		domains:    map[string]bool{},
		registry:   cfg.Registry,
	}
	for _, d := range cfg.AllowedDomains {
		h.domains[strings.ToLower(strings.TrimSpace(d))] = true
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	for _, a := range cfg.Admins {
		h.admins[normalize(a)] = true
	}
	return h
}

// readyTimeout bounds all readiness checks together.
const readyTimeout = 3 * time.Second
