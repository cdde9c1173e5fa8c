package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/identity"
)

// Admin serves GET /admin: the registry's state, services, connections, the revocation
// queue, pending deliveries and unfinished exchanges, to admins (SC_ADMIN_EMAILS) only.
func (h *Handlers) Admin(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	props := adminProps(h.connector.Admin(c.Request.Context()))
	props.User = components.UserView{Email: user.Email, Username: user.Username, Admin: true}
	if h.registry != nil {
		props.Registry = registryStatusView(h.registry())
	}
	if kind, msg, ok := takeFlash(c); ok {
		props.Flash = &components.FlashView{Kind: kind, Message: msg}
	}
	h.render(c, http.StatusOK, components.AdminPage(props))
}

// AdminDisconnect serves POST /admin/connections/disconnect (form: email, service_id): an
// admin disconnects one person's connection, which revokes its key and removes it from
// their account.
func (h *Handlers) AdminDisconnect(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	email, err := identity.NormalizeEmail(c.PostForm("email"))
	if err != nil {
		h.badRequest(c, "Disconnect needs the person's email: "+services.ErrorMessage(err)+".")
		return
	}
	serviceID := strings.TrimSpace(c.PostForm("service_id"))
	if !services.ValidServiceID(serviceID) {
		h.badRequest(c, "Disconnect needs a valid service id.")
		return
	}
	ctx := c.Request.Context()
	before, found := findConnection(h.connector.Admin(ctx), email, serviceID)
	if !found {
		h.adminDone(c, "error", fmt.Sprintf("%s has no connection to %s, so nothing was changed.", email, serviceID))
		return
	}
	if err := h.connector.DisconnectFor(ctx, email, serviceID); err != nil {
		h.logError(c, err)
		h.adminDone(c, "error", fmt.Sprintf("Could not disconnect %s from %s: %s", email, before.ServiceName, services.ErrorMessage(err)))
		return
	}
	msg := fmt.Sprintf("Disconnected %s from %s: the key is revoked and removed from their account.", email, before.ServiceName)
	if queued(h.connector.Admin(ctx), serviceID, before.TokenID) {
		msg = fmt.Sprintf("Disconnected %s from %s: the key is removed from their account and queued for revocation, as the service did not confirm it yet.", email, before.ServiceName)
	}
	h.log.Info("admin disconnected a connection", "admin", currentUser(c).Email, "user", email, "service", serviceID, "token_id", before.TokenID)
	h.adminDone(c, "success", msg)
}

// AdminOffboard serves POST /admin/offboard (form: email, confirm=yes): for the day someone
// leaves, every key of the person is revoked and their files removed.
func (h *Handlers) AdminOffboard(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	email, err := identity.NormalizeEmail(c.PostForm("email"))
	if err != nil {
		h.badRequest(c, "Offboarding needs the person's email: "+services.ErrorMessage(err)+".")
		return
	}
	if c.PostForm("confirm") != "yes" {
		h.badRequest(c, "Offboarding revokes every key of "+email+"; tick the box to confirm it.")
		return
	}
	res, err := Offboard(c.Request.Context(), h.connector, h.identity, email)
	if err != nil {
		h.logError(c, err)
		h.adminDone(c, "error", fmt.Sprintf("Could not offboard %s: %s", email, services.ErrorMessage(err)))
		return
	}
	h.log.Info("admin offboarded a person", "admin", currentUser(c).Email, "user", email, "connections", res.Connections, "revoked", res.Revoked, "queued", res.Queued)
	h.adminDone(c, "success", OffboardSummary(email, res))
}

// AdminRetryRevocation serves POST /admin/revocations/retry (form: service_id, token_id): an
// admin tries a queued revocation again now, typically one that needs attention.
func (h *Handlers) AdminRetryRevocation(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	serviceID := strings.TrimSpace(c.PostForm("service_id"))
	if !services.ValidServiceID(serviceID) {
		h.badRequest(c, "Retry needs a valid service id.")
		return
	}
	tokenID := c.PostForm("token_id")
	if !exchange.ValidTokenID(tokenID) {
		h.badRequest(c, "Retry needs the token id of a queued revocation.")
		return
	}
	revoked, err := h.connector.RetryRevocation(serviceID, tokenID)
	switch {
	case err != nil:
		h.logError(c, err)
		h.adminDone(c, "error", "Could not retry the revocation of "+tokenID+": "+services.ErrorMessage(err))
	case revoked:
		h.adminDone(c, "success", fmt.Sprintf("Revoked %s at %s; it is off the queue.", tokenID, serviceID))
	default:
		h.adminDone(c, "error", fmt.Sprintf("%s did not confirm the revocation of %s yet; it stays queued and the portal keeps retrying.", serviceID, tokenID))
	}
}

// OffboardSummary says in one line what offboarding a person did; the offboard command
// prints it too.
func OffboardSummary(email string, res connector.OffboardResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Offboarded %s: %s removed", email, plural(res.Connections, "connection"))
	if res.Revoked > 0 || res.Queued == 0 {
		fmt.Fprintf(&b, ", %s revoked", plural(res.Revoked, "key"))
	}
	if res.Queued > 0 {
		fmt.Fprintf(&b, ", %s queued for revocation", plural(res.Queued, "key"))
	}
	if res.Delivered {
		b.WriteString(", files cleared.")
	} else {
		b.WriteString("; clearing their files failed and is retried.")
	}
	return b.String()
}

// Offboarder is the one use case offboarding needs.
type Offboarder interface {
	Offboard(ctx context.Context, email, username string) (connector.OffboardResult, error)
}

// Offboard offboards email: the account their connections name, or, for a person without
// connections, the one ids maps them to. The offboard command shares it with the admin page.
func Offboard(ctx context.Context, conn Offboarder, ids Identity, email string) (connector.OffboardResult, error) {
	res, err := conn.Offboard(ctx, email, "")
	if services.ErrorCode(err) != services.ENotFound || ids == nil {
		return res, err
	}
	username, idErr := ids.Username(email)
	if idErr != nil {
		return res, err
	}
	return conn.Offboard(ctx, email, username)
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

func findConnection(ov connector.AdminOverview, email, serviceID string) (connector.AdminConnection, bool) {
	for _, conn := range ov.Connections {
		if strings.EqualFold(conn.UserEmail, email) && conn.ServiceID == serviceID {
			return conn, true
		}
	}
	return connector.AdminConnection{}, false
}

func queued(ov connector.AdminOverview, serviceID, tokenID string) bool {
	for _, r := range ov.Revocations {
		if r.ServiceID == serviceID && r.TokenID == tokenID {
			return true
		}
	}
	return false
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
