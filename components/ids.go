// Package components holds the portal's templ components: the layout, the dashboard, the
// service card, the sign-in page, flashes and error pages. Components render view models
// shaped for display; they never call a service.
package components

// Element ids and names shared by handlers and components.
const (
	// FlashID is the out-of-band region that Connect and Disconnect fill with a flash.
	FlashID = "flash"
	// ServiceGridID is the grid of service cards inside the Service Connectors card.
	ServiceGridID = "service-grid"
	// AnnouncerID is the dashboard's live region: Connect and Disconnect put what they did
	// there (out of band), so a screen reader announces it.
	AnnouncerID = "announcer"
	// DeliveryBannerID is the region of the one banner that says the person's server account
	// is not up to date yet; card answers refresh it out of band.
	DeliveryBannerID = "delivery-banner"
	// ConfirmDialogID is the dialog that asks before Disconnect when JavaScript runs.
	ConfirmDialogID = "confirm-dialog"
	// ConfirmField is the form field that confirms a Disconnect, and ConfirmYes its value:
	// without it a Disconnect post only leads to the confirmation step.
	ConfirmField = "confirm"
	// ConfirmYes is the value of ConfirmField that confirms.
	ConfirmYes = "yes"
)

// CardTitleID is the id of a service card's heading, which names the card for screen readers.
func CardTitleID(serviceID string) string { return "card-title-" + serviceID }

// CardMessageID is the id of the message a card shows after an action.
func CardMessageID(serviceID string) string { return "card-message-" + serviceID }

// SyncCommandID is the id of the sync command a card shows after the first Connect; its copy
// button names it.
func SyncCommandID(serviceID string) string { return "sync-command-" + serviceID }

// CardID is the id of a service's card, the target that Connect and Disconnect swap.
func CardID(serviceID string) string { return "card-" + serviceID }

// SpinnerID is the id of a service card's in-flight indicator.
func SpinnerID(serviceID string) string { return "spinner-" + serviceID }

// ConnectPath is the route that connects a service from its card (HTMX or a plain form).
func ConnectPath(serviceID string) string { return "/connectors/" + serviceID + "/connect" }

// DisconnectPath is the route that disconnects a service from its card.
func DisconnectPath(serviceID string) string { return "/connectors/" + serviceID + "/disconnect" }

// htmxConfig makes htmx swap 4xx and 5xx fragments, so an error shows in the card instead of
// being dropped, and leaves the indicator styles to app.css so no inline style is injected.
// It settles a swap at once (defaultSettleDelay 0; no style here animates the settling):
// htmx makes the new card's forms live and moves the focus to its autofocus button when it
// settles, so with its default 20 ms delay the focus sat on <body> in between, where a key
// press (or a screen reader) found it, and the new buttons posted as plain forms.
const htmxConfig = `{"includeIndicatorStyles":false,"defaultSettleDelay":0,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":false},{"code":"...","swap":false}]}`
