package handlers_test

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services/connector"
)

// adminFake is the fake of the admin page's use cases: it answers with whatever its
// function fields say and records every call with its arguments.
type adminFake struct {
	adminMu           sync.Mutex
	AdminFunc         func() connector.AdminOverview
	RetryAllFunc      func() (connector.RetryAllResult, error)
	lastQuery         connector.AdminQuery
	DisconnectForFunc func(email, serviceID string) (connector.Disconnection, error)
	PlanFunc          func(email string) (connector.OffboardPlan, error)
	OffboardFunc      func(email string) (connector.OffboardResult, error)
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
		if c != "admin" && !strings.HasPrefix(c, "plan ") {
			out = append(out, c)
		}
	}
	return out
}

func (f *adminFake) Admin(_ context.Context, q connector.AdminQuery) (connector.AdminOverview, error) {
	f.recordAdmin("admin")
	f.adminMu.Lock()
	f.lastQuery = q
	f.adminMu.Unlock()
	if f.AdminFunc == nil {
		return connector.AdminOverview{}, nil
	}
	return f.AdminFunc(), nil
}

func (f *adminFake) DisconnectFor(_ context.Context, email, serviceID string) (connector.Disconnection, error) {
	f.recordAdmin("disconnect-for " + email + " " + serviceID)
	return f.DisconnectForFunc(email, serviceID)
}

func (f *adminFake) OffboardPlan(_ context.Context, email string) (connector.OffboardPlan, error) {
	f.recordAdmin("plan " + email)
	return f.PlanFunc(email)
}

func (f *adminFake) Offboard(_ context.Context, email string) (connector.OffboardResult, error) {
	f.recordAdmin("offboard " + email)
	return f.OffboardFunc(email)
}

func (f *adminFake) RetryRevocation(_ context.Context, serviceID, tokenID string) (bool, error) {
	f.recordAdmin("retry " + serviceID + " " + tokenID)
	return f.RetryFunc(serviceID, tokenID)
}

func (f *adminFake) RetryAllRevocations(context.Context) (connector.RetryAllResult, error) {
	f.recordAdmin("retry-all")
	return f.RetryAllFunc()
}

// query is the admin page's query of the last GET /admin.
func (f *adminFake) query() connector.AdminQuery {
	f.adminMu.Lock()
	defer f.adminMu.Unlock()
	return f.lastQuery
}

// testRegistryStatus is the registry status the specs' portal shows admins.
func testRegistryStatus() handlers.RegistryStatus {
	return handlers.RegistryStatus{Source: "/etc/service-connector/service_connectors.json", Services: 1, LoadedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}
