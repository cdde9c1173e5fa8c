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

// AdminOverview is everything the admin page shows. It holds no key.
type AdminOverview struct {
	Services    []AdminService
	Connections []AdminConnection
	Revocations []store.Revocation
	Deliveries  []store.PendingDelivery
	Intents     []store.Intent
}

// Admin returns the admin overview: services with their health and number of connections,
// every connection, the revocation queue, pending deliveries and unfinished exchanges.
func (c *Connector) Admin(ctx context.Context) AdminOverview {
	st := c.store.State()
	health := map[string]ServiceHealth{}
	for _, h := range c.Health(ctx) {
		health[h.ServiceID] = h
	}
	counts := map[string]int{}
	out := AdminOverview{
		Connections: make([]AdminConnection, 0, len(st.Connections)),
		Revocations: st.Revocations, Deliveries: st.Deliveries, Intents: st.Intents,
	}
	for _, conn := range st.Connections {
		counts[conn.ServiceID]++
		ac := AdminConnection{
			UserEmail: conn.UserEmail, Username: conn.Username, ServiceID: conn.ServiceID, ServiceName: conn.ServiceID,
			TokenID: conn.TokenID, ConnectedAt: conn.ConnectedAt, ExpiresAt: conn.ExpiresAt,
		}
		if svc, ok := c.registry.Service(conn.ServiceID); ok {
			ac.ServiceName = svc.Name
			ac.Status = c.state(svc, conn, true).Status
		} else {
			ac.Status = c.state(services.Service{ID: conn.ServiceID}, conn, true).Status
		}
		out.Connections = append(out.Connections, ac)
	}
	for _, svc := range c.registry.Services() {
		_, configured := c.secrets(svc.ID)
		h, ok := health[svc.ID]
		if !ok {
			h = ServiceHealth{ServiceID: svc.ID, Name: svc.Name, Health: HealthUnknown}
		}
		out.Services = append(out.Services, AdminService{Service: svc, Configured: configured, Health: h, Connections: counts[svc.ID]})
	}
	return out
}
