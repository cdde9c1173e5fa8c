package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// AdminRetryAll serves POST /admin/revocations/retry-all (form: return): an admin tries the
// whole revocation queue again now, those that needed attention included.
func (h *Handlers) AdminRetryAll(c *gin.Context) {
	if _, ok := h.requireAdmin(c); !ok {
		return
	}
	res, err := h.admin.RetryAllRevocations(c.Request.Context())
	if err != nil {
		h.logError(c, err)
		h.adminDone(c, "error", "Could not retry the revocation queue: "+services.ErrorMessage(err))
		return
	}
	h.log.Info("admin retried the revocation queue", "admin", currentUser(c).Email, "queued", res.Queued, "tried", res.Tried, "revoked", res.Revoked)
	kind := "success"
	if res.Revoked < res.Queued {
		kind = "error"
	}
	h.adminDone(c, kind, retryAllMessage(res))
}

// retryAllMessage says what Retry all did: how many keys the services confirmed revoked,
// and how many are still pending; "revoked" only for those confirmed.
func retryAllMessage(res connector.RetryAllResult) string {
	if res.Queued == 0 {
		return "The revocation queue is empty: nothing to retry."
	}
	pending := res.Tried - res.Revoked
	msg := fmt.Sprintf("Retried %s: %d revoked, %d still pending.", plural(res.Tried, "queued revocation", "queued revocations"), res.Revoked, pending)
	if rest := res.Queued - res.Tried; rest > 0 {
		msg += fmt.Sprintf(" The other %d are due now and the portal tries them next.", rest)
	}
	if pending > 0 || res.Queued > res.Tried {
		msg += " The portal keeps retrying what is pending."
	}
	return msg
}

// plural is n with the noun in the number n asks for.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
