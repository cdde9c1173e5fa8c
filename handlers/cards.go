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
	h.changeCard(c, h.connect, connectedMessage)
}

// DisconnectCard serves POST /connectors/:id/disconnect, like ConnectCard.
func (h *Handlers) DisconnectCard(c *gin.Context) {
	h.changeCard(c, h.connector.Disconnect, disconnectedMessage)
}

// connect is the Connect use case, refused up front for a person without a server account:
// there would be nowhere to deliver the key.
func (h *Handlers) connect(ctx context.Context, user services.User, serviceID string) (connector.ServiceState, error) {
	if !h.accountOK(user.Username) {
		return connector.ServiceState{}, services.Errorf(services.EUnavailable,
			"There is no server account for %s yet, so Connect is unavailable. Ask an admin to create it.", user.Username)
	}
	return h.connector.Connect(ctx, user, serviceID)
}

func connectedMessage(st connector.ServiceState) string {
	return fmt.Sprintf("%s is connected. Your key is in ~/.service_env as %s; run your sync script to bring it to your laptop.",
		st.Service.Name, st.Service.EnvVarName)
}

func disconnectedMessage(st connector.ServiceState) string {
	return fmt.Sprintf("%s is disconnected. Its key is revoked and removed from your server account.", st.Service.Name)
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
