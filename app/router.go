package app

import (
	"log/slog"
	"net/http"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"

	"github.com/service-connector/service-connector/app/metrics"
	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/static"
)

// sessionCookie is the name of the portal's session cookie.
const sessionCookie = "sc_session"

// routerConfig is what the router is built from.
type routerConfig struct {
	handlers       *handlers.Handlers
	sessions       sessions.Store
	log            *slog.Logger
	devLogin       bool
	trustedOrigins []string
	// metrics, when set, times and counts every request by its route template.
	metrics *metrics.Metrics
}

// newRouter holds every route of the portal, in this one place, and wraps the whole handler
// in Go's cross-origin protection: an unsafe request from another site answers 403.
func newRouter(rc routerConfig) (http.Handler, error) {
	h := rc.handlers
	r := gin.New()
	r.HandleMethodNotAllowed = true
	if rc.metrics != nil {
		r.Use(metrics.RecordRoute)
	}
	// Every body is bounded before any handler, or the session, sees it.
	r.Use(handlers.Recovery(rc.log), handlers.AccessLog(rc.log), handlers.SecurityHeaders, h.LimitBody)

	r.StaticFS("/static", http.FS(static.FS))
	r.GET("/healthz", h.Healthz)
	r.GET("/readyz", h.Readyz)

	web := r.Group("/", sessions.Sessions(sessionCookie, rc.sessions))
	web.GET("/login", h.LoginPage)
	web.POST("/logout", h.Logout)
	if rc.devLogin {
		web.POST("/auth/dev-login", h.DevLogin)
	}
	web.GET("/auth/google", h.GoogleLogin)
	web.GET("/auth/google/callback", h.GoogleCallback)
	web.GET(components.AdminPath, h.RequirePage, h.Admin)
	web.GET(components.AdminDisconnectPath, h.RequirePage, h.AdminConfirmDisconnect)
	web.POST(components.AdminDisconnectPath, h.RequirePage, h.AdminDisconnect)
	web.GET(components.AdminOffboardPath, h.RequirePage, h.AdminOffboardReview)
	web.POST(components.AdminOffboardPath, h.RequirePage, h.AdminOffboard)
	web.POST(components.AdminRetryPath, h.RequirePage, h.AdminRetryRevocation)
	web.POST(components.AdminRetryAllPath, h.RequirePage, h.AdminRetryAll)
	web.GET(components.AdminAuditPath, h.RequirePage, h.AdminAudit)
	web.GET("/", h.RequirePage, h.Dashboard)
	web.POST("/connectors/:id/connect", h.RequireFragment, h.ConnectCard)
	web.GET("/connectors/:id/disconnect", h.RequirePage, h.ConfirmDisconnect)
	web.POST("/connectors/:id/disconnect", h.RequireFragment, h.DisconnectCard)

	api := web.Group("/api/service-connectors", h.RequireAPI)
	api.GET("", h.ListAPI)
	api.POST("/connect", h.ConnectAPI)
	api.POST("/disconnect", h.DisconnectAPI)
	api.GET("/health", h.HealthAPI)

	r.NoRoute(h.NotFound)
	r.NoMethod(h.MethodNotAllowed)

	cop := http.NewCrossOriginProtection()
	for _, origin := range rc.trustedOrigins {
		if err := cop.AddTrustedOrigin(origin); err != nil {
			return nil, err
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(h.CrossOriginDenied))
	if rc.metrics != nil {
		return rc.metrics.InstrumentHTTP(cop.Handler(r)), nil
	}
	return cop.Handler(r), nil
}

// newMetricsRouter serves GET /metrics, and nothing else, on the metrics' own address
// (SC_METRICS_ADDR); the portal's router never serves it.
func newMetricsRouter(m *metrics.Metrics, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler(slog.NewLogLogger(log.Handler(), slog.LevelError)))
	return mux
}
