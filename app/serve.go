package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"time"

	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/exchange"
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
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	skillsDir := cfg.skillsDir()
	live, err := registry.OpenLive(cfg.RegistryFile, skillsDir, log, nil, registry.LintSkills(skillsDir))
	if err != nil {
		return fmt.Errorf("SC_REGISTRY_FILE: %w", err)
	}
	secrets := secretLookup(cfg.serviceSecret)
	sessionStore, err := newSessionStore(cfg.SessionSecret, cfg.SessionMaxAge, cfg.secureCookies())
	if err != nil {
		return fmt.Errorf("session store: %w", err)
	}
	st, ids, err := openRecords(cfg.UserMapFile, dataDir, cfg.AllowedDomains)
	if err != nil {
		return err
	}
	httpClient := &http.Client{}
	conn := connector.New(live, st, exchange.New(httpClient, cfg.ExchangeTimeout),
		delivery.NewSudoInstaller(cfg.Sudo, cfg.Helper, deliveryTimeout),
		secrets,
		cfg.connectorOptions(log))
	defer startBackground(ctx, conn, live, cfg.RegistryReload, log)()
	h := handlers.New(handlers.Config{
		Connector: conn, Identity: ids, Log: log, Admins: cfg.AdminEmails,
		Google:         newGoogleSignIn(cfg.GoogleClientID, cfg.GoogleClientSecret.Reveal(), cfg.BaseURL, google, &http.Client{Timeout: 15 * time.Second}),
		AllowedDomains: cfg.AllowedDomains,
		AccountExists:  accountExists,
		Registry:       live.Status,
		Ready: []handlers.Check{
			{Name: "data_dir", Run: func(context.Context) error { return writable(dataDir) }},
			{Name: "helper", Run: func(context.Context) error { return present(cfg.Helper) }},
		},
	})
	portal, err := newRouter(routerConfig{handlers: h, sessions: sessionStore, log: log, trustedOrigins: cfg.TrustedOrigins})
	if err != nil {
		return fmt.Errorf("SC_TRUSTED_ORIGINS: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SC_ADDR: %w", err)
	}
	defer ln.Close()
	fmt.Fprintf(stdout, "Service Connector\n  portal: http://%s/  (public URL %s)\n", ln.Addr(), cfg.BaseURL)
	log.Info("serve started", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "data_dir", dataDir)
	err = serveAll(ctx, listener{newServer(portal, log), ln})
	log.Info("serve stopped")
	return err
}

// accountExists reports whether the server has a user account of that name (in /etc/passwd
// or whatever the system's user database is).
func accountExists(username string) bool {
	_, err := user.Lookup(username)
	return err == nil
}

// present checks that path is a file, as the delivery helper must be.
func present(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	return nil
}
