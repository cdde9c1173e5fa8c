package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/registry"
	"github.com/service-connector/service-connector/services/store"
)

// offboardUsage explains the offboard command.
const offboardUsage = `Usage: service-connector offboard [--demo] EMAIL

Revokes every key of the person, forgets their connections and removes their keys and skills
from their server account, for the day someone leaves. It reads the same SC_* variables as
serve (registry, data dir, service secrets, sudo and helper, user map), but none of the web
settings. What a service does not confirm now stays queued; the portal's worker revokes it.

  --demo   act on the demo's data ($SC_DATA_DIR, default ./var) instead: the demo's service
           secrets are random, so the running demo revokes the queued keys
`

// runOffboard runs `service-connector offboard [--demo] EMAIL`: exit 0 when done, 1 when it
// failed or was refused, 2 on a usage or configuration error.
func runOffboard(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	demo, email, code := parseOffboardArgs(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	var (
		conn     *connector.Connector
		st       *store.Store
		problems []string
		err      error
		log      *slog.Logger
	)
	if demo {
		cfg, p := loadConfig(getenv)
		if problems = p; len(problems) == 0 {
			log = newLogger(stderr, cfg.LogLevel)
			conn, st, err = demoOffboardConnector(ctx, cfg, log)
		}
	} else {
		cfg, p := loadOffboardConfig(getenv)
		if problems = p; len(problems) == 0 {
			log = newLogger(stderr, cfg.LogLevel)
			conn, st, err = serveOffboardConnector(ctx, cfg, log)
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "service-connector offboard:", p)
		}
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "service-connector offboard:", err)
		return 1
	}
	defer st.Close()
	return offboard(connector.WithActor(ctx, connector.ActorCLI), conn, email, log, stdout, stderr)
}

// offboard offboards email and prints what it did.
func offboard(ctx context.Context, conn *connector.Connector, email string, log *slog.Logger, stdout, stderr io.Writer) int {
	res, err := conn.Offboard(ctx, email)
	if err != nil {
		log.Error("offboarding failed", "user", email, "err", err)
		fmt.Fprintln(stderr, "service-connector offboard:", services.ErrorMessage(err))
		return 1
	}
	fmt.Fprintln(stdout, connector.OffboardSummary(email, res))
	if !res.Delivered {
		fmt.Fprintln(stderr, "service-connector offboard: the keys are forgotten, but their files could not be cleared yet; the portal's worker retries the delivery")
		return 1
	}
	return 0
}

// parseOffboardArgs reads [--demo] EMAIL, in any order. code is the exit code when the
// command ends here, and -1 when it goes on.
func parseOffboardArgs(args []string, stdout, stderr io.Writer) (demo bool, email string, code int) {
	var rest []string
	for _, a := range args {
		switch {
		case a == "--demo" || a == "-demo":
			demo = true
		case a == "-h" || a == "--help" || a == "help":
			fmt.Fprint(stdout, offboardUsage)
			return false, "", 0
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "service-connector offboard: unknown flag %q\n\n%s", a, offboardUsage)
			return false, "", 2
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) != 1 {
		fmt.Fprintf(stderr, "service-connector offboard: give exactly one email (got %d arguments)\n\n%s", len(rest), offboardUsage)
		return false, "", 2
	}
	email, err := identity.NormalizeEmail(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "service-connector offboard: %s\n", services.ErrorMessage(err))
		return false, "", 2
	}
	return demo, email, -1
}

// loadOffboardConfig reads what serve reads for delivery, without the web-only settings
// (Google, session secret, base URL, listen address), which offboarding does not use.
func loadOffboardConfig(getenv func(string) string) (serveConfig, []string) {
	base, problems := loadConfig(getenv)
	base.DataDir = envOr(getenv, "SC_DATA_DIR", "/var/lib/service-connector")
	cfg := serveConfig{
		Config:         base,
		AllowedDomains: splitList(getenv("SC_ALLOWED_DOMAINS")),
		Helper:         envOr(getenv, "SC_HELPER", "/usr/local/bin/install-service-env"),
		Sudo:           envOr(getenv, "SC_SUDO", "/usr/bin/sudo"),
	}
	if cfg.RegistryFile == "" {
		problems = append(problems, "SC_REGISTRY_FILE is required: the path of service_connectors.json (or use --demo)")
	}
	problems = append(problems, loadStoreKeys(&cfg.Config, false)...)
	if info, err := os.Stat(cfg.Helper); err != nil || info.IsDir() {
		problems = append(problems, fmt.Sprintf("SC_HELPER: the delivery helper %s does not exist", cfg.Helper))
	}
	if info, err := os.Stat(cfg.DataDir); err != nil || !info.IsDir() {
		problems = append(problems, fmt.Sprintf("SC_DATA_DIR: %s is not the portal's data dir (it does not exist)", cfg.DataDir))
	}
	return cfg, problems
}

// serveOffboardConnector builds offboarding as serve builds the portal: the registry file,
// the portal's database, the service secrets and sudo delivery, for existing accounts. It
// has no worker: what it cannot finish, the portal's worker does. The caller closes the
// store.
func serveOffboardConnector(ctx context.Context, cfg serveConfig, log *slog.Logger) (*connector.Connector, *store.Store, error) {
	skillsDir := cfg.skillsDir()
	reg, err := registry.LoadFile(cfg.RegistryFile, skillsDir, registry.LintSkills(skillsDir))
	if err != nil {
		return nil, nil, fmt.Errorf("SC_REGISTRY_FILE: %w", err)
	}
	return offboardConnector(ctx, cfg.Config, cfg.DataDir, connectorSetup{
		registry: reg, installer: delivery.NewSudoInstaller(cfg.Sudo, cfg.Helper, deliveryTimeout),
		allowedDomains: cfg.AllowedDomains, accountExists: accountExists,
	}, log)
}

// offboardConnector opens the portal's database and builds the connector over it. The
// session secret is not needed: offboarding ends a person's sessions by their email.
func offboardConnector(ctx context.Context, cfg Config, dataDir string, setup connectorSetup, log *slog.Logger) (*connector.Connector, *store.Store, error) {
	st, err := openStore(ctx, cfg, dataDir, "", nil, log)
	if err != nil {
		return nil, nil, err
	}
	conn, _, err := newConnector(cfg, st, setup, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return conn, st, nil
}

// demoOffboardConnector builds offboarding over the demo's data: the demo's registry, the
// store in $SC_DATA_DIR and delivery into $SC_DATA_DIR/homes. The demo's services have
// random secrets, unknown here unless SC_SECRET_* set them, so their keys are queued for
// the running demo to revoke.
func demoOffboardConnector(ctx context.Context, cfg Config, log *slog.Logger) (*connector.Connector, *store.Store, error) {
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("data dir: %w", err)
	}
	if info, err := os.Stat(dataDir); err != nil || !info.IsDir() {
		return nil, nil, fmt.Errorf("SC_DATA_DIR: %s is not the demo's data dir (it does not exist)", dataDir)
	}
	if problems := demoDataKeys(&cfg, dataDir); len(problems) > 0 {
		return nil, nil, fmt.Errorf("%s", problems[0])
	}
	reg, err := demoRegistry(cfg, "http://"+cfg.DemoServicesAddr+"/")
	if err != nil {
		return nil, nil, err
	}
	return offboardConnector(ctx, cfg, dataDir, connectorSetup{
		registry: reg, installer: delivery.NewDirInstaller(filepath.Join(dataDir, "homes")),
	}, log)
}
