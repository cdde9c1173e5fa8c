package app

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/store/keyring"
)

// Config is the portal's configuration, read from SC_* environment variables.
type Config struct {
	Addr             string            // SC_ADDR
	MetricsAddr      string            // SC_METRICS_ADDR; empty: no metrics are served
	DataDir          string            // SC_DATA_DIR
	DatabaseURL      services.Secret   // SC_DATABASE_URL or SC_DATABASE_URL_FILE; empty means SQLite in DataDir
	StoreKeyFile     string            // SC_STORE_KEY_FILE, or $CREDENTIALS_DIRECTORY/store-key when systemd passes it
	StoreKeys        *keyring.Keyring  // the keys of StoreKeyFile, loaded by the command (loadStoreKeys); nil: none
	DemoServicesAddr string            // SC_DEMO_SERVICES_ADDR
	RegistryFile     string            // SC_REGISTRY_FILE; empty in the demo means the embedded example
	SkillsDir        string            // SC_SKILLS_DIR; default: "skills" beside the registry file
	UserMapFile      string            // SC_USER_MAP_FILE
	AdminEmails      []string          // SC_ADMIN_EMAILS, comma-separated
	SessionSecret    services.Secret   // SC_SESSION_SECRET or SC_SESSION_SECRET_FILE
	SessionMaxAge    time.Duration     // SC_SESSION_MAX_AGE
	ExchangeTimeout  time.Duration     // SC_EXCHANGE_TIMEOUT
	ExpiryWarning    time.Duration     // SC_EXPIRY_WARNING
	HealthInterval   time.Duration     // SC_HEALTH_INTERVAL
	RetryBase        time.Duration     // SC_RETRY_BASE
	RetryMax         time.Duration     // SC_RETRY_MAX
	RevokeAttempts   int               // SC_REVOKE_ATTEMPTS
	RegistryReload   time.Duration     // SC_REGISTRY_RELOAD
	AuditRetention   time.Duration     // SC_AUDIT_RETENTION; 0 keeps the audit log forever
	LogLevel         string            // SC_LOG_LEVEL
	DemoFaults       refservice.Faults // SC_DEMO_FAULTS; read by the demo only (loadDemoFaults)
	getenv           func(string) string
}

// loadConfig reads the configuration; every problem is reported, one per line.
func loadConfig(getenv func(string) string) (Config, []string) {
	var problems []string
	cfg := Config{
		Addr:             envOr(getenv, "SC_ADDR", "127.0.0.1:8080"),
		MetricsAddr:      strings.TrimSpace(getenv("SC_METRICS_ADDR")),
		DataDir:          envOr(getenv, "SC_DATA_DIR", "./var"),
		DemoServicesAddr: envOr(getenv, "SC_DEMO_SERVICES_ADDR", "127.0.0.1:8081"),
		RegistryFile:     getenv("SC_REGISTRY_FILE"),
		SkillsDir:        getenv("SC_SKILLS_DIR"),
		UserMapFile:      getenv("SC_USER_MAP_FILE"),
		StoreKeyFile:     storeKeyFile(getenv),
		AdminEmails:      splitList(getenv("SC_ADMIN_EMAILS")),
		LogLevel:         envOr(getenv, "SC_LOG_LEVEL", "info"),
		getenv:           getenv,
	}
	secret, err := secretFromEnv(getenv, "SC_SESSION_SECRET")
	if err != nil {
		problems = append(problems, err.Error())
	}
	cfg.SessionSecret = secret
	databaseURL, err := secretFromEnv(getenv, "SC_DATABASE_URL")
	if err != nil {
		problems = append(problems, err.Error())
	}
	if url := strings.TrimSpace(databaseURL.Reveal()); url != "" && !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		// Never the value: it may hold a password.
		problems = append(problems, "SC_DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite in SC_DATA_DIR)")
	}
	cfg.DatabaseURL = services.Secret(strings.TrimSpace(databaseURL.Reveal()))
	cfg.SessionMaxAge = durationEnv(getenv, "SC_SESSION_MAX_AGE", 12*time.Hour, &problems)
	cfg.ExchangeTimeout = durationEnv(getenv, "SC_EXCHANGE_TIMEOUT", 10*time.Second, &problems)
	cfg.ExpiryWarning = durationEnv(getenv, "SC_EXPIRY_WARNING", 14*24*time.Hour, &problems)
	cfg.HealthInterval = durationEnv(getenv, "SC_HEALTH_INTERVAL", 30*time.Second, &problems)
	if cfg.HealthInterval < time.Second {
		// A shorter interval would have the portal hammer every service's health endpoint.
		problems = append(problems, fmt.Sprintf("SC_HEALTH_INTERVAL: %s is too short; use at least 1s", cfg.HealthInterval))
		cfg.HealthInterval = 30 * time.Second
	}
	cfg.RetryBase = durationEnv(getenv, "SC_RETRY_BASE", 2*time.Second, &problems)
	cfg.RetryMax = durationEnv(getenv, "SC_RETRY_MAX", 5*time.Minute, &problems)
	if cfg.RetryBase < 10*time.Millisecond || cfg.RetryMax < cfg.RetryBase {
		problems = append(problems, fmt.Sprintf("SC_RETRY_BASE, SC_RETRY_MAX: the backoff needs 10ms <= SC_RETRY_BASE <= SC_RETRY_MAX, not %s and %s", cfg.RetryBase, cfg.RetryMax))
	}
	cfg.RegistryReload = durationEnv(getenv, "SC_REGISTRY_RELOAD", 5*time.Second, &problems)
	if cfg.RegistryReload < 100*time.Millisecond {
		problems = append(problems, fmt.Sprintf("SC_REGISTRY_RELOAD: %s is too short; use at least 100ms", cfg.RegistryReload))
	}
	cfg.AuditRetention = auditRetention(getenv, &problems)
	cfg.RevokeAttempts = intEnv(getenv, "SC_REVOKE_ATTEMPTS", 10, 1, 1000, &problems)
	problems = append(problems, metricsAddrProblems(cfg.MetricsAddr, cfg.Addr)...)
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("SC_LOG_LEVEL: %q is not one of debug, info, warn, error", cfg.LogLevel))
	}
	return cfg, problems
}

// minAuditRetention is the shortest retention SC_AUDIT_RETENTION accepts: anything shorter is
// more likely a slip than a policy.
const minAuditRetention = 24 * time.Hour

// auditRetention reads SC_AUDIT_RETENTION: how long audit records are kept, such as 400d;
// unset or "forever" keeps them forever (0).
func auditRetention(getenv func(string) string, problems *[]string) time.Duration {
	raw := strings.TrimSpace(getenv("SC_AUDIT_RETENTION"))
	if raw == "" || raw == "forever" {
		return 0
	}
	d, err := parseDuration(raw)
	if err != nil || d < minAuditRetention {
		*problems = append(*problems, fmt.Sprintf("SC_AUDIT_RETENTION: %q is not a duration of at least a day, such as 400d or 9600h (or forever)", raw))
		return 0
	}
	return d
}

// metricsAddrProblems checks SC_METRICS_ADDR: unset, or a host:port of its own, never the
// portal's, so the metrics cannot end up public by way of the portal's address.
func metricsAddrProblems(addr, portalAddr string) []string {
	if addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{fmt.Sprintf("SC_METRICS_ADDR: %q is not a host:port such as 127.0.0.1:9090", addr)}
	}
	if addr == portalAddr && port != "0" { // port 0 picks a free port: never the portal's
		return []string{fmt.Sprintf("SC_METRICS_ADDR: %s is the portal's own address (SC_ADDR); the metrics need an address of their own", addr)}
	}
	return nil
}

// skillsDir is where the skill files of SC_REGISTRY_FILE are: SC_SKILLS_DIR, or skills/
// beside the registry file.
func (c Config) skillsDir() string {
	if c.SkillsDir != "" {
		return c.SkillsDir
	}
	return filepath.Join(filepath.Dir(c.RegistryFile), "skills")
}

// connectorOptions are the connector's options as the configuration sets them.
func (c Config) connectorOptions(log *slog.Logger) connector.Options {
	return connector.Options{Log: log, ExpiryWarning: c.ExpiryWarning, HealthInterval: c.HealthInterval,
		RetryBase: c.RetryBase, RetryMax: c.RetryMax, MaxRevokeAttempts: c.RevokeAttempts}
}

// serviceSecret returns the shared secret of a service: SC_SECRET_<ID> or SC_SECRET_<ID>_FILE.
func (c Config) serviceSecret(serviceID string) (services.Secret, bool) {
	s, err := secretFromEnv(c.getenv, "SC_SECRET_"+strings.ToUpper(serviceID))
	return s, err == nil && s != ""
}

func envOr(getenv func(string) string, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// secretFromEnv reads NAME, or the file named by NAME_FILE (trailing newline trimmed). The
// error names the variable, never the value.
func secretFromEnv(getenv func(string) string, name string) (services.Secret, error) {
	value, file := getenv(name), getenv(name+"_FILE")
	switch {
	case value != "" && file != "":
		return "", fmt.Errorf("%s and %s_FILE are both set: set one", name, name)
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: cannot read %s: %w", name, file, err)
		}
		return services.Secret(strings.TrimRight(string(data), "\r\n")), nil
	default:
		return services.Secret(value), nil
	}
}

// durationEnv reads a Go duration ("90s", "12h") or a number of days ("14d").
// intEnv reads a whole number between lo and hi from name, or def when it is unset.
func intEnv(getenv func(string) string, name string, def, lo, hi int, problems *[]string) int {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		*problems = append(*problems, fmt.Sprintf("%s: %q is not a whole number from %d to %d", name, raw, lo, hi))
		return def
	}
	return n
}

func durationEnv(getenv func(string) string, name string, def time.Duration, problems *[]string) time.Duration {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def
	}
	d, err := parseDuration(raw)
	if err != nil || d <= 0 {
		*problems = append(*problems, fmt.Sprintf("%s: %q is not a positive duration such as 90s, 12h or 14d", name, raw))
		return def
	}
	return d
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// loadDemoFaults reads SC_DEMO_FAULTS into cfg. Only the demo calls it, so a stray value
// cannot make a production server refuse to start.
func loadDemoFaults(cfg *Config, getenv func(string) string, problems *[]string) {
	faults, err := refservice.ParseFaults(getenv("SC_DEMO_FAULTS"))
	if err != nil {
		*problems = append(*problems, "SC_DEMO_FAULTS: "+err.Error())
		return
	}
	cfg.DemoFaults = faults
}
