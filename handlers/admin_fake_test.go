package handlers_test

import (
	"context"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/registry"
)

// adminFake is the fake connector's part for the admin page: it answers with whatever its
// function fields say and records every call with its arguments.
type adminFake struct {
	adminMu           sync.Mutex
	AdminFunc         func() connector.AdminOverview
	DisconnectForFunc func(email, serviceID string) error
	OffboardFunc      func(email, username string) (connector.OffboardResult, error)
	RetryFunc         func(serviceID, tokenID string) (bool, error)
	adminCalls        []string
}

func (f *adminFake) recordAdmin(call string) {
	f.adminMu.Lock()
	defer f.adminMu.Unlock()
	f.adminCalls = append(f.adminCalls, call)
}

// actions returns the recorded calls that change something, in order.
func (f *adminFake) actions() []string {
	f.adminMu.Lock()
	defer f.adminMu.Unlock()
	var out []string
	for _, c := range f.adminCalls {
		if c != "admin" {
			out = append(out, c)
		}
	}
	return out
}

func (f *adminFake) Admin(context.Context) connector.AdminOverview {
	f.recordAdmin("admin")
	if f.AdminFunc == nil {
		return connector.AdminOverview{}
	}
	return f.AdminFunc()
}

func (f *adminFake) DisconnectFor(_ context.Context, email, serviceID string) error {
	f.recordAdmin("disconnect-for " + email + " " + serviceID)
	return f.DisconnectForFunc(email, serviceID)
}

func (f *adminFake) Offboard(_ context.Context, email, username string) (connector.OffboardResult, error) {
	f.recordAdmin("offboard " + email + " [" + username + "]")
	return f.OffboardFunc(email, username)
}

func (f *adminFake) RetryRevocation(serviceID, tokenID string) (bool, error) {
	f.recordAdmin("retry " + serviceID + " " + tokenID)
	return f.RetryFunc(serviceID, tokenID)
}

// testRegistryStatus is the registry status the specs' portal shows admins.
func testRegistryStatus() registry.Status {
	return registry.Status{Source: "/etc/service-connector/service_connectors.json", Services: 1, LoadedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}
