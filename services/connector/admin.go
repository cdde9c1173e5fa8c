package connector

import (
	"context"
	"time"

	"github.com/service-connector/service-connector/services"
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

// AdminOverview is everything the admin page shows. It holds no key.
type AdminOverview struct {
	Services    []AdminService
	Connections []AdminConnection
	Revocations []AdminRevocation
	Deliveries  []AdminDelivery
	Intents     []AdminIntent
}

// Admin returns the admin overview: services with their health and number of connections,
// every connection, the revocation queue, pending deliveries and unfinished exchanges.
func (c *Connector) Admin(ctx context.Context) AdminOverview {
	st := c.store.State()
	out := AdminOverview{
		Connections: make([]AdminConnection, 0, len(st.Connections)),
		Revocations: make([]AdminRevocation, 0, len(st.Revocations)),
		Deliveries:  make([]AdminDelivery, 0, len(st.Deliveries)),
		Intents:     make([]AdminIntent, 0, len(st.Intents)),
	}
	counts := map[string]int{}
	for _, conn := range st.Connections {
		counts[conn.ServiceID]++
		out.Connections = append(out.Connections, AdminConnection{
			UserEmail: conn.UserEmail, Username: conn.Username, ServiceID: conn.ServiceID, ServiceName: c.serviceName(conn.ServiceID),
			TokenID: conn.TokenID, Status: c.statusOf(conn), ConnectedAt: conn.ConnectedAt, ExpiresAt: conn.ExpiresAt,
		})
	}
	for _, r := range st.Revocations {
		out.Revocations = append(out.Revocations, AdminRevocation{
			ServiceID: r.ServiceID, ServiceName: c.serviceName(r.ServiceID), TokenID: r.TokenID, UserEmail: r.UserEmail,
			Reason: r.Reason, QueuedAt: r.QueuedAt, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt,
			LastError: r.LastError, NeedsAttention: r.NeedsAttention,
		})
	}
	for _, d := range st.Deliveries {
		out.Deliveries = append(out.Deliveries, AdminDelivery{UserEmail: d.UserEmail, Username: d.Username, Since: d.Since, Attempts: d.Attempts, LastError: d.LastError})
	}
	for _, in := range st.Intents {
		out.Intents = append(out.Intents, AdminIntent{RequestID: in.RequestID, UserEmail: in.UserEmail, ServiceID: in.ServiceID,
			StartedAt: in.StartedAt, Attempts: in.Attempts, LastError: in.LastError})
	}
	out.Services = c.adminServices(ctx, counts)
	return out
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
