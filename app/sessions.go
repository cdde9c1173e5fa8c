package app

import (
	"crypto/rand"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"

	"github.com/service-connector/service-connector/app/dbsession"
	"github.com/service-connector/service-connector/handlers"
	"github.com/service-connector/service-connector/services"
)

// newSessionStore returns the portal's session store: sessions kept in the database, the
// cookie holding only a random id. Signing out ends the session everywhere, offboarding ends
// every session of the person, and maxAge is an absolute lifetime that activity never
// extends.
func newSessionStore(records dbsession.Records, maxAge time.Duration, secure bool) sessions.Store {
	s := dbsession.New(records, maxAge, handlers.SessionEmailKey, nil)
	s.Options(sessions.Options{
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
	return s
}

// randomSecret returns a fresh random secret of 52 base32 characters (about 256 bits).
func randomSecret() services.Secret {
	return services.Secret(rand.Text() + rand.Text())
}
