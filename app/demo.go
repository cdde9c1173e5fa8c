package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/service-connector/service-connector/app/metrics"
	"github.com/service-connector/service-connector/deploy"
	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/registry"
	"github.com/service-connector/service-connector/services/store"
)

// demoPeople are offered for one-click sign-in in the demo.
var demoPeople = []string{"alice@example.com", "bob@example.com", "carol@example.com"}

// demoAdmin is the demo's admin unless SC_ADMIN_EMAILS names others.
const demoAdmin = "carol@example.com"

// exampleServicesOrigin is where the example registry expects the reference services. The demo
// points those URLs at wherever SC_DEMO_SERVICES_ADDR really put them.
const exampleServicesOrigin = "http://127.0.0.1:8081/"

// demoAPIs maps the example registry's service ids to the reference services' business APIs.
var demoAPIs = map[string]refservice.API{
	"purchase_orders": refservice.PurchaseOrders,
	"invoicing":       refservice.Invoicing,
	"crm":             refservice.CRM,
}

// runDemo runs the embedded default: the portal with dev sign-in, the reference services on
// loopback, and delivery into $SC_DATA_DIR/homes/<user>/ without sudo.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "service-connector demo takes no arguments (got %q); configure it with SC_* variables\n", args)
		return 2
	}
	cfg, problems := loadConfig(getenv)
	loadDemoFaults(&cfg, getenv, &problems)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "service-connector demo:", p)
		}
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	if err := demoStoreKeys(&cfg, log); err != nil {
		fmt.Fprintln(stderr, "service-connector demo:", err)
		return 2
	}
	if cfg.SessionSecret == "" {
		cfg.SessionSecret = randomSecret() // sessions last as long as this run
	}
	if err := runDemoServers(ctx, cfg, log, stdout); err != nil {
		fmt.Fprintln(stderr, "service-connector demo:", err)
		return 1
	}
	return 0
}

// runDemoServers starts everything the demo runs in one process: the reference services,
// the connector with its background work, and the portal, until ctx ends.
func runDemoServers(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	dataDir, err := makeDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	svcLn, err := net.Listen("tcp", cfg.DemoServicesAddr)
	if err != nil {
		return fmt.Errorf("SC_DEMO_SERVICES_ADDR: %w", err)
	}
	defer svcLn.Close()
	reg, err := openDemoRegistry(cfg, "http://"+svcLn.Addr().String()+"/", log)
	if err != nil {
		return err
	}
	// One count of injected faults for the whole demo, served at /debug/faults.
	cfg.DemoFaults.Counts = &refservice.FaultCounts{}
	refs, secrets, err := newReferenceServices(cfg, reg.static, dataDir)
	if err != nil {
		return err
	}
	m, metricsListeners, err := newMetrics(cfg.MetricsAddr, log)
	if err != nil {
		return err
	}
	defer closeListeners(metricsListeners)
	st, err := openStore(ctx, cfg, dataDir, cfg.SessionSecret, m, log)
	if err != nil {
		return err
	}
	defer st.Close()
	homes := filepath.Join(dataDir, "homes")
	conn, ids, err := newConnector(cfg, st, connectorSetup{
		registry: reg.current(), installer: demoInstaller(homes, cfg.DemoFaults), secrets: secrets, metrics: m,
	}, log)
	if err != nil {
		return err
	}
	defer startBackground(ctx, conn, st, reg.live, cfg.RegistryReload, cfg.AuditRetention, log)()
	portal, admins, err := demoPortal(cfg, conn, ids, reg, dataDir, st, m, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("SC_ADDR: %w", err)
	}
	defer ln.Close()

	fmt.Fprintf(stdout, "Service Connector demo\n  portal:             http://%s/  (sign in as %s, or any email)\n  admin page:         http://%s/admin  (as %s)\n  reference services: http://%s/<service id>/\n%s  delivering into:    %s/<user>/\n",
		ln.Addr(), demoPeople[0], ln.Addr(), strings.Join(admins, ", "), svcLn.Addr(), metricsLine(metricsListeners, "metrics:           "), homes)
	log.Info("demo started", "portal", ln.Addr().String(), "services", svcLn.Addr().String(), "data_dir", dataDir)
	err = serveAll(ctx, append([]listener{
		{newServer(portal, log), ln},
		{newServer(demoServicesHandler(refs, cfg.DemoFaults.Counts), log), svcLn},
	}, metricsListeners...)...)
	log.Info("demo stopped")
	return err
}

// demoRegistries are the demo's registry as loaded at start-up and, with SC_REGISTRY_FILE,
// the live registry watched for edits, as in serve; the embedded example cannot change.
type demoRegistries struct {
	static *registry.Registry
	live   *registry.Live // nil for the embedded example
}

// current is the registry in service.
func (r demoRegistries) current() connector.Registry {
	if r.live != nil {
		return r.live
	}
	return r.static
}

// status is the registry's status for the admin page.
func (r demoRegistries) status(file string) func() handlers.RegistryStatus {
	if r.live != nil {
		return liveRegistryStatus(r.live)
	}
	return staticRegistryStatus(file, len(r.static.Services()), time.Now())
}

// openDemoRegistry loads the demo's registry with its services at origin.
func openDemoRegistry(cfg Config, origin string, log *slog.Logger) (demoRegistries, error) {
	reg, err := demoRegistry(cfg, origin)
	if err != nil {
		return demoRegistries{}, err
	}
	out := demoRegistries{static: reg}
	if cfg.RegistryFile != "" {
		out.live, err = registry.OpenLiveFunc(cfg.RegistryFile, cfg.skillsDir(), log, nil,
			func() (*registry.Registry, error) { return demoRegistry(cfg, origin) })
	}
	return out, err
}

// newReferenceServices builds a reference service for each example service of reg, with its
// token table in dataDir/demo-services, so keys survive a restart of the demo. It returns
// them, and the services' shared secrets: SC_SECRET_<ID>, or a random one for a reference
// service without it.
func newReferenceServices(cfg Config, reg *registry.Registry, dataDir string) ([]*refservice.Service, connector.Secrets, error) {
	if err := os.MkdirAll(filepath.Join(dataDir, "demo-services"), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create the reference services' state dir: %w", err)
	}
	secrets := map[string]services.Secret{}
	var refs []*refservice.Service
	for _, svc := range reg.Services() {
		secret, ok := cfg.serviceSecret(svc.ID)
		api, demo := demoAPIs[svc.ID]
		if !demo {
			if ok {
				secrets[svc.ID] = secret
			}
			continue
		}
		if !ok {
			secret = randomSecret()
		}
		secrets[svc.ID] = secret
		ref, err := refservice.New(refservice.Config{ID: svc.ID, Name: svc.Name, API: api, Secret: secret,
			StateFile:   filepath.Join(dataDir, "demo-services", svc.ID+".json"),
			DebugTokens: true, Faults: cfg.DemoFaults})
		if err != nil {
			return nil, nil, fmt.Errorf("reference service %s: %w", svc.ID, err)
		}
		refs = append(refs, ref)
	}
	others := secretLookup(cfg.serviceSecret) // services added to the registry later
	return refs, func(id string) (services.Secret, bool) {
		if s, ok := secrets[id]; ok {
			return s, true
		}
		return others(id)
	}, nil
}

// demoPortal is the demo's portal: the handlers with the dev sign-in, behind the router. It
// returns the admins too: SC_ADMIN_EMAILS, or demoAdmin so a newcomer sees the admin page.
func demoPortal(cfg Config, conn *connector.Connector, ids handlers.Identity, reg demoRegistries, dataDir string, st *store.Store, m *metrics.Metrics, log *slog.Logger) (http.Handler, []string, error) {
	admins := cfg.AdminEmails
	if len(admins) == 0 {
		admins = []string{demoAdmin} // so a newcomer can see the admin page too
	}
	h := handlers.New(handlers.Config{
		Connector: conn, Admin: conn, Audit: conn, Identity: ids, Log: log, Admins: admins,
		Demo: true, DemoPeople: demoPeople, DemoHomes: filepath.Join(dataDir, "homes"), DemoFaults: describeFaults(cfg.DemoFaults),
		Registry: reg.status(cfg.RegistryFile),
		Ready: []handlers.Check{
			{Name: "data_dir", Run: func(context.Context) error { return writable(dataDir) }},
			{Name: "database", Run: st.Ping},
		},
	})
	portal, err := newRouter(routerConfig{handlers: h, sessions: newSessionStore(st, cfg.SessionMaxAge, false), log: log, devLogin: true, metrics: m})
	return portal, admins, err
}

// demoRegistry loads SC_REGISTRY_FILE, or the embedded example registry, with the example
// services' URLs pointed at servicesOrigin.
func demoRegistry(cfg Config, servicesOrigin string) (*registry.Registry, error) {
	name, data, skills := "deploy/service_connectors.json", []byte(nil), fs.FS(nil)
	skillsLabel := "deploy/skills" // how skill problems name the embedded files
	if cfg.RegistryFile == "" {
		var err error
		if data, err = deploy.Files.ReadFile("service_connectors.json"); err != nil {
			return nil, err
		}
		if skills, err = fs.Sub(deploy.Files, "skills"); err != nil {
			return nil, err
		}
	} else {
		var err error
		name = cfg.RegistryFile
		if data, err = os.ReadFile(cfg.RegistryFile); err != nil {
			return nil, fmt.Errorf("SC_REGISTRY_FILE: %w", err)
		}
		skillsDir := cfg.skillsDir()
		skills, skillsLabel = os.DirFS(skillsDir), skillsDir
	}
	data = bytes.ReplaceAll(data, []byte(exampleServicesOrigin), []byte(servicesOrigin))
	return registry.Parse(name, data, skills, registry.LintSkills(skillsLabel))
}
