package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/registry"
)

// watchRegistry returns the watch of the live registry's files, reloading every interval
// until ctx ends; the connections to a service an edit removed are revoked and undelivered,
// and every home gets the edit (skills, env var names) from the worker.
func watchRegistry(ctx context.Context, live *registry.Live, interval time.Duration, conn *connector.Connector, log *slog.Logger) func() {
	return func() {
		live.Watch(ctx, interval, func(change *registry.Change) {
			for _, svc := range change.Removed {
				if _, err := conn.RemoveService(ctx, svc.ID, svc.TokenRevokeURL); err != nil {
					log.Error("could not remove the connections of a service that left the registry", "service", svc.ID, "err", err)
				}
			}
			if err := conn.RegistryChanged(); err != nil {
				log.Error("could not mark deliveries after a registry change", "err", err)
			}
		})
	}
}

// startBackground starts the connector's background work: the health poll, the worker that
// resumes and retries the lifecycle's unfinished work, and, for a live registry, the watch
// of its files. The returned function stops all three and waits for the worker's pass and
// the watcher to finish, so the command returns with nothing half done in flight.
func startBackground(ctx context.Context, conn *connector.Connector, live *registry.Live, reload time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { conn.RunHealth(ctx) })
	wg.Go(func() { conn.Run(ctx) })
	if live != nil {
		wg.Go(watchRegistry(ctx, live, reload, conn, log))
	}
	return func() { cancel(); wg.Wait() }
}
