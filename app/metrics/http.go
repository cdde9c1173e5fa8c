package metrics

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NoRoute is the route label of a request no route took: a path the router does not know,
// a method a route does not take, or a cross-origin request refused before the router.
const NoRoute = "(no route)"

// routeKey is the request context key of the route a request took.
type routeKey struct{}

// routeOf holds the route template the router matched for one request.
type routeOf struct{ template string }

// InstrumentHTTP wraps the portal's whole handler, so every request is timed and counted,
// those refused before the router too. The route label is the template the router matched
// (RecordRoute tells it), such as /connectors/:id/connect, never the path asked for, which
// would put whatever a client sends into a label.
func (m *Metrics) InstrumentHTTP(next http.Handler) http.Handler {
	timed := promhttp.InstrumentHandlerDuration(m.requests, next,
		promhttp.WithLabelFromCtx("route", func(ctx context.Context) string {
			if r, ok := ctx.Value(routeKey{}).(*routeOf); ok && r.template != "" {
				return r.template
			}
			return NoRoute
		}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timed.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &routeOf{})))
	})
}

// RecordRoute is the router's first middleware: it tells InstrumentHTTP the route template
// the request took.
func RecordRoute(c *gin.Context) {
	if r, ok := c.Request.Context().Value(routeKey{}).(*routeOf); ok {
		r.template = c.FullPath()
	}
	c.Next()
}
