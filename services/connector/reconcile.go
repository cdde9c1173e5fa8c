package connector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// reconcileParallelism is how many items of each queue one round of the worker claims and
// works at once.
const reconcileParallelism = 8

// reconcileRounds bounds how long one pass goes on claiming work, so the expiry sweep and
// the removal of services that left the registry come round regularly; the next pass goes
// on where this one stopped.
const reconcileRounds = 10 * time.Second

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
// registry are removed. The work is claimed from the store in rounds, so with several
// portals each item is worked by one of them; what failed is retried on a later pass, after
// a backoff. It returns when nothing due is left to claim, or after reconcileRounds.
func (c *Connector) Reconcile(ctx context.Context) {
	ctx = WithActor(ctx, ActorWorker)
	c.removeOrphans(ctx)
	c.sweepExpiries(ctx)
	deadline := time.Now().Add(reconcileRounds)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if c.reconcileRound(ctx) == 0 {
			return
		}
	}
}

// reconcileRound claims up to reconcileParallelism due items of each queue, works them all
// at once, and returns how many it claimed.
func (c *Connector) reconcileRound(ctx context.Context) int {
	var wg sync.WaitGroup
	intents, err := c.store.ClaimDueIntents(ctx, reconcileParallelism)
	c.logClaim("exchange intents", err)
	for _, in := range intents {
		wg.Go(func() { c.recoverIntent(ctx, in) })
	}
	deliveries, err := c.store.ClaimDueDeliveries(ctx, reconcileParallelism)
	c.logClaim("pending deliveries", err)
	for _, d := range deliveries {
		wg.Go(func() { c.redeliver(ctx, d) })
	}
	revocations, err := c.store.ClaimDueRevocations(ctx, reconcileParallelism)
	c.logClaim("queued revocations", err)
	for _, r := range revocations {
		wg.Go(func() { c.attemptRevocation(ctx, r) })
	}
	wg.Wait()
	return len(intents) + len(deliveries) + len(revocations)
}

// logClaim logs a claim of due work that failed; the next pass claims again.
func (c *Connector) logClaim(what string, err error) {
	if err != nil {
		c.opts.Log.Error("could not claim due work", "queue", what, "err", err)
	}
}

// Drained reports whether no work is left but what waits for an admin: no intents, no
// pending deliveries, no queued revocation that the worker would still try, and no
// connection to a service that left the registry.
func (c *Connector) Drained(ctx context.Context) (bool, error) {
	q, err := c.store.QueueCounts(ctx)
	if err != nil {
		return false, err
	}
	if q.Intents > 0 || q.Deliveries > 0 || q.Revocations > q.NeedsAttention {
		return false, nil
	}
	ids, err := c.store.ServiceIDs(ctx)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		if _, ok := c.registry.Service(id); !ok {
			return false, nil // its service left the registry: still to be removed
		}
	}
	return true, nil
}

// sweepExpiries marks for delivery the people whose keys expired since the last sweep, so
// an expired key leaves their files; one statement, however many they are. The first sweep
// of a process covers every expiry before it: a key that expired while the portal was down
// leaves the files too.
func (c *Connector) sweepExpiries(ctx context.Context) {
	now := c.opts.Now()
	since := c.work.sweptUntil()
	expired, err := c.store.AnyExpired(ctx, since, now)
	if err == nil && expired {
		err = c.store.Update(ctx, func(tx *store.Tx) error {
			n, err := tx.MarkDeliveriesDue(store.ConnectionFilter{ExpiresAfter: since, ExpiresBy: now}, c.now())
			from := "the start"
			if !since.IsZero() {
				from = since.UTC().Format(time.RFC3339)
			}
			tx.Audit(c.event(ctx, EventExpirySweep, string(OutcomeOK),
				fmt.Sprintf("keys expired between %s and %s: %s to be delivered without them", from, now.UTC().Format(time.RFC3339), plural(n, "home")),
				services.User{}, "", ""))
			return err
		})
	}
	if err != nil {
		c.opts.Log.Error("could not mark expired keys for delivery", "err", err)
		return
	}
	c.work.sweptTo(now)
}
