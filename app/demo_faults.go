package app

import (
	"context"
	"encoding/json"
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
