package connector

import (
	"context"
	"slices"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/delivery"
	"github.com/service-connector/service-connector/services/store"
)

// bundleOf builds the desired state of a person from their connections.
func (c *Connector) bundleOf(conns []services.Connection) delivery.Bundle {
	now := c.opts.Now()
	b := delivery.Bundle{Env: []delivery.EnvEntry{}, Skills: []delivery.Skill{}}
	skills := map[string]bool{} // services may share a skill file; deliver it once
	for _, conn := range conns {
		svc, ok := c.registry.Service(conn.ServiceID)
		if !ok || conn.Expired(now) {
			continue
		}
		b.Env = append(b.Env, delivery.EnvEntry{
			Name: svc.EnvVarName, Value: conn.APIKey, Service: svc.ID, ExpiresAt: conn.ExpiresAt,
		})
		if skills[svc.SkillFile] {
			continue
		}
		skills[svc.SkillFile] = true
		content, ok := c.registry.Skill(svc.SkillFile)
		if !ok {
			c.opts.Log.Error("skill file missing from the registry", "service", svc.ID, "skill", svc.SkillFile)
			continue
		}
		b.Skills = append(b.Skills, delivery.Skill{Name: svc.SkillFile, Content: content})
	}
	return b
}

// deliver hands the person's whole desired state to the installer, and returns that state:
// one env entry and one skill per live connection to a service in the registry. Expired
// keys are left out, so they leave the delivered files too.
func (c *Connector) deliver(ctx context.Context, user services.User) (delivery.Bundle, error) {
	conns, err := c.store.ForUser(ctx, services.LowerASCII(user.Email))
	if err != nil {
		return delivery.Bundle{}, services.Wrap(services.EInternal, err, "read the connections to deliver")
	}
	for _, conn := range conns {
		// Each key is sealed for the account its record names; a delivery is never aimed at
		// another one (a pending mark pointed elsewhere in the database is not obeyed).
		if conn.Username != user.Username {
			return delivery.Bundle{}, services.Errorf(services.EConflict,
				"The keys of %s are recorded for the server account %q, not %q, so they are not delivered there.", user.Email, conn.Username, user.Username)
		}
	}
	b := c.bundleOf(conns)
	return b, c.install(ctx, user, b)
}

// sameBundle reports whether two desired states are the same.
func sameBundle(a, b delivery.Bundle) bool {
	return slices.Equal(a.Env, b.Env) && slices.Equal(a.Skills, b.Skills)
}

// install hands a desired state to the installer, with errors a person can read.
func (c *Connector) install(ctx context.Context, user services.User, b delivery.Bundle) error {
	err := c.installer.Install(ctx, user.Username, b)
	c.opts.Observer.Delivered(deliveryOutcome(err))
	switch {
	case err == nil:
		return nil
	case services.ErrorCode(err) == services.EInvalid:
		// Something in the home is in the way (a symlink, a folder where a file belongs):
		// the person can fix it, so they are told what it is.
		return services.Wrap(services.EUnavailable, err,
			"We could not deliver the change to your server account %q: %s", user.Username, services.ErrorMessage(err))
	default:
		return services.Wrap(services.EUnavailable, err,
			"We could not deliver the change to your server account %q.", user.Username)
	}
}

// deliverOrMark delivers the person's whole state; on success it clears their pending
// delivery, on failure it records the attempt so the worker retries after a backoff; the
// events audit makes of the delivery's outcome are appended to the audit log in the same
// change. The person's lock must be held.
func (c *Connector) deliverOrMark(ctx context.Context, user services.User, audit ...func(deliverErr error) store.AuditEvent) error {
	delivered, deliverErr := c.deliver(ctx, user)
	err := c.store.Update(ctx, func(tx *store.Tx) error {
		for _, event := range audit {
			tx.Audit(event(deliverErr))
		}
		if deliverErr == nil {
			return c.clearDelivery(tx, user, delivered)
		}
		d, pending, err := tx.Delivery(user.Email)
		if err != nil {
			return err
		}
		if !pending {
			d = c.newMark(user)
		}
		d.Username = user.Username
		c.failed(&d.Retry, deliverErr)
		return tx.PutDelivery(d)
	})
	if err != nil {
		c.opts.Log.Error("could not record the delivery's outcome", "user", user.Email, "err", err)
	}
	if deliverErr != nil {
		c.work.notify()
	}
	return deliverErr
}

// redeliver is the worker's retry of a pending delivery it claimed, of a person's whole
// state. A person whose lock is held (a use case of theirs delivers meanwhile) is passed
// over; the outcome, written to the mark, ends the claim.
func (c *Connector) redeliver(ctx context.Context, d store.PendingDelivery) {
	unlock, ok, err := c.store.TryLock(ctx, d.Username)
	if err != nil || !ok {
		if err := c.store.ReleaseDelivery(ctx, d.UserEmail); err != nil {
			c.opts.Log.Warn("could not release a pending delivery; its claim runs out by itself", "user", d.UserEmail, "err", err)
		}
		return
	}
	defer unlock()
	cur, ok, err := c.store.Delivery(ctx, d.UserEmail)
	if err != nil || !ok || !cur.Due(c.opts.Now()) {
		return // delivered meanwhile, or tried again by a use case
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := c.deliverOrMark(ctx, services.User{Email: cur.UserEmail, Username: cur.Username}); err != nil {
		c.opts.Log.Warn("pending delivery failed again; will retry", "user", cur.UserEmail, "attempts", cur.Attempts+1, "err", err)
		return
	}
	c.opts.Log.Info("pending delivery done", "user", cur.UserEmail, "attempts", cur.Attempts+1)
}

// newMark is a fresh pending delivery of the person, due at once.
func (c *Connector) newMark(user services.User) store.PendingDelivery {
	return store.PendingDelivery{UserEmail: user.Email, Username: user.Username, Since: c.now()}
}

// markPending marks the person's delivery as pending inside a store change, keeping an
// earlier mark as it is. A new mark waits RetryBase before the worker tries it, as the
// caller is about to deliver itself.
func (c *Connector) markPending(tx *store.Tx, user services.User) error {
	d, ok, err := tx.Delivery(user.Email)
	if err != nil {
		return err
	}
	if !ok {
		d = c.newMark(user)
		d.NextAttemptAt = d.Since.Add(c.opts.RetryBase)
	}
	return tx.PutDelivery(d)
}

// markPendingNow marks the person's delivery as pending inside a store change, due at once:
// nobody else is about to deliver.
func (c *Connector) markPendingNow(tx *store.Tx, user services.User) error {
	d, ok, err := tx.Delivery(user.Email)
	if err != nil {
		return err
	}
	if !ok {
		d = c.newMark(user)
	}
	d.NextAttemptAt = time.Time{}
	return tx.PutDelivery(d)
}

// clearDelivery settles the person's delivery mark inside a store change, after a delivery
// of the state delivered succeeded: the mark is cleared when that is still the state the
// store holds for them. When it is not, a change came in between (another process, a
// removal, an expiry) and the files may hold an older state than the store, so the mark is
// kept, or set, and due at once.
func (c *Connector) clearDelivery(tx *store.Tx, user services.User, delivered delivery.Bundle) error {
	conns, err := tx.ForUser(user.Email)
	if err != nil {
		return err
	}
	if sameBundle(delivered, c.bundleOf(conns)) {
		_, err := tx.RemoveDelivery(user.Email)
		return err
	}
	return c.markPendingNow(tx, user)
}
