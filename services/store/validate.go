package store

import (
	"strings"

	"github.com/service-connector/service-connector/services"
)

// normalizeConnection checks c and returns it in the form the store keeps: the email
// lower-cased, and times in UTC without a monotonic reading, so what is written equals what
// is read back.
// Its errors name the person and the service, never the key.
func normalizeConnection(c services.Connection) (services.Connection, error) {
	c.UserEmail = normalizeEmail(c.UserEmail)
	switch {
	case !validEmail(c.UserEmail):
		return c, services.Errorf(services.EInvalid, "A connection needs a valid email address, not %q.", c.UserEmail)
	case !services.ValidServiceID(c.ServiceID):
		return c, services.Errorf(services.EInvalid, "The connection of %s has an invalid service id %q.", c.UserEmail, c.ServiceID)
	case c.TokenID == "":
		return c, services.Errorf(services.EInvalid, "The connection of %s to %s has no token id.", c.UserEmail, c.ServiceID)
	}
	c.ConnectedAt = c.ConnectedAt.UTC()
	c.ExpiresAt = c.ExpiresAt.UTC()
	return c, nil
}

// normalizeEmail is the form emails are stored and compared in.
func normalizeEmail(email string) string { return services.LowerASCII(email) }

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// validEmail reports whether email looks like an address: something@something, no spaces.
func validEmail(email string) bool {
	at := strings.LastIndexByte(email, '@')
	return at > 0 && at < len(email)-1 && !strings.ContainsFunc(email, isSpaceOrControl)
}

// normalizeRevocation checks r and returns it in the form the store keeps.
func normalizeRevocation(r Revocation) (Revocation, error) {
	r.UserEmail = normalizeEmail(r.UserEmail)
	switch {
	case !services.ValidServiceID(r.ServiceID):
		return r, services.Errorf(services.EInvalid, "A revocation has an invalid service id %q.", r.ServiceID)
	case r.TokenID == "":
		return r, services.Errorf(services.EInvalid, "A revocation for %s has no token id.", r.ServiceID)
	case r.Attempts < 0:
		return r, services.Errorf(services.EInvalid, "A revocation for %s has a negative number of attempts.", r.ServiceID)
	}
	r.QueuedAt, r.NextAttemptAt = r.QueuedAt.UTC(), r.NextAttemptAt.UTC()
	return r, nil
}

// normalizeDelivery checks d and returns it in the form the store keeps.
func normalizeDelivery(d PendingDelivery) (PendingDelivery, error) {
	d.UserEmail = normalizeEmail(d.UserEmail)
	switch {
	case !validEmail(d.UserEmail):
		return d, services.Errorf(services.EInvalid, "A pending delivery needs a valid email address, not %q.", d.UserEmail)
	case !services.ValidUsername(d.Username):
		return d, services.Errorf(services.EInvalid, "The pending delivery of %s has an invalid account name %q.", d.UserEmail, d.Username)
	case d.Attempts < 0:
		return d, services.Errorf(services.EInvalid, "The pending delivery of %s has a negative number of attempts.", d.UserEmail)
	}
	d.Since, d.NextAttemptAt = d.Since.UTC(), d.NextAttemptAt.UTC()
	return d, nil
}

// normalizeIntent checks in and returns it in the form the store keeps.
func normalizeIntent(in Intent) (Intent, error) {
	in.UserEmail = normalizeEmail(in.UserEmail)
	switch {
	case in.RequestID == "":
		return in, services.Errorf(services.EInvalid, "An exchange intent has no request id.")
	case !validEmail(in.UserEmail):
		return in, services.Errorf(services.EInvalid, "An exchange intent needs a valid email address, not %q.", in.UserEmail)
	case !services.ValidServiceID(in.ServiceID):
		return in, services.Errorf(services.EInvalid, "An exchange intent has an invalid service id %q.", in.ServiceID)
	}
	in.StartedAt, in.NextAttemptAt = in.StartedAt.UTC(), in.NextAttemptAt.UTC()
	return in, nil
}
