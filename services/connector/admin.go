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

// How much of each list the admin page holds: a page of connections, a page of the
// revocation queue, and the first entries of the other queues.
const (
	AdminPageSize  = 50
	AdminQueueSize = 10
	// AdminCountUpTo bounds the count of a filtered list: past it the page says "more than".
	AdminCountUpTo = 10_000
)

// AdminState selects connections by where their key stands, or by their person's pending
// delivery.
type AdminState string

// The states the admin page filters connections by.
const (
	AdminAnyState        AdminState = ""
	AdminConnected       AdminState = "connected" // neither expired nor expiring soon
	AdminExpiring        AdminState = "expiring"
	AdminExpired         AdminState = "expired"
	AdminDeliveryPending AdminState = "delivery_pending"
)

// AdminStates are the states an admin can filter by, in the order the page offers them.
var AdminStates = []AdminState{AdminConnected, AdminExpiring, AdminExpired, AdminDeliveryPending}

// storeState is the store's name of a state.
func (s AdminState) storeState() store.ConnectionState {
	switch s {
	case AdminConnected:
		return store.StateLive
	case AdminExpiring:
		return store.StateExpiring
	case AdminExpired:
		return store.StateExpired
	case AdminDeliveryPending:
		return store.StateDeliveryPending
	default:
		return store.StateAny
	}
}

// AdminCursor is a position in the connections sorted by email, then service id.
type AdminCursor struct {
	Email, ServiceID string
}

// IsZero reports whether the cursor names no position.
func (c AdminCursor) IsZero() bool { return c.Email == "" && c.ServiceID == "" }

// AdminQuery is what the admin page asks for: which connections (a prefix of the person's
// email or account, a service, a state), which page of them (after or before a position,
// or the last; none is the first), and which page of the revocation queue (from 1).
type AdminQuery struct {
	Search        string
	ServiceID     string
	State         AdminState
	After, Before AdminCursor
	Last          bool
	QueuePage     int
}

// Filtered reports whether the query selects fewer than every connection.
func (q AdminQuery) Filtered() bool {
	return q.Search != "" || q.ServiceID != "" || q.State != AdminAnyState
}

// AdminConnections is one page of the connections a query selects.
type AdminConnections struct {
	Rows             []AdminConnection // by email, then service
	Total            int               // how many the query selects, at most AdminCountUpTo when filtered
	TotalCapped      bool              // more than Total match
	HasPrev, HasNext bool
}

// AdminOverview is what the admin page shows: the services, a page of the connections the
// query selects, a page of the revocation queue, the first AdminQueueSize entries of the
// other queues, and how many each holds. It holds no key.
type AdminOverview struct {
	Services    []AdminService
	Connections AdminConnections
	Revocations []AdminRevocation // those that need attention first, then oldest first
	QueuePage   int               // the page of the queue Revocations is, from 1
	QueuePages  int               // how many pages the queue has (at least 1)
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

// Admin returns the admin overview for q: services with their health and number of
// connections, the page of connections q selects, the page of the revocation queue it asks
// for (the last one when it asks past the end), the first pending deliveries and
// unfinished exchanges, and the counts of each. It reads counts and pages from the store,
// never everything, and never a key.
func (c *Connector) Admin(ctx context.Context, q AdminQuery) (AdminOverview, error) {
	counts, err := c.store.Counts(ctx, c.opts.Now())
	if err != nil {
		return AdminOverview{}, services.Wrap(services.EInternal, err, "count the records")
	}
	out := AdminOverview{Totals: AdminTotals{Connections: counts.Connections, Revocations: counts.Revocations,
		NeedsAttention: counts.NeedsAttention, Deliveries: counts.Deliveries, Intents: counts.Intents}}
	if out.Connections, err = c.adminConnections(ctx, q, counts.Connections); err != nil {
		return AdminOverview{}, err
	}
	if err := c.adminQueues(ctx, q, &out); err != nil {
		return AdminOverview{}, err
	}
	perService := map[string]int{}
	for _, sc := range counts.Services {
		perService[sc.ServiceID] = sc.Connections
	}
	out.Services = c.adminServices(ctx, perService)
	return out, nil
}

// adminConnections is the page of connections q selects; total is the number of all
// connections, the page's total when q filters nothing.
func (c *Connector) adminConnections(ctx context.Context, q AdminQuery, total int) (AdminConnections, error) {
	page, err := c.store.SearchConnections(ctx, store.ConnectionQuery{
		Search: q.Search, ServiceID: q.ServiceID, State: q.State.storeState(), Now: c.opts.Now(), Warning: c.opts.ExpiryWarning,
		After: store.Cursor(q.After), Before: store.Cursor(q.Before), Last: q.Last, Limit: AdminPageSize, CountUpTo: AdminCountUpTo,
	})
	if err != nil {
		return AdminConnections{}, services.Wrap(services.EInternal, err, "list the connections")
	}
	out := AdminConnections{Rows: make([]AdminConnection, 0, len(page.Rows)), Total: page.Total, TotalCapped: page.TotalCapped,
		HasPrev: page.HasPrev, HasNext: page.HasNext}
	if !q.Filtered() {
		out.Total, out.TotalCapped = total, false
	}
	for _, conn := range page.Rows {
		out.Rows = append(out.Rows, AdminConnection{
			UserEmail: conn.UserEmail, Username: conn.Username, ServiceID: conn.ServiceID, ServiceName: c.serviceName(conn.ServiceID),
			TokenID: conn.TokenID, Status: c.statusOf(services.Connection{UserEmail: conn.UserEmail, ServiceID: conn.ServiceID,
				ConnectedAt: conn.ConnectedAt, ExpiresAt: conn.ExpiresAt}),
			ConnectedAt: conn.ConnectedAt, ExpiresAt: conn.ExpiresAt,
		})
	}
	return out, nil
}

// adminQueues fills in the page of the revocation queue q asks for (the last one when it
// asks past the end) and the first pending deliveries and unfinished exchanges; out's
// totals must be set.
func (c *Connector) adminQueues(ctx context.Context, q AdminQuery, out *AdminOverview) error {
	out.QueuePages = max(1, (out.Totals.Revocations+AdminQueueSize-1)/AdminQueueSize)
	out.QueuePage = min(max(q.QueuePage, 1), out.QueuePages)
	revocations, _, err := c.store.Revocations(ctx, store.Page{Limit: AdminQueueSize, Offset: (out.QueuePage - 1) * AdminQueueSize})
	if err != nil {
		return services.Wrap(services.EInternal, err, "list the revocation queue")
	}
	first := store.Page{Limit: AdminQueueSize}
	deliveries, _, err := c.store.Deliveries(ctx, first)
	if err != nil {
		return services.Wrap(services.EInternal, err, "list the pending deliveries")
	}
	intents, _, err := c.store.Intents(ctx, first)
	if err != nil {
		return services.Wrap(services.EInternal, err, "list the exchange intents")
	}
	out.Revocations = make([]AdminRevocation, 0, len(revocations))
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
	return nil
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
