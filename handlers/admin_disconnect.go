package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// AdminDisconnect serves POST /admin/connections/disconnect (form: email, service_id): an
// admin disconnects one person's connection, which revokes its key and removes it from
// their account.
func (h *Handlers) AdminDisconnect(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
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
