package handlers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Healthz serves GET /healthz: the process is alive.
func (h *Handlers) Healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// Readyz serves GET /readyz: every readiness check passes (registry loaded, data dir
// writable, helper present). It names failing checks but never their details.
func (h *Handlers) Readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	failing := []string{}
	for _, check := range h.ready {
		if err := check.Run(ctx); err != nil {
			h.log.Warn("readiness check failed", "check", check.Name, "err", err)
			failing = append(failing, check.Name)
		}
	}
	if len(failing) > 0 {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "failing": failing})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
