package connector

import (
	"context"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// reconcileParallelism bounds the calls one pass of the worker makes at once.
const reconcileParallelism = 8

// Run is the connector's background worker: it reconciles at once, which resumes whatever a
// previous process left (queued revocations, pending deliveries, exchanges in flight), then
// again whenever a use case queued work and every ReconcileInterval, until ctx ends.
func (c *Connector) Run(ctx context.Context) {
	ticker := time.NewTicker(c.opts.ReconcileInterval)
	defer ticker.Stop()
	for {
		c.Reconcile(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-c.work.wake:
		}
	}
}

// Reconcile makes one pass over the work that is due: exchange intents nobody is running,
// pending deliveries, queued revocations, and keys that expired since the last pass (their
// people get a delivery without them); first, connections to services that left the
// registry are removed. It returns when the pass is done; what failed is retried on a later
// pass, after a backoff.
func (c *Connector) Reconcile(ctx context.Context) {
	c.removeOrphans(ctx)
	c.sweepExpiries()
	now := c.opts.Now()
	sem := make(chan struct{}, reconcileParallelism)
	var wg sync.WaitGroup
	run := func(f func()) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() { defer func() { <-sem }(); f() })
	}
	for _, in := range c.store.DueIntents(now) {
		run(func() { c.recoverIntent(ctx, in) })
	}
	for _, d := range c.store.DueDeliveries(now) {
		run(func() { c.redeliver(ctx, d) })
	}
	for _, r := range c.store.DueRevocations(now) {
		run(func() { c.tryRevocation(ctx, r) })
	}
	wg.Wait()
}

// Drained reports whether no work is left but what waits for an admin: no intents, no
// pending deliveries, no queued revocation that the worker would still try, and no
// connection to a service that left the registry.
func (c *Connector) Drained() bool {
	if c.store.Backlog() != (store.Backlog{}) {
		return false
	}
	for _, id := range c.store.ServiceIDs() {
		if _, ok := c.registry.Service(id); !ok {
			return false // its service left the registry: still to be removed
		}
	}
	return true
}

// sweepExpiries marks for delivery the people whose keys expired since the last sweep, so
// an expired key leaves their files. The first sweep of a process covers every expiry
// before it: a key that expired while the portal was down leaves the files too.
func (c *Connector) sweepExpiries() {
	now := c.opts.Now()
	expired := c.store.ExpiredBetween(c.work.sweptUntil(), now)
	if len(expired) > 0 {
		err := c.store.Update(func(tx *store.Tx) error {
			for _, conn := range expired {
				if err := c.markPendingNow(tx, services.User{Email: conn.UserEmail, Username: conn.Username}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			c.opts.Log.Error("could not mark expired keys for delivery", "err", err)
			return
		}
	}
	c.work.sweptTo(now)
}
