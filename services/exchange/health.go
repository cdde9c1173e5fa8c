package exchange

import (
	"context"
	"fmt"
	"net/http"

	"github.com/service-connector/service-connector/services"
)

// Health checks svc's health URL: any 2xx answer within the timeout means healthy. A service
// without a health URL gives an *services.Error with code EInvalid; an unhealthy one, code
// EUnavailable.
func (c *Client) Health(ctx context.Context, svc services.Service) error {
	if svc.HealthURL == "" {
		return services.Errorf(services.EInvalid, "%s has no health check.", svc.Name)
	}
	cl := call{
		svc:     svc,
		failure: "is not healthy",
		op:      "check health",
		method:  http.MethodGet,
		url:     svc.HealthURL,
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.send(ctx, cl)
	if err != nil {
		return err
	}
	defer closeBody(resp.Body)
	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusMultipleChoices {
		return cl.fail(statusReason(resp.StatusCode), fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	return nil
}
