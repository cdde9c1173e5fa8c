package refservice

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
)

// TokenInfo describes a minted key without the key itself.
type TokenInfo struct {
	TokenID   string    `json:"token_id"`
	UserEmail string    `json:"user_email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// LiveTokens lists the keys that are neither revoked nor expired at the service's clock,
// sorted by token id, so specs and the demo can see what the portal left alive.
func (s *Service) LiveTokens() []TokenInfo { return s.tokens.live(s.now()) }

// keyState is what a presented key turned out to be.
type keyState int

const (
	keyUnknown keyState = iota
	keyLive
	keyRevoked
	keyExpired
)

// message tells the caller why a key was refused, and what to do about it.
func (k keyState) message() string {
	switch k {
	case keyRevoked:
		return "The API key has been revoked. Reconnect the service in the Service Connector portal."
	case keyExpired:
		return "The API key has expired. Reconnect the service in the Service Connector portal."
	}
	return "The API key is not valid. Reconnect the service in the Service Connector portal."
}

// token is one minted key. It holds no key: keys are found by their SHA-256.
type token struct {
	id        string
	email     string
	requestID string
	expiresAt time.Time
	revoked   bool
}

func (t *token) live(now time.Time) bool { return !t.revoked && now.Before(t.expiresAt) }

func (t *token) info() TokenInfo {
	return TokenInfo{TokenID: t.id, UserEmail: t.email, ExpiresAt: t.expiresAt}
}

// tokenTable is the service's memory of the keys it minted.
//
// A retried exchange must answer the same key, yet the table keeps no key. So a key is not
// drawn at random but derived from its random token id with HMAC-SHA256 under a random
// seed that lives only in this process: as unguessable as 32 random bytes, and
// recomputable from the token id when the same request_id comes again.
type tokenTable struct {
	prefix string
	seed   []byte

	mu        sync.Mutex
	byID      map[string]*token
	byHash    map[[sha256.Size]byte]*token
	byRequest map[string]*token
}

func newTokenTable(prefix string) *tokenTable {
	return &tokenTable{
		prefix:    prefix,
		seed:      randomBytes(32),
		byID:      map[string]*token{},
		byHash:    map[[sha256.Size]byte]*token{},
		byRequest: map[string]*token{},
	}
}

// randomBytes reads n bytes from crypto/rand, which never fails since Go 1.24.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// keyFor derives the key of token id: the prefix and 32 bytes in unpadded base64url,
// which stays inside the protocol's key charset.
func (tt *tokenTable) keyFor(id string) string {
	mac := hmac.New(sha256.New, tt.seed)
	mac.Write([]byte(id))
	return tt.prefix + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issue mints a key for email valid for ttl. With a request id that already minted a key
// for the same email that is still live, it answers that key again; a request id used for
// another email is a conflict.
func (tt *tokenTable) issue(email, requestID string, ttl time.Duration, now time.Time) (services.Token, error) {
	id := "tok_" + hex.EncodeToString(randomBytes(16))

	tt.mu.Lock()
	defer tt.mu.Unlock()
	if requestID != "" {
		if t, ok := tt.byRequest[requestID]; ok {
			if t.email != email {
				return services.Token{}, services.Errorf(services.EConflict, "This request_id was already used for another user_email.")
			}
			if t.live(now) {
				return tt.answer(t), nil
			}
		}
	}
	t := &token{
		id:        id,
		email:     email,
		requestID: requestID,
		// Whole seconds, so the RFC 3339 answer is the exact expiry.
		expiresAt: now.Add(ttl).UTC().Truncate(time.Second),
	}
	tt.byID[id] = t
	tt.byHash[sha256.Sum256([]byte(tt.keyFor(id)))] = t
	if requestID != "" {
		tt.byRequest[requestID] = t
	}
	return tt.answer(t), nil
}

func (tt *tokenTable) answer(t *token) services.Token {
	return services.Token{APIKey: services.Secret(tt.keyFor(t.id)), TokenID: t.id, ExpiresAt: t.expiresAt}
}

// revoke marks token id revoked. Unknown ids are ignored: revoking is idempotent.
func (tt *tokenTable) revoke(id string) {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if t, ok := tt.byID[id]; ok {
		t.revoked = true
	}
}

// lookup finds the token of key and says whether it may be used at now.
func (tt *tokenTable) lookup(key string, now time.Time) (TokenInfo, keyState) {
	hash := sha256.Sum256([]byte(key))
	tt.mu.Lock()
	defer tt.mu.Unlock()
	t, ok := tt.byHash[hash]
	switch {
	case !ok:
		return TokenInfo{}, keyUnknown
	case t.revoked:
		return TokenInfo{}, keyRevoked
	case !now.Before(t.expiresAt):
		return TokenInfo{}, keyExpired
	}
	return t.info(), keyLive
}

// live lists the tokens live at now, sorted by id.
func (tt *tokenTable) live(now time.Time) []TokenInfo {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	infos := []TokenInfo{}
	for _, t := range tt.byID {
		if t.live(now) {
			infos = append(infos, t.info())
		}
	}
	slices.SortFunc(infos, func(a, b TokenInfo) int { return cmp.Compare(a.TokenID, b.TokenID) })
	return infos
}
