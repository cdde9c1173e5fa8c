package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/services"
)

// The sign-in events of the audit log. A callback that does not belong to a sign-in started
// in this browser (a wrong or spent state) is logged only: anyone can send one, and the
// audit log records what people did, not what strangers sent.

// auditSignIn records that the person signed in, and how.
func (h *Handlers) auditSignIn(c *gin.Context, user services.User, method string) {
	if h.audit != nil {
		h.audit.SignedIn(c.Request.Context(), user, method)
	}
}

// auditRefusal records a refused sign-in: the email when it is known, how, and why.
func (h *Handlers) auditRefusal(c *gin.Context, email, method, reason string) {
	if h.audit != nil {
		h.audit.SignInRefused(c.Request.Context(), email, method, reason)
	}
}

// auditSignOut records that the person signed out.
func (h *Handlers) auditSignOut(c *gin.Context, user services.User) {
	if h.audit != nil {
		h.audit.SignedOut(c.Request.Context(), user)
	}
}
