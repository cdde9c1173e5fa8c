package connector

import (
	"context"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

// Connect gives the person a key for the service: exchange → record → deliver.
//
// A person already connected with a live key that is not about to expire keeps it: the
// files are delivered again (which repairs a deleted ~/.service_env) and no key is minted, so
// a double click mints at most one key. An expiring or expired key is replaced, and the old
// one revoked only once the new one is delivered. If delivery fails the new key is revoked
// and the previous state restored, so no key is left live and unrecorded.
//
// The work runs on its own deadline, detached from ctx's cancellation: a person closing the
// tab mid-exchange must not leave a minted key that nobody recorded.
func (c *Connector) Connect(ctx context.Context, user services.User, serviceID string) (ServiceState, error) {
	ctx, cancel := c.operation(ctx)
	defer cancel()
	svc, err := c.service(serviceID)
	if err != nil {
		return ServiceState{}, err
	}
	if !svc.Enabled {
		return ServiceState{}, services.Errorf(services.EConflict, "%s is switched off for now; please try again later.", svc.Name)
	}
	secret, ok := c.secrets(svc.ID)
	if !ok {
		return ServiceState{}, services.Errorf(services.EUnavailable, "%s is not configured yet: the portal has no shared secret for it. Please tell the platform team.", svc.Name)
	}
	email := strings.ToLower(user.Email)
	unlock, err := c.locks.lock(ctx, user.Username)
	if err != nil {
		return ServiceState{}, err
	}
	defer unlock()
	if err := c.checkAccountOwner(user); err != nil {
		return ServiceState{}, err
	}

	prev, hadPrev := c.store.Get(email, svc.ID)
	if hadPrev {
		if st := c.state(svc, prev, true); st.Status == StatusConnected {
			return st, c.deliver(ctx, user)
		}
	}

	tok, err := c.exchanger.Exchange(ctx, svc, secret, exchange.Request{
		UserEmail: email, TTLDays: c.ttlDays(svc), RequestID: c.opts.NewRequestID(),
	})
	if err != nil {
		c.opts.Log.Warn("token exchange failed", "service", svc.ID, "user", email, "err", err)
		return ServiceState{}, err
	}
	conn := services.Connection{
		UserEmail: email, Username: user.Username, ServiceID: svc.ID,
		TokenID: tok.TokenID, APIKey: tok.APIKey, ConnectedAt: c.opts.Now().UTC().Truncate(time.Second), ExpiresAt: tok.ExpiresAt,
	}
	if err := c.store.Put(conn); err != nil {
		c.revoke(svc, secret, email, tok.TokenID, "the new key could not be recorded")
		return ServiceState{}, services.Wrap(services.EInternal, err, "record connection")
	}
	if err := c.deliver(ctx, user); err != nil {
		c.opts.Log.Error("delivery failed; rolling back the new key", "service", svc.ID, "user", email, "err", err)
		c.restore(user, svc.ID, prev, hadPrev)
		c.revoke(svc, secret, email, tok.TokenID, "its delivery failed")
		return ServiceState{}, err
	}
	if hadPrev {
		c.revoke(svc, secret, email, prev.TokenID, "it was replaced")
	}
	c.opts.Log.Info("connected", "service", svc.ID, "user", email, "token_id", tok.TokenID, "replaced", hadPrev)
	return c.state(svc, conn, true), nil
}

func (c *Connector) ttlDays(svc services.Service) int {
	if svc.TTLDays > 0 {
		return svc.TTLDays
	}
	return c.opts.DefaultTTLDays
}

// restore puts the person's record back as it was before a failed change, and delivers that
// state again: a delivery that failed halfway may have left the new key in the files.
func (c *Connector) restore(user services.User, serviceID string, prev services.Connection, hadPrev bool) {
	email := strings.ToLower(user.Email)
	var err error
	if hadPrev {
		err = c.store.Put(prev)
	} else {
		_, err = c.store.Delete(email, serviceID)
	}
	if err != nil {
		c.opts.Log.Error("could not restore the previous connection", "service", serviceID, "user", email, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := c.deliver(ctx, user); err != nil {
		c.opts.Log.Error("could not deliver the restored state", "service", serviceID, "user", email, "err", err)
	}
}

// checkAccountOwner refuses to deliver into a server account that already receives keys for
// another email: two people mapped to one account would overwrite each other's files.
func (c *Connector) checkAccountOwner(user services.User) error {
	email := strings.ToLower(user.Email)
	for _, conn := range c.store.All() {
		if conn.Username == user.Username && conn.UserEmail != email {
			return services.Errorf(services.EConflict,
				"The server account %q already receives keys for another person. Please ask the platform team to map your email to your own account.", user.Username)
		}
	}
	return nil
}

// revoke revokes a key at its service. It runs on its own deadline rather than the
// request's, so a person closing the tab cannot leave a key half revoked.
func (c *Connector) revoke(svc services.Service, secret services.Secret, email, tokenID, why string) error {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := c.exchanger.Revoke(ctx, svc, secret, tokenID); err != nil {
		c.opts.Log.Error("revoke failed: the key is still live at the service", "service", svc.ID, "user", email, "token_id", tokenID, "reason", why, "err", err)
		return err
	}
	c.opts.Log.Info("revoked", "service", svc.ID, "user", email, "token_id", tokenID, "reason", why)
	return nil
}
