package handlers

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
)

// render writes a component with the request's context, so a cancelled request stops rendering.
func (h *Handlers) render(c *gin.Context, status int, comps ...templ.Component) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	for _, comp := range comps {
		if err := comp.Render(c.Request.Context(), c.Writer); err != nil {
			level := h.log.Error
			if clientGone(c) {
				level = h.log.Info
			}
			level("render failed", "path", c.FullPath(), "err", err)
			return
		}
	}
}

// clientGone reports whether the request's client went away: what failed since (a database
// read, the render) was cut short, and is no fault of the portal's.
func clientGone(c *gin.Context) bool { return c.Request.Context().Err() != nil }

// statusOf maps the domain error vocabulary to HTTP, in this one place.
func statusOf(err error) int {
	switch services.ErrorCode(err) {
	case services.ENotFound:
		return http.StatusNotFound
	case services.EInvalid:
		return http.StatusBadRequest
	case services.EConflict:
		return http.StatusConflict
	case services.EUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// logError records the detail of a failed request; the person only ever sees the safe message.
func (h *Handlers) logError(c *gin.Context, err error) {
	status := statusOf(err)
	level := h.log.Warn
	switch {
	case clientGone(c):
		level = h.log.Info
	case status >= http.StatusInternalServerError:
		level = h.log.Error
	}
	level("request failed", "method", c.Request.Method, "path", c.FullPath(), "status", status, "err", err)
}

// fail renders err as a full error page.
func (h *Handlers) fail(c *gin.Context, err error) {
	h.logError(c, err)
	h.render(c, statusOf(err), components.ErrorPage(http.StatusText(statusOf(err)), services.ErrorMessage(err)))
}

// NotFound serves every unknown route: JSON under /api, a page elsewhere.
func (h *Handlers) NotFound(c *gin.Context) {
	if isAPI(c) {
		c.JSON(http.StatusNotFound, apiResult{Message: "There is no such endpoint."})
		return
	}
	h.render(c, http.StatusNotFound, components.ErrorPage("Not found", "There is no page at this address."))
}

// MethodNotAllowed serves a known route asked with the wrong method.
func (h *Handlers) MethodNotAllowed(c *gin.Context) {
	if isAPI(c) {
		c.JSON(http.StatusMethodNotAllowed, apiResult{Message: "This endpoint does not take " + c.Request.Method + "."})
		return
	}
	h.render(c, http.StatusMethodNotAllowed, components.ErrorPage("Method not allowed", "This address does not take "+c.Request.Method+" requests."))
}

func isHTMX(c *gin.Context) bool { return c.GetHeader("HX-Request") == "true" }

func isAPI(c *gin.Context) bool {
	return strings.HasPrefix(c.Request.URL.Path, "/api/")
}
