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

// Admin serves GET /admin?q=&service=&status=&after=|before=|last=1&qpage=: what needs
// attention (the revocation queue, pending deliveries, unfinished exchanges), the
// connections searched, filtered and paged, the services and the registry's state, to
// admins (SC_ADMIN_EMAILS) only. A malformed parameter is ignored, and the page says so.
func (h *Handlers) Admin(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	aq := parseAdminQuery(c.Request.URL.Query())
	overview, err := h.admin.Admin(c.Request.Context(), aq.q)
	if err != nil {
		h.fail(c, err)
		return
	}
	props := adminProps(overview, aq)
	props.User = adminUser(user)
	if h.registry != nil {
		props.Registry = registryStatusView(h.registry())
		if len(props.Registry.Problems) > 0 {
			props.Attention++
		}
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

// adminDone ends an admin action: back to the admin page, at the search, filter and page
// the action's form carried (validated: only the admin page's own parameters), with the
// outcome in a flash. htmx is told to load that page.
func (h *Handlers) adminDone(c *gin.Context, kind, message string) {
	addFlash(c, kind, message)
	target := returnURL(c.PostForm(paramReturn))
	seeOther(c, target)
}

// seeOther sends the browser to target after a form: a 303, or for htmx, which would swap
// the page it redirects to into the element that asked, a request to load it whole.
func seeOther(c *gin.Context, target string) {
	if isHTMX(c) {
		c.Header("HX-Redirect", target)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, target)
}
