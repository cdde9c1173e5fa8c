package refservice

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// bearer returns the credential of an "Authorization: Bearer <credential>" header. The
// scheme is case-insensitive (RFC 7235).
func bearer(r *http.Request) (string, bool) {
	scheme, credential, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	credential = strings.TrimSpace(credential)
	return credential, credential != ""
}

// sameSecret compares in constant time. Hashing first makes the time independent of the
// length too, so a caller cannot learn the secret's length by timing.
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// requireSecret lets through only the portal: callers presenting the shared secret.
func (s *Service) requireSecret(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r)
		if !ok || !sameSecret(got, s.secret.Reveal()) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.id+`"`)
			writeProtocolError(w, http.StatusUnauthorized, "The shared secret is missing or wrong.")
			return
		}
		next(w, r)
	}
}

// keyHandler serves a request made with a live API key; holder describes that key.
type keyHandler func(w http.ResponseWriter, r *http.Request, holder TokenInfo)

// requireKey checks the API key on every call, so a revoked or expired key stops working
// at once. The WWW-Authenticate header follows RFC 6750.
func (s *Service) requireKey(next keyHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.id+`"`)
			writeError(w, http.StatusUnauthorized, "An API key is required: send it as Authorization: Bearer <key>.")
			return
		}
		holder, state := s.tokens.lookup(key, s.now())
		if state != keyLive {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.id+`", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, state.message())
			return
		}
		next(w, r, holder)
	}
}
