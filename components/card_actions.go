package components

// cardActionProps is one button of a service card and the route it posts to.
type cardActionProps struct {
	ServiceID   string
	ServiceName string
	EnvVarName  string
	Action      CardAction
	Path        string
	Label       string
	Class       string // "primary" or "secondary"
	TestID      string
	Confirm     bool // ask before posting: a dialog with JavaScript, a page without
	Disabled    bool // shown, but the service cannot be connected now
	Autofocus   bool // takes the focus when the card is swapped in
}

// confirmVals are the values htmx adds to a Disconnect the person confirmed in the dialog.
const confirmVals = `{"` + ConfirmField + `":"` + ConfirmYes + `"}`

// DisconnectConsequence says what Disconnect does, for the dialog and the confirmation page.
func DisconnectConsequence(serviceName, envVarName string) string {
	return "Your coding agent loses access to " + serviceName + ": the portal removes the key " + envVarName +
		" from your server account and revokes it at the service, and your next sync removes it from your laptop. You can connect again at any time."
}

// cardActions are the buttons a card offers, in order. After a failed action the button
// that posts it again reads "Try again"; the first button takes the focus when Focus asks.
func cardActions(c ServiceCardView) []cardActionProps {
	connect := func(label string) cardActionProps {
		return cardActionProps{Action: ActionConnect, Path: ConnectPath(c.ID), Label: label, Class: "primary", TestID: "connect", Disabled: !c.CanConnect}
	}
	disconnect := cardActionProps{Action: ActionDisconnect, Path: DisconnectPath(c.ID), Label: "Disconnect", Class: "secondary", TestID: "disconnect", Confirm: true}
	var actions []cardActionProps
	switch c.State {
	case CardConnected:
		actions = []cardActionProps{disconnect}
	case CardExpiringSoon, CardExpired:
		actions = []cardActionProps{connect("Reconnect"), disconnect}
	default:
		actions = []cardActionProps{connect("Connect")}
	}
	if o := c.Outcome; o != nil && o.Error && o.Retry != ActionNone {
		actions = withRetry(actions, o.Retry)
	}
	for i := range actions {
		actions[i].ServiceID, actions[i].ServiceName, actions[i].EnvVarName = c.ID, c.Name, c.EnvVarName
	}
	if c.Focus == FocusButton && len(actions) > 0 && !actions[0].Disabled {
		actions[0].Autofocus = true
	}
	return actions
}

// withRetry puts "Try again" for the failed action first: a real button that posts it again
// (a Disconnect the person already confirmed is not asked again).
func withRetry(actions []cardActionProps, failed CardAction) []cardActionProps {
	out := make([]cardActionProps, 0, len(actions))
	for _, a := range actions {
		if a.Action == failed && !a.Disabled {
			a.Label, a.Class, a.TestID, a.Confirm = "Try again", "primary", "try-again", false
			out = append([]cardActionProps{a}, out...)
			continue
		}
		out = append(out, a)
	}
	return out
}
