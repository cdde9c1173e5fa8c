package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/service-connector/service-connector/deploy/probe"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
	"github.com/service-connector/service-connector/services/registry"
)

// probeUsage is printed for every usage or configuration error of the probe command.
const probeUsage = `usage: service-connector probe SERVICE_ID --check-url URL [--email ADDRESS]
  SC_REGISTRY_FILE names the registry; SC_SECRET_<ID> (or SC_SECRET_<ID>_FILE) holds the shared secret.
  --check-url is a GET endpoint of the service that answers 2xx for a live key and 401/403 for a revoked one.`

// runProbe runs `probe SERVICE_ID --check-url URL`: one PASS or FAIL line per protocol
// check, exit 0 when all pass, 1 on any failure, 2 on a usage or configuration error.
func runProbe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	id, checkURL, email, err := parseProbeArgs(args)
	if err != nil {
		return probeFail(stderr, "%v", err)
	}
	cfg, problems := loadConfig(getenv)
	if len(problems) > 0 {
		return probeFail(stderr, "%s", strings.Join(problems, "; "))
	}
	svc, secret, err := probeService(cfg, id)
	if err != nil {
		return probeFail(stderr, "%v", err)
	}
	hc := &http.Client{}
	p := probe.New(exchange.New(hc, cfg.ExchangeTimeout), hc, cfg.ExchangeTimeout)
	results := p.Run(ctx, probe.Target{Service: svc, Secret: secret, Email: email, CheckURL: checkURL})
	if err := probe.Print(stdout, results); err != nil {
		fmt.Fprintf(stderr, "service-connector probe: %v\n", err)
		return 1
	}
	if !probe.AllPassed(results) {
		return 1
	}
	return 0
}

// parseProbeArgs reads SERVICE_ID --check-url URL [--email ADDRESS], the id first or last.
func parseProbeArgs(args []string) (id, checkURL, email string, err error) {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&checkURL, "check-url", "", "GET endpoint that answers 2xx for a live key, 401/403 for a revoked one")
	fs.StringVar(&email, "email", probe.DefaultEmail, "owner of the probe key in the exchange request")
	rest := args
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		id, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return "", "", "", err
	}
	if id == "" && fs.NArg() == 1 {
		id = fs.Arg(0)
	} else if id == "" || fs.NArg() != 0 {
		return "", "", "", errors.New("give exactly one SERVICE_ID")
	}
	if strings.TrimSpace(checkURL) == "" {
		return "", "", "", errors.New("--check-url is required: without it the probe cannot tell whether the key works and stops working")
	}
	return id, checkURL, email, nil
}

// probeService loads SC_REGISTRY_FILE and returns the service to probe with its secret.
func probeService(cfg Config, id string) (services.Service, services.Secret, error) {
	if cfg.RegistryFile == "" {
		return services.Service{}, "", errors.New("SC_REGISTRY_FILE is not set")
	}
	reg, err := registry.LoadFile(cfg.RegistryFile, cfg.skillsDir())
	if err != nil {
		var verr *registry.ValidationError
		if errors.As(err, &verr) {
			return services.Service{}, "", fmt.Errorf("the registry is not valid:\n%s", verr.Error())
		}
		return services.Service{}, "", err
	}
	svc, ok := reg.Service(id)
	if !ok {
		return services.Service{}, "", fmt.Errorf("no service %q in %s", id, cfg.RegistryFile)
	}
	secret, ok := cfg.serviceSecret(id)
	if !ok {
		return services.Service{}, "", fmt.Errorf("the shared secret of %s is not configured: set SC_SECRET_%s or SC_SECRET_%s_FILE",
			id, strings.ToUpper(id), strings.ToUpper(id))
	}
	return svc, secret, nil
}

// probeFail reports a usage or configuration error and returns exit code 2.
func probeFail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "service-connector probe: "+format+"\n\n%s\n", append(args, probeUsage)...)
	return 2
}
