package connector

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Health is the state of one service's health endpoint.
type Health string

// The health states.
const (
	HealthUnknown   Health = "unknown" // no health_url, or not checked yet
	HealthHealthy   Health = "healthy"
	HealthUnhealthy Health = "unhealthy"
)

// The reasons of an unknown health.
const (
	reasonNoHealthURL = "the registry names no health check for this service"
	reasonNotChecked  = "not checked yet"
	reasonCheckFailed = "the health check failed"
)

// ServiceHealth is the health of one service as of the last background poll.
type ServiceHealth struct {
	ServiceID string
	Name      string
	Health    Health
	// CheckedAt is when the last poll finished checking the service; zero before the first
	// check and for a service without a health_url.
	CheckedAt time.Time
	// Reason says in a few safe words why the health is not healthy, such as "the service
	// answered with an error (HTTP 503)"; empty when healthy.
	Reason string
}

// healthCache holds the outcome of the last poll per service. It is keyed by service id and
// remembers the health_url it checked, so a registry that changes a service's health_url
// shows the service as unknown until the next poll.
type healthCache struct {
	mu      sync.Mutex
	entries map[string]healthEntry
}

type healthEntry struct {
	url    string
	health ServiceHealth
}

func newHealthCache() *healthCache {
	return &healthCache{entries: map[string]healthEntry{}}
}

// of returns the last known health of a service, without touching the network.
func (h *healthCache) of(svc services.Service) ServiceHealth {
	out := ServiceHealth{ServiceID: svc.ID, Name: svc.Name, Health: HealthUnknown}
	if svc.HealthURL == "" {
		out.Reason = reasonNoHealthURL
		return out
	}
	h.mu.Lock()
	e, ok := h.entries[svc.ID]
	h.mu.Unlock()
	if !ok || e.url != svc.HealthURL {
		out.Reason = reasonNotChecked
		return out
	}
	out.Health, out.CheckedAt, out.Reason = e.health.Health, e.health.CheckedAt, e.health.Reason
	return out
}

// put records a check and returns the health it replaces (unknown if there was none).
func (h *healthCache) put(url string, s ServiceHealth) Health {
	h.mu.Lock()
	defer h.mu.Unlock()
	prev := HealthUnknown
	if e, ok := h.entries[s.ServiceID]; ok && e.url == url {
		prev = e.health.Health
	}
	h.entries[s.ServiceID] = healthEntry{url: url, health: s}
	return prev
}

// Health returns every service of the registry, in registry order, with its health as of
// the last background poll (RunHealth). It never calls a service, so a slow service cannot
// slow a page down; a service the poll has not reached yet is unknown.
func (c *Connector) Health(_ context.Context) []ServiceHealth {
	svcs := c.registry.Services()
	out := make([]ServiceHealth, len(svcs))
	for i, svc := range svcs {
		out[i] = c.health.of(svc)
	}
	return out
}

// RunHealth polls every service's health_url at once, then every HealthInterval, until ctx
// ends. It returns when ctx ends, after the checks in flight have given up.
func (c *Connector) RunHealth(ctx context.Context) {
	ticker := time.NewTicker(c.opts.HealthInterval)
	defer ticker.Stop()
	for {
		c.pollHealth(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// pollHealth checks every service with a health_url concurrently; each check is bounded by
// the exchange client's timeout, so the whole poll is too. Only changes of state are logged,
// so a service that stays down does not fill the log every interval.
func (c *Connector) pollHealth(ctx context.Context) {
	var wg sync.WaitGroup
	for _, svc := range c.registry.Services() {
		if svc.HealthURL == "" {
			continue
		}
		wg.Go(func() {
			err := c.exchanger.Health(ctx, svc)
			if ctx.Err() != nil {
				// Shutting down: a cancelled check says nothing about the service.
				return
			}
			s := ServiceHealth{ServiceID: svc.ID, Name: svc.Name, Health: HealthHealthy, CheckedAt: c.opts.Now()}
			if err != nil {
				s.Health, s.Reason = HealthUnhealthy, healthReason(svc, err)
			}
			prev := c.health.put(svc.HealthURL, s)
			switch {
			case prev == s.Health:
			case s.Health == HealthUnhealthy:
				c.opts.Log.Warn("service is unhealthy", "service", svc.ID, "was", string(prev), "err", err)
			default:
				c.opts.Log.Info("service is healthy", "service", svc.ID, "was", string(prev))
			}
		})
	}
	wg.Wait()
}

// healthReason turns a failed check into a few words safe to show anyone: the exchange
// client's message without the service's name in front ("the service did not answer in
// time"), or a generic phrase for an error that carries no safe message.
func healthReason(svc services.Service, err error) string {
	var e *services.Error
	if !errors.As(err, &e) || e.Code == services.EInternal || e.Message == "" {
		return reasonCheckFailed
	}
	msg := strings.TrimSuffix(e.Message, ".")
	if rest, ok := strings.CutPrefix(msg, svc.Name+" is not healthy: "); ok {
		msg = rest
	}
	return msg
}
