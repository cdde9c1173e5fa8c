package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
)

// The admin page and its actions, one file each: admin_disconnect.go, admin_offboard.go,
// admin_retry.go. The connector validates what an admin typed; a malformed form is refused
// with 400 and changes nothing, and every action ends in a redirect back to the admin page
// with a one-line flash saying what happened.

// Admin serves GET /admin: the registry's state, services, connections, the revocation
// queue, pending deliveries and unfinished exchanges, to admins (SC_ADMIN_EMAILS) only.
func (h *Handlers) Admin(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	overview, err := h.admin.Admin(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	props := adminProps(overview)
	props.User = adminUser(user)
	if h.registry != nil {
		props.Registry = registryStatusView(h.registry())
	}
	if kind, msg, ok := takeFlash(c); ok {
		props.Flash = &components.FlashView{Kind: kind, Message: msg}
	}
	h.render(c, http.StatusOK, components.AdminPage(props))
}

// requireAdmin lets admins through and answers everyone else 403.
func (h *Handlers) requireAdmin(c *gin.Context) (services.User, bool) {
	user := currentUser(c)
	if !h.admins[normalize(user.Email)] {
		h.log.Warn("admin page refused", "method", c.Request.Method, "path", c.FullPath(), "user", user.Email)
		h.render(c, http.StatusForbidden, components.ErrorPage("Forbidden", "This page is for the portal's admins."))
		return services.User{}, false
	}
	return user, true
}

// adminUser is the signed-in admin as the page's header shows them.
func adminUser(user services.User) components.UserView {
	return components.UserView{Email: user.Email, Username: user.Username, Admin: true}
}

// badRequest refuses a malformed admin form: nothing was changed.
func (h *Handlers) badRequest(c *gin.Context, message string) {
	h.log.Warn("bad admin request", "method", c.Request.Method, "path", c.FullPath())
	h.render(c, http.StatusBadRequest, components.ErrorPage("Bad request", message))
}

// adminDone ends an admin action: back to the admin page, with the outcome in a flash.
func (h *Handlers) adminDone(c *gin.Context, kind, message string) {
	addFlash(c, kind, message)
	c.Redirect(http.StatusSeeOther, components.AdminPath)
}
