package handlers

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
)

// Dashboard serves GET /: the Service Connectors card with the person's services, what is
// in the way of connecting at all (no server account, or one that belongs to someone else),
// one banner while a delivery is pending, and, once, what a plain form post just did.
func (h *Handlers) Dashboard(c *gin.Context) {
	ctx := c.Request.Context()
	user := currentUser(c)
	states, err := h.connector.Overview(ctx, user)
	if err != nil {
		h.fail(c, err)
		return
	}
	props := components.DashboardProps{
		User:     h.userView(user),
		Cards:    cardViews(states),
		Contacts: h.contacts(),
	}
	for _, st := range states {
		props.DeliveryPending = props.DeliveryPending || st.DeliveryPending
	}
	switch {
	case !h.connector.HasAccount(user):
		props.NoAccount = true
	case services.ErrorCode(h.connector.CheckAccount(ctx, user)) == services.EConflict:
		props.AccountTaken = true
	}
	if props.NoAccount || props.AccountTaken {
		for i := range props.Cards {
			props.Cards[i].CanConnect = false
		}
	}
	if h.demoHomes != "" {
		props.DemoHome = filepath.Join(h.demoHomes, user.Username) + "/"
		props.DemoFaults = h.demoFaults
	}
	if kind, msg, ok := takeFlash(c); ok {
		props.Flash = &components.FlashView{Kind: kind, Message: msg}
	}
	if res, ok := takeCardResult(c); ok {
		for i := range props.Cards {
			if props.Cards[i].ID == res.ServiceID {
				h.applyResult(&props.Cards[i], res, user, components.FocusMessage)
			}
		}
	}
	h.render(c, http.StatusOK, components.DashboardPage(props))
}

// userView is the signed-in person as the top bar shows them.
func (h *Handlers) userView(user services.User) components.UserView {
	return components.UserView{Email: user.Email, Username: user.Username, Admin: h.admins[normalize(user.Email)]}
}

// contacts are who a person asks about their server account: the portal's admins.
func (h *Handlers) contacts() []string {
	out := make([]string, 0, len(h.admins))
	for email := range h.admins {
		out = append(out, email)
	}
	slices.Sort(out)
	return out
}

// syncCommand is what the person runs on their laptop to bring their keys there: the
// platform's sync_data.sh, which calls sync-service-env.sh; in the demo, the script itself
// on the demo's folder for their home.
func (h *Handlers) syncCommand(user services.User) string {
	if h.demoHomes == "" {
		return "sh sync_data.sh"
	}
	return "sh deploy/client/sync-service-env.sh --from-dir " + shellQuote(filepath.Join(h.demoHomes, user.Username))
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe path characters.
func shellQuote(s string) string {
	safe := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%", r))
	}) < 0
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
