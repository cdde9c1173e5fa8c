package handlers

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
)

// contentSecurityPolicy allows only the portal's own scripts, styles and forms, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SecurityHeaders sets the headers every answer carries.
func SecurityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !strings.HasPrefix(c.Request.URL.Path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
	c.Next()
}

// AccessLog logs one line per request: method, route, status and duration. Never a query
// string, a header or a body, which may carry secrets.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		log.Info("http", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"duration_ms", time.Since(start).Milliseconds())
	}
}

// Recovery turns a panic into a 500 and a log line, without the panic value reaching the person.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.Error("panic serving request", "method", c.Request.Method, "route", c.FullPath(), "panic", err)
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}

// CrossOriginDenied answers a cross-origin unsafe request that Go's CrossOriginProtection
// refused: 403 with JSON, a flash fragment or a page, whichever the caller expects.
func (h *Handlers) CrossOriginDenied(w http.ResponseWriter, r *http.Request) {
	h.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path)
	writeRefusal(w, r, http.StatusForbidden, "This request came from another site, so it was refused. Please use the portal's own pages.")
}

// writeRefusal answers a request refused before any handler ran: JSON under /api/, a flash
// fragment for htmx, a page otherwise. It sets the security headers itself, since it may run
// outside the router's middleware.
func writeRefusal(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case strings.HasPrefix(r.URL.Path, "/api/"):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(apiResult{Message: msg})
	case r.Header.Get("HX-Request") == "true":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("HX-Reswap", "none")
		w.WriteHeader(status)
		_ = components.Flash(&components.FlashView{Kind: "error", Message: msg}, true).Render(r.Context(), w)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_ = components.ErrorPage(http.StatusText(status), msg).Render(r.Context(), w)
	}
}
