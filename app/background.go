package app

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services/connector"
	"github.com/service-connector/service-connector/services/registry"
)

// watchRegistry returns the watch of the live registry's files, reloading every interval
// until ctx ends; the connections to a service an edit removed are revoked and undelivered,
// and every home gets the edit (skills, env var names) from the worker. Each edit taken into
// service, and each edit refused, is recorded in the audit log (a refused edit once, until
// its problems change).
func watchRegistry(ctx context.Context, live *registry.Live, interval time.Duration, conn *connector.Connector, log *slog.Logger) func() {
	ctx = connector.WithActor(ctx, connector.ActorRegistry)
	return func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		var refused []string // the problems of the edit last recorded as refused
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			change, err := live.Reload()
			if err != nil {
				if problems := live.Status().Problems; !slices.Equal(problems, refused) {
					refused = problems
					conn.RegistryRefused(ctx, problems)
				}
				continue
			}
			if change == nil {
				continue
			}
			refused = nil
			for _, svc := range change.Removed {
				if _, err := conn.RemoveService(ctx, svc.ID, svc.TokenRevokeURL); err != nil {
					log.Error("could not remove the connections of a service that left the registry", "service", svc.ID, "err", err)
				}
			}
			if err := conn.RegistryChanged(ctx); err != nil {
				log.Error("could not mark deliveries after a registry change", "err", err)
			}
		}
	}
}

// retentionInterval is how often the worker deletes the audit records retention no longer
// keeps.
const retentionInterval = 10 * time.Minute

// retainAudit deletes the audit records older than retention, at once and then every
// retentionInterval, until ctx ends.
func retainAudit(ctx context.Context, conn *connector.Connector, retention time.Duration, log *slog.Logger) {
	ticker := time.NewTicker(retentionInterval)
	defer ticker.Stop()
	for {
		n, err := conn.PruneAudit(ctx, retention)
		switch {
		case err != nil:
			log.Error("could not delete old audit records; the next pass tries again", "err", err)
		case n > 0:
			log.Info("deleted old audit records", "records", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// purgeInterval is how often the sessions and person locks that ran out are deleted.
const purgeInterval = time.Minute

// purger deletes the sessions and person locks that ran out.
type purger interface {
	PurgeExpired(ctx context.Context) (sessions, locks int, err error)
}

// purgeExpired deletes what ran out every purgeInterval, until ctx ends. Nothing reads those
// rows any more; the purge only keeps the tables small.
func purgeExpired(ctx context.Context, p purger, log *slog.Logger) {
	ticker := time.NewTicker(purgeInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		sessions, locks, err := p.PurgeExpired(ctx)
		if err != nil {
			log.Warn("could not purge expired sessions and locks; the next purge tries again", "err", err)
			continue
		}
		if sessions+locks > 0 {
			log.Debug("purged what ran out", "sessions", sessions, "locks", locks)
		}
	}
}

// startBackground starts the connector's background work: the health poll, the worker that
// resumes and retries the lifecycle's unfinished work, the purge of expired sessions and
// locks, for a live registry the watch of its files, and with a retention the deletion of
// old audit records. The returned function stops them
// all and waits for the worker's pass and the watcher to finish, so the command returns with
// nothing half done in flight.
func startBackground(ctx context.Context, conn *connector.Connector, purger purger, live *registry.Live, reload, auditRetention time.Duration, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { conn.RunHealth(ctx) })
	wg.Go(func() { conn.Run(ctx) })
	wg.Go(func() { purgeExpired(ctx, purger, log) })
	if live != nil {
		wg.Go(watchRegistry(ctx, live, reload, conn, log))
	}
	if auditRetention > 0 {
		wg.Go(func() { retainAudit(connector.WithActor(ctx, connector.ActorWorker), conn, auditRetention, log) })
	}
	return func() { cancel(); wg.Wait() }
}
