package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/registry"
)

// deliveryTimeout bounds one run of the root helper.
const deliveryTimeout = 30 * time.Second

// Serve runs `service-connector serve`, the production portal: Google sign-in against
// google, sudo delivery, configuration from SC_* variables. It refuses to start, with exit
// code 2 and one line per problem, when the configuration is not safe.
func Serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, google GoogleEndpoints) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "service-connector serve takes no arguments (got %q); configure it with SC_* variables\n", args)
		return 2
	}
	cfg, problems := loadServeConfig(getenv)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "service-connector serve:", p)
		}
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	if err := runServe(ctx, cfg, google, log, stdout); err != nil {
		fmt.Fprintln(stderr, "service-connector serve:", err)
		return 1
	}
	return 0
}

func runServe(ctx context.Context, cfg serveConfig, google GoogleEndpoints, log *slog.Logger, stdout io.Writer) error {
	dataDir, err := makeDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	skillsDir := cfg.skillsDir()
	live, err := registry.OpenLive(cfg.RegistryFile, skillsDir, log, nil, registry.LintSkills(skillsDir))
	if err != nil {
		return fmt.Errorf("SC_REGISTRY_FILE: %w", err)
	}
	m, metricsListeners, err := newMetrics(cfg.MetricsAddr, log)
	if err != nil {
		return err
	}
	defer closeListeners(metricsListeners)
	st, err := openStore(ctx, cfg.Config, dataDir, cfg.SessionSecret, m, log)
	if err != nil {
		return err
	}
	defer st.Close()
	conn, ids, err := newConnector(cfg.Config, st, connectorSetup{
		registry: live, installer: delivery.NewSudoInstaller(cfg.Sudo, cfg.Helper, deliveryTimeout),
		allowedDomains: cfg.AllowedDomains, accountExists: accountExists, metrics: m,
	}, log)
	if err != nil {
		return err
	}
	defer startBackground(ctx, conn, st, live, cfg.RegistryReload, cfg.AuditRetention, log)()
	h := handlers.New(handlers.Config{
		Connector: conn, Admin: conn, Audit: conn, Identity: ids, Log: log, Admins: cfg.AdminEmails,
		Google:         newGoogleSignIn(cfg.GoogleClientID, cfg.GoogleClientSecret.Reveal(), cfg.BaseURL, google, &http.Client{Timeout: 15 * time.Second}),
		AllowedDomains: cfg.AllowedDomains,
		Registry:       liveRegistryStatus(live),
		Ready: []handlers.Check{
			{Name: "data_dir", Run: func(context.Context) error { return writable(dataDir) }},
			{Name: "helper", Run: func(context.Context) error { return present(cfg.Helper) }},
			{Name: "database", Run: st.Ping},
		},
	})
	sessionStore := newSessionStore(st, cfg.SessionMaxAge, cfg.secureCookies())
	portal, err := newRouter(routerConfig{handlers: h, sessions: sessionStore, log: log, trustedOrigins: cfg.TrustedOrigins, metrics: m})
	if err != nil {
		return fmt.Errorf("SC_TRUSTED_ORIGINS: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SC_ADDR: %w", err)
	}
	defer ln.Close()
	fmt.Fprintf(stdout, "Service Connector\n  portal: http://%s/  (public URL %s)\n%s", ln.Addr(), cfg.BaseURL, metricsLine(metricsListeners, "metrics:"))
	log.Info("serve started", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "data_dir", dataDir)
	err = serveAll(ctx, append([]listener{{newServer(portal, log), ln}}, metricsListeners...)...)
	log.Info("serve stopped")
	return err
}
