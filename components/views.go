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
}

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
	ID         string
	Name       string
	Enabled    bool
	Configured bool
}

// LoginProps is everything the sign-in page shows.
type LoginProps struct {
	DevLogin   bool     // demo only: sign in as anyone
	DemoPeople []string // one-click sign-in for these emails
	Google     bool
	Next       string // where to go after sign-in
	Error      string
}
