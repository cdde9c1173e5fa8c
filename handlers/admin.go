package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
)

// Admin serves GET /admin: the registry's services, to admins (SC_ADMIN_EMAILS) only.
func (h *Handlers) Admin(c *gin.Context) {
	user := currentUser(c)
	if !h.admins[normalize(user.Email)] {
		h.render(c, http.StatusForbidden, components.ErrorPage("Forbidden", "This page is for the portal's admins."))
		return
	}
	var svcs []components.AdminServiceView
	if h.services != nil {
		svcs = h.services()
	}
	h.render(c, http.StatusOK, components.AdminPage(components.UserView{Email: user.Email, Username: user.Username, Admin: true}, svcs))
}
