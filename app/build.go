package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/service-connector/service-connector/app/metrics"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/identity"
	"github.com/service-connector/service-connector/services/store"
)

// What serve, demo and offboard share: the one function that builds the connector, and the
// helpers around it.

// connectorSetup is what differs between the commands that build a connector.
type connectorSetup struct {
	registry  connector.Registry
	installer connector.Installer
	// secrets are the services' shared secrets; nil reads SC_SECRET_<ID> (see secretLookup).
	secrets connector.Secrets
	// allowedDomains are the email domains the identity mapping accepts; nil accepts any,
	// which only the demo does.
	allowedDomains []string
	// accountExists says whether the server has an account; nil means every account exists,
	// as in the demo, which creates its homes itself.
	accountExists func(username string) bool
	// metrics, when set, is told what the store and the connector do, and reads the state
	// at each scrape; nil when SC_METRICS_ADDR is unset.
	metrics *metrics.Metrics
}

// newConnector builds the connector over the store, the identity mapping (SC_USER_MAP_FILE
// first, then the email's local part) and the exchange client, with the options cfg sets.
// It returns the identity mapping too, which sign-in uses.
func newConnector(cfg Config, st *store.Store, setup connectorSetup, log *slog.Logger) (*connector.Connector, *identity.Mapper, error) {
	ids, err := newIdentity(cfg.UserMapFile, setup.allowedDomains)
	if err != nil {
		return nil, nil, err
	}
	secrets := setup.secrets
	if secrets == nil {
		secrets = secretLookup(cfg.serviceSecret)
	}
	opts := cfg.connectorOptions(log)
	opts.Accounts, opts.AccountExists = ids, setup.accountExists
	if setup.metrics != nil {
		opts.Observer = setup.metrics
	}
	conn := connector.New(setup.registry, st, exchange.New(&http.Client{}, cfg.ExchangeTimeout), setup.installer, secrets, opts)
	if setup.metrics != nil {
		var serviceIDs []string
		for _, svc := range setup.registry.Services() {
			serviceIDs = append(serviceIDs, svc.ID)
		}
		setup.metrics.KnowServices(serviceIDs)
		setup.metrics.CollectState(st, conn, time.Now)
	}
	return conn, ids, nil
}

// openStore opens the database of the portal's state: PostgreSQL when SC_DATABASE_URL names
// one, SQLite in dataDir otherwise; every command of a portal opens the same one. A
// connections.json an earlier version left in dataDir is moved in on first open. The
// store's person lock (2 minutes) outlives the longest operation done under it: the
// connector's 45 seconds, and a failed connect's rollback after them. With metrics, the
// durable commit of each change is timed for them.
func openStore(ctx context.Context, cfg Config, dataDir string, sessionSecret services.Secret, m *metrics.Metrics, log *slog.Logger) (*store.Store, error) {
	storeCfg := store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: dataDir, SessionSecret: sessionSecret, Keys: cfg.StoreKeys, Log: log}
	if m != nil {
		storeCfg.ObserveCommit = m.ObserveCommit
	}
	st, err := store.Open(ctx, storeCfg)
	if err != nil {
		return nil, fmt.Errorf("open the database: %w", err)
	}
	return st, nil
}

// newIdentity is the email-to-account mapping: SC_USER_MAP_FILE first, then the lower-cased
// local part for allowedDomains (none means any domain, which only the demo asks for).
func newIdentity(userMapFile string, allowedDomains []string) (*identity.Mapper, error) {
	userMap := map[string]string{}
	if userMapFile != "" {
		var err error
		if userMap, err = identity.LoadUserMap(userMapFile); err != nil {
			return nil, fmt.Errorf("SC_USER_MAP_FILE: %w", err)
		}
	}
	ids, err := identity.NewMapper(allowedDomains, userMap)
	if err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return ids, nil
}

// secretLookup returns the shared secret of a service, read from the environment the first
// time it is asked for and remembered after, so a service added to the registry later finds
// its SC_SECRET_<ID> too, and rendering a card reads no file.
func secretLookup(read func(id string) (services.Secret, bool)) func(string) (services.Secret, bool) {
	type entry struct {
		secret services.Secret
		ok     bool
	}
	var cache sync.Map
	return func(id string) (services.Secret, bool) {
		if e, ok := cache.Load(id); ok {
			return e.(entry).secret, e.(entry).ok
		}
		s, ok := read(id)
		cache.Store(id, entry{s, ok})
		return s, ok
	}
}

// makeDataDir returns the absolute data dir, created (0700) when it is missing.
func makeDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	return abs, nil
}

// newLogger writes structured lines to w at the configured level.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// writable checks that dir accepts a new file, as delivery and the store need.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".readyz-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
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

// accountExists reports whether the server has a user account of that name (in /etc/passwd
// or whatever the system's user database is).
func accountExists(username string) bool {
	_, err := user.Lookup(username)
	return err == nil
}
