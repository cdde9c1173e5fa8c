package exchange

import (
	"context"
	"fmt"
	"net/http"

	"github.com/service-connector/service-connector/services"
)

// revokeBody is the protocol's token-revoke request.
type revokeBody struct {
	TokenID string `json:"token_id"`
}

// Revoke asks svc to revoke the key tokenID, authenticated with the service's shared secret.
// Services answer ok for unknown or already revoked tokens too, so a nil error means the key
// is dead. Any failure is an *services.Error with code EUnavailable, except an empty tokenID,
// which is EInvalid because retrying cannot help.
func (c *Client) Revoke(ctx context.Context, svc services.Service, secret services.Secret, tokenID string) error {
	if tokenID == "" {
		return services.Errorf(services.EInvalid, "%s could not revoke the key: the key has no token id.", svc.Name)
	}
	cl := call{
		svc:     svc,
		failure: "could not revoke the key",
		op:      "revoke token",
		method:  http.MethodPost,
		url:     svc.TokenRevokeURL,
		secret:  secret,
		body:    revokeBody{TokenID: tokenID},
	}
	body, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	a, err := parseAnswer(body)
	if err != nil {
		return cl.fail(reasonUnusable, err)
	}
	if err := a.requireOK(); err != nil {
		return cl.fail(reasonDeclined, fmt.Errorf("%w: %w", errDeclined, err))
	}
	return nil
}
