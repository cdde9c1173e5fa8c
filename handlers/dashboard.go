package handlers

import (
	"net/http"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
)

// Dashboard serves GET /: the Service Connectors card with the person's services.
func (h *Handlers) Dashboard(c *gin.Context) {
	user := currentUser(c)
	states, err := h.connector.Overview(c.Request.Context(), user)
	if err != nil {
		h.fail(c, err)
		return
	}
	props := components.DashboardProps{
		User:  components.UserView{Email: user.Email, Username: user.Username, Admin: h.admins[normalize(user.Email)]},
		Cards: cardViews(states),
	}
	if !h.connector.HasAccount(user) {
		props.NoAccount = true
		for i := range props.Cards {
			props.Cards[i].CanConnect = false
		}
	}
	if h.demoHomes != "" {
		props.DemoHome = filepath.Join(h.demoHomes, user.Username) + "/"
	}
	if kind, msg, ok := takeFlash(c); ok {
		props.Flash = &components.FlashView{Kind: kind, Message: msg}
	}
	h.render(c, http.StatusOK, components.DashboardPage(props))
}
