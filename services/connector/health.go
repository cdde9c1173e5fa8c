package connector

import (
	"context"
	"sync"
)

// Health is the state of one service's health endpoint.
type Health string

// The health states.
const (
	HealthUnknown   Health = "unknown" // the registry names no health_url
	HealthHealthy   Health = "healthy"
	HealthUnhealthy Health = "unhealthy"
)

// ServiceHealth is the health of one service.
type ServiceHealth struct {
	ServiceID string
	Name      string
	Health    Health
}

// Health checks every service's health_url concurrently; each check is bounded by the
// exchange client's timeout, so the whole call is too.
func (c *Connector) Health(ctx context.Context) []ServiceHealth {
	svcs := c.registry.Services()
	out := make([]ServiceHealth, len(svcs))
	var wg sync.WaitGroup
	for i, svc := range svcs {
		out[i] = ServiceHealth{ServiceID: svc.ID, Name: svc.Name, Health: HealthUnknown}
		if svc.HealthURL == "" {
			continue
		}
		wg.Go(func() {
			if err := c.exchanger.Health(ctx, svc); err != nil {
				c.opts.Log.Warn("health check failed", "service", svc.ID, "err", err)
				out[i].Health = HealthUnhealthy
				return
			}
			out[i].Health = HealthHealthy
		})
	}
	wg.Wait()
	return out
}
