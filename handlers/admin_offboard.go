package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// AdminOffboardReview serves GET /admin/offboard?email=&return=: before anything happens, who and
// what offboarding the person affects (their email, their server account, each key and
// what becomes of it), with the form that confirms it; or why they cannot be offboarded.
// It changes nothing.
func (h *Handlers) AdminOffboardReview(c *gin.Context) {
	user, ok := h.requireAdmin(c)
	if !ok {
		return
	}
	plan, err := h.admin.OffboardPlan(c.Request.Context(), c.Query("email"))
	if services.ErrorCode(err) == services.EInvalid {
		h.badRequest(c, services.ErrorMessage(err))
		return
	}
	ret := queryValues(parseAdminQuery(mustQuery(c.Query(paramReturn))).q).Encode()
	props := components.AdminOffboardProps{User: adminUser(user), Return: ret, Back: returnURL(ret)}
	status := http.StatusOK
	if err != nil {
		h.logError(c, err)
		status = statusOf(err)
		props.Email, props.Refusal = normalize(c.Query("email")), services.ErrorMessage(err)
	} else {
		props.Email, props.Plan = plan.Email, offboardPlanView(plan)
	}
	h.render(c, status, components.AdminOffboardPage(props))
}

// AdminOffboard serves POST /admin/offboard (form: email, confirm=yes, return), the form of the
// review page: for the day someone leaves, every key of the person is revoked and their
// files removed.
func (h *Handlers) AdminOffboard(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	if c.PostForm("confirm") != "yes" {
		h.badRequest(c, "Offboarding revokes every key of the person; tick the box to confirm it.")
		return
	}
	email := c.PostForm("email")
	res, err := h.admin.Offboard(c.Request.Context(), email)
	switch {
	case services.ErrorCode(err) == services.EInvalid:
		h.badRequest(c, services.ErrorMessage(err))
	case err != nil:
		h.logError(c, err)
		h.adminDone(c, "error", fmt.Sprintf("Could not offboard %s: %s", normalize(email), services.ErrorMessage(err)))
	default:
		email = normalize(email)
		h.log.Info("admin offboarded a person", "admin", currentUser(c).Email, "user", email, "connections", res.Connections, "revoked", res.Revoked, "queued", res.Queued)
		h.adminDone(c, "success", connector.OffboardSummary(email, res))
	}
}
