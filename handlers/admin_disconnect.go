package handlers

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// AdminDisconnect serves POST /admin/connections/disconnect (form: email, service_id,
// confirm=yes, return): an admin disconnects one person's connection, which revokes its key
// and removes it from their account. An unconfirmed post only leads to the confirmation
// step.
func (h *Handlers) AdminDisconnect(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	if c.PostForm(components.ConfirmField) != components.ConfirmYes {
		target := components.AdminDisconnectPath + "?" + url.Values{"email": {c.PostForm("email")}, "service_id": {c.PostForm("service_id")},
			paramReturn: {c.PostForm(paramReturn)}}.Encode()
		seeOther(c, target)
		return
	}
	d, err := h.admin.DisconnectFor(c.Request.Context(), c.PostForm("email"), c.PostForm("service_id"))
	switch {
	case services.ErrorCode(err) == services.EInvalid:
		h.badRequest(c, services.ErrorMessage(err))
	case err != nil && d.Email == "":
		// No such connection: nothing was changed, and the message says so.
		h.logError(c, err)
		h.adminDone(c, "error", services.ErrorMessage(err))
	case err != nil:
		h.logError(c, err)
		h.adminDone(c, "error", fmt.Sprintf("Could not disconnect %s from %s: %s", d.Email, d.ServiceName, services.ErrorMessage(err)))
	default:
		h.log.Info("admin disconnected a connection", "admin", currentUser(c).Email, "user", d.Email, "service", d.ServiceID, "token_id", d.TokenID, "revocation", string(d.Revocation))
		h.adminDone(c, "success", disconnectionMessage(d))
	}
}

// AdminConfirmDisconnect serves GET /admin/connections/disconnect?email=&service_id=&return=:
// the confirmation step before an admin's Disconnect, for a browser without JavaScript
// (with it, a dialog asks). Nothing changes here.
func (h *Handlers) AdminConfirmDisconnect(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	email, serviceID := normalize(c.Query("email")), c.Query("service_id")
	if email == "" || !services.ValidServiceID(serviceID) {
		h.badRequest(c, "Disconnect needs the person's email and a valid service id.")
		return
	}
	ret := queryValues(parseAdminQuery(mustQuery(c.Query(paramReturn))).q)
	name := serviceID
	for _, s := range h.adminServiceNames(c) {
		if s.Value == serviceID {
			name = s.Label
		}
	}
	h.render(c, http.StatusOK, components.AdminConfirmDisconnectPage(components.AdminConfirmDisconnectProps{
		User: adminUser(user), Email: email, ServiceID: serviceID, Service: name, Return: ret.Encode(), Back: returnURL(ret.Encode()),
	}))
}

// disconnectionMessage says what an admin's Disconnect did, and says "revoked" only when the
// service confirmed it.
func disconnectionMessage(d connector.Disconnection) string {
	what := "the key is revoked"
	if d.Revocation != connector.RevocationConfirmed {
		what = "the key is queued for revocation, as the service did not confirm it yet"
	}
	if d.DeliveryPending {
		return fmt.Sprintf("Disconnected %s from %s: %s; removing it from their account failed and is retried.", d.Email, d.ServiceName, what)
	}
	if d.Revocation == connector.RevocationConfirmed {
		return fmt.Sprintf("Disconnected %s from %s: the key is revoked and removed from their account.", d.Email, d.ServiceName)
	}
	return fmt.Sprintf("Disconnected %s from %s: the key is removed from their account and queued for revocation, as the service did not confirm it yet.", d.Email, d.ServiceName)
}
