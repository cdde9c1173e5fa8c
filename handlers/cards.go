package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// ConnectCard serves POST /connectors/:id/connect: from htmx it answers the new card, with
// what happened and what to do next, and refreshes the live region and the delivery banner
// out of band; from a plain form it redirects to the dashboard, which shows the same in the
// card once.
func (h *Handlers) ConnectCard(c *gin.Context) {
	user := currentUser(c)
	// The first connection of a person shows, once, how a key reaches the laptop.
	states, err := h.connector.Overview(c.Request.Context(), user)
	first := err == nil && !anyConnected(states) // unread records show no first-time guide
	h.changeCard(c, components.ActionConnect, first)
}

// DisconnectCard serves POST /connectors/:id/disconnect, like ConnectCard, once confirmed
// (form field confirm=yes). An unconfirmed post is sent to the confirmation step instead.
func (h *Handlers) DisconnectCard(c *gin.Context) {
	if c.PostForm(components.ConfirmField) != components.ConfirmYes {
		id := c.Param("id")
		if !services.ValidServiceID(id) {
			h.fail(c, services.Errorf(services.ENotFound, "There is no service with this id."))
			return
		}
		target := components.DisconnectPath(id)
		seeOther(c, target)
		return
	}
	h.changeCard(c, components.ActionDisconnect, false)
}

// ConfirmDisconnect serves GET /connectors/:id/disconnect: the confirmation step before
// Disconnect for a browser without JavaScript (with it, a dialog asks). Nothing changes here.
func (h *Handlers) ConfirmDisconnect(c *gin.Context) {
	user := currentUser(c)
	st, err := h.connector.State(c.Request.Context(), user, c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	if !st.Connected() {
		c.Redirect(http.StatusSeeOther, "/#"+components.CardID(st.Service.ID))
		return
	}
	h.render(c, http.StatusOK, components.ConfirmDisconnectPage(components.ConfirmDisconnectProps{
		User: h.userView(user), Card: cardView(st),
	}))
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

// cardResult is what an action on a card did, kept for the one page that shows it.
type cardResult struct {
	ServiceID     string                     `json:"service_id"`
	Outcome       components.CardOutcomeView `json:"outcome"`
	WhatNext      bool                       `json:"what_next,omitempty"`      // the person's first Connect
	ServiceFailed bool                       `json:"service_failed,omitempty"` // the service, not the portal, failed
}

func (h *Handlers) changeCard(c *gin.Context, action components.CardAction, first bool) {
	ctx := c.Request.Context()
	user := currentUser(c)
	id := c.Param("id")
	var st connector.ServiceState
	var err error
	if action == components.ActionConnect {
		st, err = h.connector.Connect(ctx, user, id)
	} else {
		st, err = h.connector.Disconnect(ctx, user, id)
	}
	if err != nil {
		h.logError(c, err)
		// Show the card as it now stands, whatever the use case got done before it failed.
		if cur, stateErr := h.connector.State(ctx, user, id); stateErr == nil {
			st = cur
		}
	}
	if st.Service.ID == "" {
		// No card to show (an unknown service): keep the page, say why in the flash.
		if !isHTMX(c) {
			addFlash(c, "error", services.ErrorMessage(err))
			c.Redirect(http.StatusSeeOther, "/")
			return
		}
		c.Header("HX-Reswap", "none")
		h.render(c, statusOf(err), components.Flash(&components.FlashView{Kind: "error", Message: services.ErrorMessage(err)}, true))
		return
	}
	res := resultOf(action, st, err)
	res.WhatNext = first && err == nil && action == components.ActionConnect
	if !isHTMX(c) {
		keepCardResult(c, res)
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	view := cardView(st)
	h.applyResult(&view, res, user, components.FocusButton)
	status := http.StatusOK
	if err != nil {
		status = statusOf(err)
	}
	h.render(c, status,
		components.ServiceCard(view),
		components.Announcer(announcement(res, st.DeliveryPending), true),
		components.DeliveryBanner(st.DeliveryPending, true))
}

// resultOf says what an action did, in plain words, and what to do next.
func resultOf(action components.CardAction, st connector.ServiceState, err error) cardResult {
	res := cardResult{ServiceID: st.Service.ID}
	switch {
	case err == nil && action == components.ActionConnect:
		res.Outcome = components.CardOutcomeView{Message: connectedMessage(st)}
	case err == nil:
		res.Outcome = components.CardOutcomeView{Message: disconnectedMessage(st),
			NextStep: fmt.Sprintf("Run your sync on your laptop: it removes %s from your project's .env and the guide %s from .claude/rules/.",
				st.Service.EnvVarName, st.Service.SkillFile)}
	default:
		res.Outcome = components.CardOutcomeView{Error: true, Message: services.ErrorMessage(err), Retry: action}
		res.Outcome.NextStep, res.ServiceFailed = nextStep(st.Service.Name, err)
		if code := services.ErrorCode(err); code == services.EConflict || code == services.ENotFound || code == services.EInvalid {
			res.Outcome.Retry = components.ActionNone // trying again would fail the same way
		}
	}
	return res
}

// nextStep says who can help after a failure, and whether the service itself failed.
func nextStep(serviceName string, err error) (string, bool) {
	switch {
	case connector.ServiceRefused(err):
		return fmt.Sprintf("%s refused the portal's request, which usually means the portal's setup for it is wrong: "+
			"tell the platform team, who run this portal.", serviceName), false
	case connector.ServiceFailed(err):
		return fmt.Sprintf("Try again in a few minutes. If it keeps failing, contact the team that runs %s and tell them what this card says.",
			serviceName), true
	case services.ErrorCode(err) == services.EUnavailable:
		return "Try again in a minute. If it keeps failing, tell the platform team, who run this portal.", false
	default:
		return "", false
	}
}

// applyResult shows an action's result in its card, and which part takes the focus.
func (h *Handlers) applyResult(v *components.ServiceCardView, res cardResult, user services.User, focus components.CardFocus) {
	outcome := res.Outcome
	v.Outcome, v.Focus = &outcome, focus
	if res.WhatNext {
		v.WhatNext = &components.WhatNextView{SyncCommand: h.syncCommand(user)}
	}
	if res.ServiceFailed {
		// The last health poll may say "up": what just happened says otherwise.
		v.Health, v.HealthText, v.HealthChecked, v.HealthCheckedISO = components.HealthUnhealthy,
			"Service is not answering properly: it failed just now", "", ""
	}
}

// announcement is what the live region says after an action.
func announcement(res cardResult, pending bool) string {
	msg := res.Outcome.Message
	if res.Outcome.NextStep != "" {
		msg += " " + res.Outcome.NextStep
	}
	if res.WhatNext {
		msg += " Next: run your sync on your laptop to bring the key there; the card shows the command."
	}
	if pending {
		msg += " Your server account is not up to date yet; the portal keeps retrying."
	}
	return msg
}

func anyConnected(states []connector.ServiceState) bool {
	for _, st := range states {
		if st.Connected() {
			return true
		}
	}
	return false
}
