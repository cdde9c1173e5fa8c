package app

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"

	"github.com/service-connector/service-connector/services"
)

// newSessionStore returns a cookie store whose cookies are signed (HMAC-SHA256) and encrypted
// (AES-256) with keys derived from the session secret, so the secret itself signs nothing.
func newSessionStore(secret services.Secret, maxAge time.Duration, secure bool) (sessions.Store, error) {
	hashKey, err := hkdf.Key(sha256.New, []byte(secret.Reveal()), nil, "service-connector session hash", 32)
	if err != nil {
		return nil, err
	}
	blockKey, err := hkdf.Key(sha256.New, []byte(secret.Reveal()), nil, "service-connector session block", 32)
	if err != nil {
		return nil, err
	}
	store := cookie.NewStore(hashKey, blockKey)
	// The cookie's Max-Age only asks the browser to forget it; the codec's max age makes the
	// server refuse an older cookie too, so a copied cookie dies on time.
	if codec, ok := store.(interface{ MaxAge(int) }); ok {
		codec.MaxAge(int(maxAge.Seconds()))
	} else {
		return nil, errors.New("session store cannot bound the session lifetime")
	}
	store.Options(sessions.Options{
		Path:     "/",
		MaxAge:   int(maxAge.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	})
	return store, nil
}

// randomSecret returns a fresh random secret of 52 base32 characters (about 256 bits).
func randomSecret() services.Secret {
	return services.Secret(rand.Text() + rand.Text())
}
