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
	SkillFile   string
	State       CardState
	ExpiresOn   string // e.g. "22 Nov 2027"; empty when not connected or no expiry
	ExpiresISO  string // RFC 3339, for a machine-readable <time>
	// TokenID is the service's id of the person's key, shortened for display (e.g.
	// "tok_1a2b3c4d…9f0e"), and TokenIDFull the whole id; IssuedAt says when the key was
	// issued, e.g. "23 Nov 2026, 12:03 UTC", with IssuedISO in RFC 3339. Empty when not
	// connected.
	TokenID     string
	TokenIDFull string
	IssuedAt    string
	IssuedISO   string
	CanConnect  bool // false while the service cannot be connected (not configured, switched off)
	// Health is the service's own state as of the portal's last health check, HealthText
	// says it in words ("Service is up"), and HealthChecked is when, e.g. "12:03 UTC"
	// (empty before the first check), with HealthCheckedISO in RFC 3339.
	Health           CardHealth
	HealthText       string
	HealthChecked    string
	HealthCheckedISO string
	// Outcome is what the person's last action on this card did; nil on a plain page load.
	Outcome *CardOutcomeView
	// WhatNext, after the person's first Connect, says once how the key reaches the laptop.
	WhatNext *WhatNextView
	// Focus is the part of the card that takes the keyboard focus when it is rendered.
	Focus CardFocus
}

// CardOutcomeView is what an action on a card did, shown once in that card.
type CardOutcomeView struct {
	Error    bool   // the action failed
	Message  string // what happened, in plain words
	NextStep string // what to do now, in plain words; empty when nothing is needed
	// Retry is the action a "Try again" button posts again; ActionNone offers none.
	Retry CardAction
}

// CardAction is an action of a service card.
type CardAction string

// The actions of a card.
const (
	ActionNone       CardAction = ""
	ActionConnect    CardAction = "connect"
	ActionDisconnect CardAction = "disconnect"
)

// CardFocus is the part of a card that takes the keyboard focus when the card is rendered
// after an action, so a keyboard user goes on from the card that changed.
type CardFocus string

// The parts of a card that can take the focus.
const (
	FocusNone    CardFocus = ""
	FocusButton  CardFocus = "button"  // the card's first button: htmx answers, with the live region
	FocusMessage CardFocus = "message" // the card's message: a full page after a plain form post
)

// WhatNextView tells, once, how a key reaches the laptop and the agent.
type WhatNextView struct {
	SyncCommand string // what to run on the laptop, in the project folder
}

// CardHealth is the service's own health as a card shows it.
type CardHealth string

// The health states of a card.
const (
	HealthHealthy   CardHealth = "healthy"
	HealthUnhealthy CardHealth = "unhealthy"
	HealthUnknown   CardHealth = "unknown"
)

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
	// DemoHome is, in the demo, the folder that stands for the person's home directory, and
	// DemoFaults the faults the demo injects on purpose, in words; empty outside the demo.
	DemoHome   string
	DemoFaults []string
	// NoAccount is set when the person has no account on the analyst server yet, so nothing
	// can be delivered and Connect is unavailable.
	NoAccount bool
	// AccountTaken is set when the person's server account already receives the keys of
	// another email, so Connect is unavailable.
	AccountTaken bool
	// Contacts are who to ask about the account (the portal's admins); may be empty.
	Contacts []string
	// DeliveryPending is set while the person's server account does not hold their
	// recorded keys yet and the portal keeps retrying the delivery: one banner, not a badge
	// per card.
	DeliveryPending bool
}

// ConfirmDisconnectProps is the confirmation step before Disconnect, without JavaScript.
type ConfirmDisconnectProps struct {
	User UserView
	Card ServiceCardView
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
	User     UserView
	Flash    *FlashView
	Registry RegistryStatusView
	Services []AdminServiceView
	// Attention counts what waits at the top of the page (queued revocations, pending
	// deliveries, unfinished exchanges, a registry with problems); the title shows it.
	Attention   int
	Query       AdminQueryView
	Connections AdminConnectionsView
	Revocations []AdminRevocationView
	Queue       AdminQueueView
	Deliveries  []AdminDeliveryView
	Intents     []AdminIntentView
	// Totals count each list in the store; the lists above hold a page of it.
	Totals AdminTotalsView
}

// AdminTotalsView counts what the store holds of each list of the admin page.
type AdminTotalsView struct {
	Connections, Revocations, NeedsAttention, Deliveries, Intents int
}

// AdminQueryView is the admin page's search and filters as its form shows them, and the
// page's whole query, encoded, that every action's form carries back.
type AdminQueryView struct {
	Search    string
	ServiceID string
	Status    string
	Services  []OptionView // the services to filter by
	Statuses  []OptionView // the statuses to filter by
	Return    string       // the page's query, e.g. "q=ann&status=expired"
	Ignored   []string     // parameters of the link that were malformed, and why
}

// OptionView is one option of a select.
type OptionView struct {
	Value, Label string
	Selected     bool
}

// AdminConnectionsView is one page of the connections the search selects, with the links
// to the pages around it ("" where there is none).
type AdminConnectionsView struct {
	Rows                    []AdminConnectionView
	Total                   int
	TotalCapped             bool // more than Total match
	Filtered                bool // a search or filter is applied
	Stale                   bool // the page's position has no rows any more (they were disconnected)
	First, Prev, Next, Last string
}

// AdminQueueView is where the page of the revocation queue stands.
type AdminQueueView struct {
	Page, Pages int
	Prev, Next  string // links to the pages around it; "" where there is none
}

// AdminConfirmDisconnectProps is the confirmation step before an admin's Disconnect,
// without JavaScript.
type AdminConfirmDisconnectProps struct {
	User      UserView
	Email     string
	ServiceID string
	Service   string // its name
	Return    string // the admin page's query to go back to
	Back      string // the admin page's URL with that query
}

// LoginProps is everything the sign-in page shows.
type LoginProps struct {
	DevLogin   bool     // demo only: sign in as anyone
	DemoPeople []string // one-click sign-in for these emails
	DemoFaults []string // demo only: the faults it injects, in words
	Google     bool
	Next       string // where to go after sign-in
	Error      string
}
