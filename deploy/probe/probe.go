// Package probe checks a live internal service against the token-exchange protocol, the
// way a service owner would before asking an admin to add it to the registry: it asks for
// a real key, uses it, revokes it and checks that it stopped working. It reuses the
// portal's own exchange client, so a service passes only if the portal would accept it.
package probe

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

// DefaultEmail is the owner the probe asks a key for: the .invalid domain (RFC 2606) can
// never be a real person's address.
const DefaultEmail = "probe@service-connector.invalid"

// probeTTLDays keeps a probe key short-lived, so a key left live by a service that fails
// the revoke checks expires within a day.
const probeTTLDays = 1

// defaultTimeout bounds each check URL call when New is given no usable timeout.
const defaultTimeout = 10 * time.Second

// Target is the service under test and how to reach its API with a key.
type Target struct {
	Service services.Service
	Secret  services.Secret
	// Email is the key's owner in the exchange request; empty means DefaultEmail.
	Email string
	// CheckURL is any GET endpoint of the service that answers 2xx for a live key and 401
	// or 403 for a revoked one, such as the reference services' /api/whoami.
	CheckURL string
}

// Prober runs the protocol checks.
type Prober struct {
	exchange *exchange.Client
	http     *http.Client
	timeout  time.Duration
}

// New returns a prober that exchanges and revokes through ex and calls the check URL
// through httpClient, each call bounded by timeout (zero or less means 10 s). The prober
// keeps its own copy of httpClient that never follows redirects, so a redirect cannot carry
// the key to another server. A nil httpClient means a zero http.Client.
func New(ex *exchange.Client, httpClient *http.Client, timeout time.Duration) *Prober {
	hc := http.Client{}
	if httpClient != nil {
		hc = *httpClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &Prober{exchange: ex, http: &hc, timeout: timeout}
}

// Run performs every check in protocol order and returns one Result per check. A check
// that needs the key the exchange did not give is a failure too, with that reason, so the
// report always has the same lines.
func (p *Prober) Run(ctx context.Context, t Target) []Result {
	email := t.Email
	if email == "" {
		email = DefaultEmail
	}
	var results []Result
	add := func(check string, detail string, err error) {
		results = append(results, Result{Check: check, Detail: detail, Err: err})
	}

	req := exchange.Request{UserEmail: email, TTLDays: probeTTLDays, RequestID: uuid.NewString()}
	token, err := p.exchange.Exchange(ctx, t.Service, t.Secret, req)
	if err != nil {
		add(CheckExchange, "", err)
		add(CheckRetry, "", errNotRun)
		add(CheckKeyWorks, "", errNotRun)
		// Health needs no key, and it tells a failed exchange from a service that is down.
		add(p.health(ctx, t.Service))
		for _, c := range []string{CheckRevoke, CheckKeyDead, CheckRevokeAgain} {
			add(c, "", errNotRun)
		}
		return results
	}
	add(CheckExchange, exchangeDetail(token), nil)
	results = append(results, p.retry(ctx, t, req, token))

	add(CheckKeyWorks, "the check URL accepted the new key", p.keyWorks(ctx, t.CheckURL, token.APIKey))
	add(p.health(ctx, t.Service))

	if err := p.exchange.Revoke(ctx, t.Service, t.Secret, token.TokenID); err != nil {
		add(CheckRevoke, "", err)
	} else {
		add(CheckRevoke, "token "+token.TokenID+" revoked", nil)
	}
	add(CheckKeyDead, "the check URL refused the revoked key", p.keyDead(ctx, t.CheckURL, token.APIKey))
	if err := p.exchange.Revoke(ctx, t.Service, t.Secret, token.TokenID); err != nil {
		add(CheckRevokeAgain, "", err)
	} else {
		add(CheckRevokeAgain, "revoking a revoked token is ok", nil)
	}
	return results
}

// retry repeats the exchange with the same request_id. The protocol lets a service answer it
// with the same key, and the portal's crash recovery relies on that to find and revoke a key
// minted by an exchange whose answer it never got; a service that mints another key instead
// conforms, but such a key outlives a crash until its TTL ends. A second key is revoked at once.
func (p *Prober) retry(ctx context.Context, t Target, req exchange.Request, first services.Token) Result {
	again, err := p.exchange.Exchange(ctx, t.Service, t.Secret, req)
	if err != nil {
		return Result{Check: CheckRetry, Warning: "a retry with the same request_id failed (" + err.Error() + "); after a crash the portal cannot find the first key again, which then lives until its TTL ends"}
	}
	if again.TokenID == first.TokenID {
		return Result{Check: CheckRetry, Detail: "a retry with the same request_id answered the same token_id"}
	}
	warning := "a retry with the same request_id minted another key (token " + again.TokenID + "); after a crash the portal cannot find the first key again, which then lives until its TTL ends"
	if err := p.exchange.Revoke(ctx, t.Service, t.Secret, again.TokenID); err != nil {
		warning += "; revoking the second key failed too: " + err.Error()
	}
	return Result{Check: CheckRetry, Warning: warning}
}

// exchangeDetail describes a valid answer without its key.
func exchangeDetail(t services.Token) string {
	d := "valid answer with token_id " + t.TokenID
	if t.ExpiresAt.IsZero() {
		return d + " and no expires_at"
	}
	return d + ", expires_at " + t.ExpiresAt.Format(time.RFC3339)
}

// health checks the optional health URL; a service without one conforms.
func (p *Prober) health(ctx context.Context, svc services.Service) (string, string, error) {
	if svc.HealthURL == "" {
		return CheckHealth, "no health_url in the registry, which is allowed", nil
	}
	if err := p.exchange.Health(ctx, svc); err != nil {
		return CheckHealth, "", err
	}
	return CheckHealth, "health_url answered 2xx", nil
}
