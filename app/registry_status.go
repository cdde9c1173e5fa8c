package app

import (
	"time"

	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services/registry"
)

// embeddedRegistry is how the admin page names the demo's built-in example registry.
const embeddedRegistry = "embedded example registry"

// staticRegistryStatus is the admin page's registry status for a registry loaded once at
// start-up: file ("" for the embedded example), its number of services and when it loaded.
func staticRegistryStatus(file string, services int, loadedAt time.Time) func() handlers.RegistryStatus {
	if file == "" {
		file = embeddedRegistry
	}
	st := handlers.RegistryStatus{Source: file, Services: services, LoadedAt: loadedAt}
	return func() handlers.RegistryStatus { return st }
}

// liveRegistryStatus is the admin page's registry status for a live registry: the one in
// service, and the problems of the file on disk if it does not validate.
func liveRegistryStatus(live *registry.Live) func() handlers.RegistryStatus {
	return func() handlers.RegistryStatus {
		st := live.Status()
		return handlers.RegistryStatus{Source: st.Source, Services: st.Services, LoadedAt: st.LoadedAt, Problems: st.Problems}
	}
}
