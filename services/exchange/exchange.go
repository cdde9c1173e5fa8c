package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode"

	"github.com/service-connector/service-connector/services"
)

// maxTokenIDLen bounds a token id: it is stored and shown to admins, and no sane service
// needs more.
const maxTokenIDLen = 256

// Request is what the portal asks a service for in a token exchange.
type Request struct {
	UserEmail string
	TTLDays   int
	// RequestID lets a service answer a retried exchange with the same key.
	RequestID string
}

// exchangeBody is the protocol's token-exchange request.
type exchangeBody struct {
	UserEmail string `json:"user_email"`
	TTLDays   int    `json:"ttl_days"`
	RequestID string `json:"request_id"`
}

// Exchange asks svc for a personal API key for req.UserEmail, authenticated with the
// service's shared secret. It returns a usable Token only when every field of the answer is
// valid; any failure is an *services.Error with code EUnavailable. When an answer that says
// "ok" names a valid token_id but is otherwise unusable (a bad api_key or expires_at), the
// returned Token holds that TokenID alone, so the caller can revoke the key it cannot use.
func (c *Client) Exchange(ctx context.Context, svc services.Service, secret services.Secret, req Request) (services.Token, error) {
	cl := call{
		svc:     svc,
		failure: "could not issue a key",
		op:      "exchange token",
		method:  http.MethodPost,
		url:     svc.TokenExchangeURL,
		secret:  secret,
		body:    exchangeBody{UserEmail: req.UserEmail, TTLDays: req.TTLDays, RequestID: req.RequestID},
	}
	body, err := c.do(ctx, cl)
	if err != nil {
		return services.Token{}, err
	}
	token, err := parseToken(body)
	if err != nil {
		if errors.Is(err, errDeclined) {
			return services.Token{}, cl.fail(reasonDeclined, err)
		}
		return services.Token{TokenID: token.TokenID}, cl.fail(reasonUnusable, err)
	}
	return token, nil
}

// errDeclined marks an answer that is well formed but says the service did not issue a key.
var errDeclined = errors.New("service declined")

// parseToken validates a token-exchange answer and builds the Token from it.
func parseToken(body []byte) (services.Token, error) {
	a, err := parseAnswer(body)
	if err != nil {
		return services.Token{}, err
	}
	if err := a.requireOK(); err != nil {
		return services.Token{}, fmt.Errorf("%w: %w", errDeclined, err)
	}

	tokenID, _, err := a.str("token_id")
	if err != nil {
		return services.Token{}, err
	}
	if !ValidTokenID(tokenID) {
		return services.Token{}, errors.New("field token_id is missing or not a valid token id")
	}
	// From here on the service said which key it minted: the failures name it.
	minted := services.Token{TokenID: tokenID}

	key, _, err := a.str("api_key")
	if err != nil {
		return minted, err
	}
	if !services.ValidAPIKey(key) {
		return minted, errors.New("field api_key is missing or not a valid key")
	}

	expiresAt, _, err := a.str("expires_at")
	if err != nil {
		return minted, err
	}
	var expiry time.Time
	if expiresAt != "" {
		// time.Parse's error quotes the value, so it is not used as the cause.
		t, err := time.Parse(time.RFC3339, expiresAt)
		if err != nil {
			return minted, errors.New("field expires_at is not an RFC 3339 time")
		}
		expiry = t.UTC()
	}

	return services.Token{APIKey: services.Secret(key), TokenID: tokenID, ExpiresAt: expiry}, nil
}

// ValidTokenID accepts any printable id of sane length: the protocol leaves its shape to the
// service, but it ends up in the store, in logs and in admin pages.
func ValidTokenID(id string) bool {
	if id == "" || len(id) > maxTokenIDLen {
		return false
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
