package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// change is a use case a card button runs.
type change func(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error)

// ConnectCard serves POST /connectors/:id/connect: from htmx it answers the new card and a
// flash; from a plain form it redirects to the dashboard with the flash.
func (h *Handlers) ConnectCard(c *gin.Context) {
	h.changeCard(c, h.connector.Connect, connectedMessage)
}

// DisconnectCard serves POST /connectors/:id/disconnect, like ConnectCard.
func (h *Handlers) DisconnectCard(c *gin.Context) {
	h.changeCard(c, h.connector.Disconnect, disconnectedMessage)
}

func connectedMessage(st connector.ServiceState) string {
	return fmt.Sprintf("%s is connected. Your key is in ~/.service_env as %s; run your sync script to bring it to your laptop.",
		st.Service.Name, st.Service.EnvVarName)
}

// disconnectedMessage says what a Disconnect did, and says "revoked" only when the service
// confirmed it: a key it has not confirmed may still work until the portal's retry does.
func disconnectedMessage(st connector.ServiceState) string {
	name := st.Service.Name
	revoked := st.Revocation == connector.RevocationConfirmed
	switch {
	case st.Revocation == "":
		return name + " is disconnected."
	case revoked && !st.DeliveryPending:
		return name + " is disconnected. Its key is revoked and removed from your server account."
	case revoked:
		return name + " is disconnected. Its key is revoked; removing it from your server account is pending, and the portal keeps trying."
	case !st.DeliveryPending:
		return fmt.Sprintf("%s is disconnected. Its key is removed from your server account; its revocation is pending, as %s has not confirmed it yet, and the portal keeps trying.", name, name)
	default:
		return name + " is disconnected. Removing its key from your server account and revoking it are both pending; the portal keeps trying."
	}
}

func (h *Handlers) changeCard(c *gin.Context, run change, success func(connector.ServiceState) string) {
	user := currentUser(c)
	id := c.Param("id")
	st, err := run(c.Request.Context(), user, id)
	if err != nil {
		h.logError(c, err)
		// Show the card as it now stands, whatever the use case got done before it failed.
		if cur, stateErr := h.connector.State(c.Request.Context(), user, id); stateErr == nil {
			st = cur
		}
	}
	if !isHTMX(c) {
		if err != nil {
			addFlash(c, "error", services.ErrorMessage(err))
		} else {
			addFlash(c, "success", success(st))
		}
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	if st.Service.ID == "" {
		// No card to show (an unknown service): keep the page, say why in the flash.
		c.Header("HX-Reswap", "none")
		h.render(c, statusOf(err), components.Flash(&components.FlashView{Kind: "error", Message: services.ErrorMessage(err)}, true))
		return
	}
	view := cardView(st)
	status, flash := http.StatusOK, &components.FlashView{Kind: "success", Message: success(st)}
	if err != nil {
		status, flash = statusOf(err), nil
		view.Error = services.ErrorMessage(err)
	}
	h.render(c, status, components.ServiceCard(view), components.Flash(flash, true))
}
