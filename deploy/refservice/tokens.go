package refservice

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"maps"
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
	hash      [sha256.Size]byte // of the key
	email     string
	requestID string
	expiresAt time.Time
	revoked   bool
	revokedAt time.Time
	seq       uint64 // minting order, which the state file keeps
}

func (t *token) live(now time.Time) bool { return !t.revoked && now.Before(t.expiresAt) }

// prunable says whether t ended, by revocation or expiry, at least pruneAfter before now.
func (t *token) prunable(now time.Time) bool {
	end := t.expiresAt
	if t.revoked && t.revokedAt.Before(end) {
		end = t.revokedAt
	}
	return !now.Before(end.Add(pruneAfter))
}

func (t *token) info() TokenInfo {
	return TokenInfo{TokenID: t.id, UserEmail: t.email, ExpiresAt: t.expiresAt}
}

// tokenTable is the service's memory of the keys it minted.
//
// A retried exchange must answer the same key, yet the table keeps no key. So a key is not
// drawn at random but derived from its random token id with HMAC-SHA256 under a random
// HMAC key: as unguessable as 32 random bytes, and recomputable from the token id when the
// same request_id comes again.
//
// With a state file (path), every change is written to it before it takes effect, so that
// keys keep working, and stay revoked, across a restart.
type tokenTable struct {
	prefix  string
	hmacKey []byte
	service string // the service id the state file names
	path    string // the state file; empty keeps the table in memory only

	mu        sync.Mutex
	nextSeq   uint64
	byID      map[string]*token
	byHash    map[[sha256.Size]byte]*token
	byRequest map[string]*token
}

func newTokenTable(prefix string, hmacKey []byte) *tokenTable {
	return &tokenTable{
		prefix:    prefix,
		hmacKey:   hmacKey,
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
	mac := hmac.New(sha256.New, tt.hmacKey)
	mac.Write([]byte(id))
	return tt.prefix + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issue mints a key for email valid for ttl. With a request id that already minted a key
// for the same email that is still live, it answers that key again; a request id used for
// another email is a conflict. A request id is remembered as long as its token is: until
// pruneAfter past its end.
func (tt *tokenTable) issue(email, requestID string, ttl time.Duration, now time.Time) (services.Token, error) {
	id := "tok_" + hex.EncodeToString(randomBytes(16))

	tt.mu.Lock()
	defer tt.mu.Unlock()
	// The table keeps no empty request id, so an exchange without one is never a retry.
	previous, retried := tt.byRequest[requestID]
	if retried {
		if previous.email != email {
			return services.Token{}, services.Errorf(services.EConflict, "This request_id was already used for another user_email.")
		}
		if previous.live(now) {
			return tt.answer(previous), nil
		}
	}
	t := &token{
		id:        id,
		hash:      sha256.Sum256([]byte(tt.keyFor(id))),
		email:     email,
		requestID: requestID,
		// Whole seconds, so the RFC 3339 answer is the exact expiry.
		expiresAt: now.Add(ttl).UTC().Truncate(time.Second),
	}
	tt.add(t)
	if err := tt.commit(now); err != nil {
		// Forget the token, so that no key is handed out that a restart would not know.
		tt.remove(t)
		if retried {
			tt.byRequest[requestID] = previous
		}
		return services.Token{}, err
	}
	return tt.answer(t), nil
}

func (tt *tokenTable) answer(t *token) services.Token {
	return services.Token{APIKey: services.Secret(tt.keyFor(t.id)), TokenID: t.id, ExpiresAt: t.expiresAt}
}

// revoke marks token id revoked at now. Unknown and revoked ids are ignored: revoking is
// idempotent.
func (tt *tokenTable) revoke(id string, now time.Time) error {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	t, ok := tt.byID[id]
	if !ok || t.revoked {
		return nil
	}
	t.revoked, t.revokedAt = true, now
	if err := tt.commit(now); err != nil {
		// The key keeps working, and the portal retries the revoke later.
		t.revoked, t.revokedAt = false, time.Time{}
		return err
	}
	return nil
}

// commit makes a change to the table durable, then prunes the tokens that ended long ago,
// as the state file just did. The caller holds tt.mu and undoes its change on an error.
func (tt *tokenTable) commit(now time.Time) error {
	if err := tt.save(now); err != nil {
		return services.Wrap(services.EInternal, err, "save the token table of %s", tt.service)
	}
	for _, t := range tt.byID {
		if t.prunable(now) {
			tt.remove(t)
		}
	}
	return nil
}

// add puts t into the table as its newest token. The caller holds tt.mu.
func (tt *tokenTable) add(t *token) {
	t.seq = tt.nextSeq
	tt.nextSeq++
	tt.byID[t.id] = t
	tt.byHash[t.hash] = t
	if t.requestID != "" {
		tt.byRequest[t.requestID] = t
	}
}

// remove takes t out of the table. The caller holds tt.mu.
func (tt *tokenTable) remove(t *token) {
	delete(tt.byID, t.id)
	delete(tt.byHash, t.hash)
	// A later token of the same request id stays the one a retry answers.
	if tt.byRequest[t.requestID] == t {
		delete(tt.byRequest, t.requestID)
	}
}

// ordered lists the tokens oldest first. The caller holds tt.mu.
func (tt *tokenTable) ordered() []*token {
	tokens := slices.Collect(maps.Values(tt.byID))
	slices.SortFunc(tokens, func(a, b *token) int { return cmp.Compare(a.seq, b.seq) })
	return tokens
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
