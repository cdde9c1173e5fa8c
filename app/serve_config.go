package app

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// minSessionSecret is the shortest session secret serve accepts, in bytes.
const minSessionSecret = 32

// serveConfig is what serve needs on top of Config.
type serveConfig struct {
	Config
	BaseURL            string
	GoogleClientID     string
	GoogleClientSecret services.Secret
	AllowedDomains     []string
	TrustedOrigins     []string
	Helper             string
	Sudo               string
}

// loadServeConfig reads serve's configuration and checks that the portal would be safe to
// run: every problem is one line that names the setting, never a secret's value.
func loadServeConfig(getenv func(string) string) (serveConfig, []string) {
	base, problems := loadConfig(getenv)
	base.DataDir = envOr(getenv, "SC_DATA_DIR", "/var/lib/service-connector")
	cfg := serveConfig{
		Config:         base,
		BaseURL:        strings.TrimRight(strings.TrimSpace(getenv("SC_BASE_URL")), "/"),
		GoogleClientID: strings.TrimSpace(getenv("SC_GOOGLE_CLIENT_ID")),
		AllowedDomains: splitList(getenv("SC_ALLOWED_DOMAINS")),
		TrustedOrigins: splitList(getenv("SC_TRUSTED_ORIGINS")),
		Helper:         envOr(getenv, "SC_HELPER", "/usr/local/bin/install-service-env"),
		Sudo:           envOr(getenv, "SC_SUDO", "/usr/bin/sudo"),
	}
	if cfg.RegistryFile == "" {
		problems = append(problems, "SC_REGISTRY_FILE is required: the path of service_connectors.json")
	}
	// loadConfig already reported an unreadable or doubly set secret; only judge one it read.
	if _, err := secretFromEnv(getenv, "SC_SESSION_SECRET"); err == nil {
		switch n := len(cfg.SessionSecret.Reveal()); {
		case n == 0:
			problems = append(problems, "SC_SESSION_SECRET (or SC_SESSION_SECRET_FILE) is required: at least 32 random bytes")
		case n < minSessionSecret:
			problems = append(problems, fmt.Sprintf("SC_SESSION_SECRET is too short (%d bytes): it must be at least %d bytes", n, minSessionSecret))
		}
	}
	problems = append(problems, loadStoreKeys(&cfg.Config, true)...)
	problems = append(problems, baseURLProblems(cfg.BaseURL)...)
	if cfg.GoogleClientID == "" {
		problems = append(problems, "SC_GOOGLE_CLIENT_ID is required: the OAuth client id from the Google Cloud console")
	}
	secret, err := secretFromEnv(getenv, "SC_GOOGLE_CLIENT_SECRET")
	switch {
	case err != nil:
		problems = append(problems, err.Error())
	case secret == "":
		problems = append(problems, "SC_GOOGLE_CLIENT_SECRET (or SC_GOOGLE_CLIENT_SECRET_FILE) is required: the OAuth client secret")
	}
	cfg.GoogleClientSecret = secret
	if len(cfg.AllowedDomains) == 0 {
		problems = append(problems, "SC_ALLOWED_DOMAINS is required: the comma-separated email domains that may sign in")
	}
	if info, err := os.Stat(cfg.Helper); err != nil || info.IsDir() {
		problems = append(problems, fmt.Sprintf("SC_HELPER: the delivery helper %s does not exist", cfg.Helper))
	}
	if info, err := os.Stat(cfg.DataDir); err == nil && info.Mode().Perm()&0o077 != 0 {
		problems = append(problems, fmt.Sprintf("SC_DATA_DIR: %s is open to group or others (mode %04o): chmod 700 it", cfg.DataDir, info.Mode().Perm()))
	}
	return cfg, problems
}

// baseURLProblems checks SC_BASE_URL: where browsers reach the portal, and where Google
// sends them back to.
func baseURLProblems(raw string) []string {
	if raw == "" {
		return []string{"SC_BASE_URL is required: the portal's public URL, e.g. https://portal.example.com"}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return []string{fmt.Sprintf("SC_BASE_URL: %q is not an http(s) origin such as https://portal.example.com", raw)}
	}
	return nil
}

// secureCookies reports whether the session cookie must be Secure: whenever the portal is
// reached over https.
func (c serveConfig) secureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }
