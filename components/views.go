package components

// CardState is what a service card shows about the person's connection.
type CardState string

// The card states.
const (
	CardNotConnected  CardState = "not_connected"
	CardConnected     CardState = "connected"
	CardExpiringSoon  CardState = "expiring_soon"
	CardExpired       CardState = "expired"
	CardNotConfigured CardState = "not_configured"
	CardDisabled      CardState = "disabled"
)

// ServiceCardView is one service card, shaped for display.
type ServiceCardView struct {
	ID          string
	Name        string
	Description string
	EnvVarName  string
	State       CardState
	ExpiresOn   string // e.g. "22 Nov 2027"; empty when not connected or no expiry
	ExpiresISO  string // RFC 3339, for a machine-readable <time>
	CanConnect  bool   // false while the service cannot be connected (not configured, switched off)
	Error       string // a plain sentence shown in the card
	// Health is the service's own state as of the portal's last health check, HealthText
	// says it in words ("Service is up"), and HealthChecked is when, e.g. "12:03 UTC"
	// (empty before the first check), with HealthCheckedISO in RFC 3339.
	Health           CardHealth
	HealthText       string
	HealthChecked    string
	HealthCheckedISO string
	// DeliveryPending is set while the person's server account does not hold their
	// recorded keys yet and the portal keeps retrying the delivery.
	DeliveryPending bool
}

// CardHealth is the service's own health as a card shows it.
type CardHealth string

// The health states of a card.
const (
	HealthHealthy   CardHealth = "healthy"
	HealthUnhealthy CardHealth = "unhealthy"
	HealthUnknown   CardHealth = "unknown"
)

// cardActionProps is one button of a service card and the route it posts to.
type cardActionProps struct {
	ServiceID string
	Path      string
	Label     string
	Class     string // "primary" or "secondary"
	TestID    string
}

// UserView is the signed-in person.
type UserView struct {
	Email    string
	Username string
	Admin    bool
}

// FlashView is a short message in the flash region.
type FlashView struct {
	Kind    string // "success" or "error"
	Message string
}

// DashboardProps is everything the dashboard shows.
type DashboardProps struct {
	User  UserView
	Cards []ServiceCardView
	Flash *FlashView
	// DemoHome is, in the demo, the folder that stands for the person's home directory.
	DemoHome string
	// NoAccount is set when the person has no account on the analyst server yet, so nothing
	// can be delivered and Connect is unavailable.
	NoAccount bool
}

// AdminServiceView is one registry service as the admin page lists it: nothing secret.
type AdminServiceView struct {
	ID           string
	Name         string
	Enabled      bool
	Configured   bool
	Health       CardHealth
	HealthReason string // why it is not healthy, in a few safe words; empty when healthy
	Connections  int
}

// RegistryStatusView is the state of the service registry as admins see it.
type RegistryStatusView struct {
	Source   string   // the registry file, or "embedded example registry"
	Services int      // how many services it lists
	LoadedAt string   // when the registry in service was loaded, e.g. "2026-11-23 12:03 UTC"
	Problems []string // why the file on disk is not the one in service; empty when it is
}

// AdminConnectionView is one recorded connection on the admin page; it never holds a key.
type AdminConnectionView struct {
	Email       string
	Username    string
	ServiceID   string
	ServiceName string
	TokenID     string
	Status      string // "connected", "expiring soon", "expired"
	ConnectedAt string
	ExpiresAt   string // empty when the key does not expire
}

// AdminRevocationView is a key waiting in the revocation queue.
type AdminRevocationView struct {
	ServiceID      string
	ServiceName    string
	Email          string
	TokenID        string
	Reason         string
	QueuedAt       string
	Attempts       int
	NextAttemptAt  string // empty when due now
	LastError      string
	NeedsAttention bool
}

// AdminDeliveryView is a person whose files are waiting for a delivery retry.
type AdminDeliveryView struct {
	Email     string
	Username  string
	Since     string
	Attempts  int
	LastError string
}

// AdminIntentView is an exchange that has not finished.
type AdminIntentView struct {
	RequestID string
	Email     string
	ServiceID string
	StartedAt string
	Attempts  int
	LastError string
}

// AdminProps is everything the admin page shows.
type AdminProps struct {
	User        UserView
	Flash       *FlashView
	Registry    RegistryStatusView
	Services    []AdminServiceView
	Connections []AdminConnectionView
	Revocations []AdminRevocationView
	Deliveries  []AdminDeliveryView
	Intents     []AdminIntentView
	// Totals count each list in the store; the lists above hold its first page.
	Totals AdminTotalsView
}

// AdminTotalsView counts what the store holds of each list of the admin page.
type AdminTotalsView struct {
	Connections, Revocations, Deliveries, Intents int
}

// LoginProps is everything the sign-in page shows.
type LoginProps struct {
	DevLogin   bool     // demo only: sign in as anyone
	DemoPeople []string // one-click sign-in for these emails
	Google     bool
	Next       string // where to go after sign-in
	Error      string
}
