package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	"github.com/service-connector/service-connector/deploy/refservice"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/delivery"
)

// faultyInstaller fails a share of the demo's deliveries on purpose (SC_DEMO_FAULTS
// deliver=P), before writing anything, as a helper that cannot run would.
type faultyInstaller struct {
	next   connector.Installer
	faults refservice.Faults
}

// demoInstaller is the demo's installer: into homes, with the delivery faults of faults.
func demoInstaller(homes string, faults refservice.Faults) connector.Installer {
	var in connector.Installer = delivery.NewDirInstaller(homes)
	if faults.Deliver > 0 {
		in = faultyInstaller{next: in, faults: faults}
	}
	return in
}

func (f faultyInstaller) Install(ctx context.Context, username string, b delivery.Bundle) error {
	if f.faults.Fail(f.faults.Deliver, &f.faults.Counts.Deliver) {
		return services.Errorf(services.EUnavailable, "injected delivery fault")
	}
	return f.next.Install(ctx, username, b)
}

// demoServicesHandler serves the reference services, and GET /debug/faults: how many faults
// of each kind the demo injected, for the storm specs and anyone watching a demo under
// SC_DEMO_FAULTS.
func demoServicesHandler(refs []*refservice.Service, counts *refservice.FaultCounts) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", refservice.Handler(refs...))
	mux.HandleFunc("GET /debug/faults", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]map[string]int64{"faults": counts.Snapshot()})
	})
	return mux
}

// describeFaults says in words which faults the demo injects, for the demo's banner; nothing
// when it injects none.
func describeFaults(f refservice.Faults) []string {
	var out []string
	add := func(p float64, what string) {
		switch {
		case p >= 1:
			out = append(out, what+": every time")
		case p > 0:
			out = append(out, fmt.Sprintf("%s: %g%% of the time", what, math.Round(p*1000)/10))
		}
	}
	add(f.Exchange, "issuing a key fails (token exchange)")
	add(f.Lost, "a key is issued but the answer is lost on the way")
	add(f.Revoke, "revoking a key fails")
	add(f.Health, "the services' health check fails")
	add(f.Deliver, "delivery into your server account fails")
	if f.LatencyMax > 0 {
		out = append(out, fmt.Sprintf("each call to a service first waits %s to %s", f.LatencyMin, f.LatencyMax))
	}
	return out
}
