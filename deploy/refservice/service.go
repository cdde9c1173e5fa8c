// Package refservice is the reference implementation of the token-exchange protocol in
// DESIGN.md: a small internal service that mints personal API keys for the portal, revokes
// them, checks them on every call, and offers a read-only business API (purchase orders,
// invoices or customers). The demo and the specs run it for real, and service owners read it
// to see what their own service has to do.
package refservice

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// API selects the business API a reference service offers.
type API string

// The business APIs a reference service can offer.
const (
	PurchaseOrders API = "purchase_orders"
	Invoicing      API = "invoicing"
	CRM            API = "crm"
)

// keyPrefix tells a person reading a key which service it belongs to, as live keys of
// public APIs do.
func keyPrefix(api API) (string, bool) {
	switch api {
	case PurchaseOrders:
		return "po_live_", true
	case Invoicing:
		return "inv_live_", true
	case CRM:
		return "crm_live_", true
	}
	return "", false
}

// Config describes one reference service.
type Config struct {
	ID     string           // service id, e.g. "purchase_orders"
	Name   string           // display name, e.g. "Purchase Orders"
	API    API              // the business API it offers
	Secret services.Secret  // the shared secret the portal must present as Bearer
	Now    func() time.Time // clock; nil means time.Now

	// StateFile keeps the token table and the HMAC key that derives the keys across
	// restarts; empty keeps them in memory only, so a restart forgets every key. Its
	// directory must exist. The file holds no key, but its HMAC key derives them all: keep
	// it as secret as the keys.
	StateFile string

	// DebugTokens serves GET /debug/tokens: the live tokens (ids, owners, expiries; never a
	// key), so a demo or a spec can check that the portal left no key live that it does not
	// record. Never for production: it tells anyone who can reach it who holds keys.
	DebugTokens bool

	// Faults makes the protocol endpoints and health slow and flaky on purpose, for the
	// demo and the specs; the zero value injects nothing.
	Faults Faults
}

// Service is one running reference service. It is an http.Handler that serves its routes
// at its own root; Handler mounts several under their ids.
type Service struct {
	debugTokens bool
	id          string
	name        string
	secret      services.Secret
	now         func() time.Time
	tokens      *tokenTable
	mux         *http.ServeMux
	faults      Faults
}

// New checks cfg and builds the service with its seeded data and an empty token table, or
// the one in cfg.StateFile. A state file New cannot read is an error, and is left alone.
func New(cfg Config) (*Service, error) {
	if !services.ValidServiceID(cfg.ID) {
		return nil, services.Errorf(services.EInvalid, "new reference service: id %q is not a valid service id", cfg.ID)
	}
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, services.Errorf(services.EInvalid, "new reference service %s: the name is empty", cfg.ID)
	}
	prefix, ok := keyPrefix(cfg.API)
	if !ok {
		return nil, services.Errorf(services.EInvalid, "new reference service %s: unknown API %q", cfg.ID, cfg.API)
	}
	// An empty secret would let any caller that sends "Bearer " mint keys.
	if cfg.Secret == "" {
		return nil, services.Errorf(services.EInvalid, "new reference service %s: the shared secret is empty", cfg.ID)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	tokens := newTokenTable(prefix, randomBytes(hmacKeySize))
	if cfg.StateFile != "" {
		var err error
		if tokens, err = openTokenTable(cfg.ID, prefix, cfg.StateFile, now()); err != nil {
			return nil, fmt.Errorf("new reference service %s: %w", cfg.ID, err)
		}
	}
	s := &Service{
		id:          cfg.ID,
		name:        cfg.Name,
		secret:      cfg.Secret,
		now:         now,
		tokens:      tokens,
		debugTokens: cfg.DebugTokens,
		faults:      cfg.Faults,
	}
	if s.faults.Counts == nil {
		s.faults.Counts = &FaultCounts{}
	}
	if s.faults.Rand == nil {
		s.faults.Rand = lockedRand()
	}
	s.mux = s.routes(cfg.API)
	return s, nil
}

// ID returns the service id the service was configured with.
func (s *Service) ID() string { return s.id }

// Name returns the display name the service was configured with.
func (s *Service) Name() string { return s.name }

// routes lists every route of one service in one place.
func (s *Service) routes(api API) *http.ServeMux {
	mux := http.NewServeMux()
	f := s.faults
	mux.HandleFunc("POST /api/internal/token-exchange", s.requireSecret(f.withFaults(f.Exchange, &f.Counts.Exchange, f.withLostAnswer(f.Lost, s.handleExchange))))
	mux.HandleFunc("POST /api/internal/token-revoke", s.requireSecret(f.withFaults(f.Revoke, &f.Counts.Revoke, s.handleRevoke)))
	mux.HandleFunc("GET /health", f.withFaults(f.Health, &f.Counts.Health, s.handleHealth))
	mux.HandleFunc("GET /api/whoami", s.requireKey(s.handleWhoami))
	if s.debugTokens {
		mux.HandleFunc("GET /debug/tokens", s.handleDebugTokens)
	}

	customers := seedCustomers()
	switch api {
	case PurchaseOrders:
		orders := purchaseOrderAPI{orders: seedPurchaseOrders(customers)}
		mux.HandleFunc("GET /api/purchase-orders", s.requireKey(orders.list))
		mux.HandleFunc("GET /api/purchase-orders/{id}", s.requireKey(orders.get))
	case Invoicing:
		invoices := invoiceAPI{invoices: seedInvoices(seedPurchaseOrders(customers), customers)}
		mux.HandleFunc("GET /api/invoices", s.requireKey(invoices.list))
		mux.HandleFunc("GET /api/invoices/{id}", s.requireKey(invoices.get))
	case CRM:
		crm := customerAPI{customers: customers}
		mux.HandleFunc("GET /api/customers", s.requireKey(crm.list))
		mux.HandleFunc("GET /api/customers/{id}", s.requireKey(crm.get))
	}
	return mux
}

// ServeHTTP serves the service's routes. Requests no route matches get a JSON 404 or 405
// instead of the mux's plain text, so every answer a client sees is JSON.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, pattern := s.mux.Handler(r); pattern == "" {
		answerUnrouted(w, r, h)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Handler mounts each service under "/<id>/", so that one listener serves them all, as
// the demo does. Like http.ServeMux, it panics when two services share an id.
func Handler(svcs ...*Service) http.Handler {
	mux := http.NewServeMux()
	for _, s := range svcs {
		mux.Handle("/"+s.id+"/", http.StripPrefix("/"+s.id, s))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "There is no service at this path.")
	})
	return mux
}
