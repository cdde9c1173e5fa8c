package store

import (
	"strings"

	"github.com/service-connector/service-connector/services"
)

// normalize checks c and returns it in the form the store keeps: the email lower-cased, and
// times in UTC without a monotonic reading, so what is in memory equals what a reload reads.
// Its errors name the person and the service, never the key.
func normalize(c services.Connection) (services.Connection, error) {
	c.UserEmail = normalizeEmail(c.UserEmail)
	at := strings.LastIndexByte(c.UserEmail, '@')
	switch {
	case at <= 0 || at == len(c.UserEmail)-1 || strings.ContainsFunc(c.UserEmail, isSpaceOrControl):
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

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }
