package handlers_test

import (
	"context"
	"sync"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// auditFake is the fake of the audit log: it records the sign-in events it is told, and
// answers the audit page with AuditLogFunc, recording each query and who asked.
type auditFake struct {
	auditMu      sync.Mutex
	AuditLogFunc func(q connector.AuditQuery) (connector.AuditLogPage, error)
	events       []string
	queries      []connector.AuditQuery
	askedBy      []string
}

func (f *auditFake) note(event string) {
	f.auditMu.Lock()
	defer f.auditMu.Unlock()
	f.events = append(f.events, event)
}

// auditEvents are the sign-in events recorded, in order.
func (f *auditFake) auditEvents() []string {
	f.auditMu.Lock()
	defer f.auditMu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *auditFake) SignedIn(_ context.Context, user services.User, method string) {
	f.note("sign_in " + user.Email + " " + user.Username + " " + method)
}

func (f *auditFake) SignInRefused(_ context.Context, email, method, reason string) {
	f.note("sign_in_refused " + email + " " + method + ": " + reason)
}

func (f *auditFake) SignedOut(_ context.Context, user services.User) {
	f.note("sign_out " + user.Email)
}

func (f *auditFake) AuditLog(ctx context.Context, q connector.AuditQuery) (connector.AuditLogPage, error) {
	f.auditMu.Lock()
	f.queries = append(f.queries, q)
	f.askedBy = append(f.askedBy, connector.ActorOf(ctx))
	fn := f.AuditLogFunc
	f.auditMu.Unlock()
	if fn == nil {
		return connector.AuditLogPage{Query: q}, nil
	}
	return fn(q)
}
