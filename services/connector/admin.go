package connector

import (
	"context"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// AdminService is one service of the registry as admins see it.
type AdminService struct {
	Service     services.Service
	Configured  bool // the portal has its shared secret
	Health      ServiceHealth
	Connections int
}

// AdminConnection is one recorded connection, without its key.
type AdminConnection struct {
	UserEmail   string
	Username    string
	ServiceID   string
	ServiceName string // the service id when the registry no longer has it
	TokenID     string
	Status      Status
	ConnectedAt time.Time
	ExpiresAt   time.Time
}

// AdminRevocation is a key forgotten but not yet confirmed revoked by its service.
type AdminRevocation struct {
	ServiceID      string
	ServiceName    string // the service id when the registry no longer has it
	TokenID        string
	UserEmail      string
	Reason         string
	QueuedAt       time.Time
	Attempts       int
	NextAttemptAt  time.Time // zero when due now
	LastError      string
	NeedsAttention bool // the attempts ran out: the worker waits for an admin
}

// AdminDelivery is a person whose server account may not hold their recorded state yet.
type AdminDelivery struct {
	UserEmail string
	Username  string
	Since     time.Time
	Attempts  int
	LastError string
}

// AdminIntent is a key exchange that has not finished.
type AdminIntent struct {
	RequestID string
	UserEmail string
	ServiceID string
	StartedAt time.Time
	Attempts  int
	LastError string
}

// AdminPageSize is how many entries of each list the admin overview holds: the first page.
const AdminPageSize = 100

// AdminOverview is what the admin page shows: the services, and the first AdminPageSize
// entries of each list with how many the store holds in all. It holds no key.
type AdminOverview struct {
	Services    []AdminService
	Connections []AdminConnection // by email, then service
	Revocations []AdminRevocation // those that need attention first, then oldest first
	Deliveries  []AdminDelivery   // oldest first
	Intents     []AdminIntent     // oldest first
	Totals      AdminTotals
}

// AdminTotals counts what the store holds, whatever the lists show.
type AdminTotals struct {
	Connections    int
	Revocations    int
	NeedsAttention int // queued revocations waiting for an admin
	Deliveries     int
	Intents        int
}

// Admin returns the admin overview: services with their health and number of connections,
// and the first page of the connections, the revocation queue, pending deliveries and
// unfinished exchanges, with the counts of each. It reads counts and pages from the store,
// never everything.
func (c *Connector) Admin(ctx context.Context) (AdminOverview, error) {
	counts, err := c.store.Counts(ctx, c.opts.Now())
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "count the records")
	}
	first := store.Page{Limit: AdminPageSize}
	conns, _, err := c.store.Connections(ctx, store.ConnectionFilter{}, first)
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "list the connections")
	}
	revocations, _, err := c.store.Revocations(ctx, first)
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "list the revocation queue")
	}
	deliveries, _, err := c.store.Deliveries(ctx, first)
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "list the pending deliveries")
	}
	intents, _, err := c.store.Intents(ctx, first)
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "list the exchange intents")
	}
	out := AdminOverview{
		Connections: make([]AdminConnection, 0, len(conns)),
		Revocations: make([]AdminRevocation, 0, len(revocations)),
		Deliveries:  make([]AdminDelivery, 0, len(deliveries)),
		Intents:     make([]AdminIntent, 0, len(intents)),
		Totals: AdminTotals{Connections: counts.Connections, Revocations: counts.Revocations, NeedsAttention: counts.NeedsAttention,
			Deliveries: counts.Deliveries, Intents: counts.Intents},
	}
	for _, conn := range conns {
		out.Connections = append(out.Connections, AdminConnection{
			UserEmail: conn.UserEmail, Username: conn.Username, ServiceID: conn.ServiceID, ServiceName: c.serviceName(conn.ServiceID),
			TokenID: conn.TokenID, Status: c.statusOf(conn), ConnectedAt: conn.ConnectedAt, ExpiresAt: conn.ExpiresAt,
		})
	}
	for _, r := range revocations {
		out.Revocations = append(out.Revocations, AdminRevocation{
			ServiceID: r.ServiceID, ServiceName: c.serviceName(r.ServiceID), TokenID: r.TokenID, UserEmail: r.UserEmail,
			Reason: r.Reason, QueuedAt: r.QueuedAt, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt,
			LastError: r.LastError, NeedsAttention: r.NeedsAttention,
		})
	}
	for _, d := range deliveries {
		out.Deliveries = append(out.Deliveries, AdminDelivery{UserEmail: d.UserEmail, Username: d.Username, Since: d.Since, Attempts: d.Attempts, LastError: d.LastError})
	}
	for _, in := range intents {
		out.Intents = append(out.Intents, AdminIntent{RequestID: in.RequestID, UserEmail: in.UserEmail, ServiceID: in.ServiceID,
			StartedAt: in.StartedAt, Attempts: in.Attempts, LastError: in.LastError})
	}
	perService := map[string]int{}
	for _, sc := range counts.Services {
		perService[sc.ServiceID] = sc.Connections
	}
	out.Services = c.adminServices(ctx, perService)
	return out, nil
}

// adminServices lists the registry's services with their health and number of connections.
func (c *Connector) adminServices(ctx context.Context, counts map[string]int) []AdminService {
	health := map[string]ServiceHealth{}
	for _, h := range c.Health(ctx) {
		health[h.ServiceID] = h
	}
	var out []AdminService
	for _, svc := range c.registry.Services() {
		_, configured := c.secrets(svc.ID)
		h, ok := health[svc.ID]
		if !ok {
			h = ServiceHealth{ServiceID: svc.ID, Name: svc.Name, Health: HealthUnknown}
		}
		out = append(out, AdminService{Service: svc, Configured: configured, Health: h, Connections: counts[svc.ID]})
	}
	return out
}

// statusOf is where a recorded connection stands, whether or not its service is still in the
// registry.
func (c *Connector) statusOf(conn services.Connection) Status {
	svc, ok := c.registry.Service(conn.ServiceID)
	if !ok {
		svc = services.Service{ID: conn.ServiceID}
	}
	return c.state(svc, conn, true).Status
}
