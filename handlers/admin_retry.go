package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
)

// AdminRetryRevocation serves POST /admin/revocations/retry (form: service_id, token_id): an
// admin tries a queued revocation again now, typically one that needs attention.
func (h *Handlers) AdminRetryRevocation(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	serviceID, tokenID := c.PostForm("service_id"), c.PostForm("token_id")
	revoked, err := h.admin.RetryRevocation(c.Request.Context(), serviceID, tokenID)
	switch {
	case services.ErrorCode(err) == services.EInvalid:
		h.badRequest(c, services.ErrorMessage(err))
	case err != nil:
		h.logError(c, err)
		h.adminDone(c, "error", "Could not retry the revocation of "+tokenID+": "+services.ErrorMessage(err))
	case revoked:
		h.adminDone(c, "success", fmt.Sprintf("Revoked %s at %s; it is off the queue.", tokenID, serviceID))
	default:
		h.adminDone(c, "error", fmt.Sprintf("%s did not confirm the revocation of %s yet; it stays queued and the portal keeps retrying.", serviceID, tokenID))
	}
}
