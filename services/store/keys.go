package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store/keyring"
)

// How an API key is stored, and the only place that knows: the connections table's api_key
// column holds the key sealed with AES-256-GCM (see package keyring) under the key named
// by its key_id column, bound to the record's identity (email, service, token id), so the
// sealed bytes open in no other row. A key_id of "" means the key is stored as it is: a
// store used without SC_STORE_KEY_FILE, or one created before encryption was configured.
// Such a key is opened as it is, and sealed by the next write of its record or by Rekey.

// plainKeyID is the key id of a key stored as it is.
const plainKeyID = ""

// sealer seals and opens the API keys of records; without a keyring it stores them as they
// are and opens only those.
type sealer struct {
	ring *keyring.Keyring // nil: no SC_STORE_KEY_FILE
	// unopened reads records without their keys (Records): what needs only who, which
	// service and which token works even on a record whose key does not open.
	unopened bool
}

// recordAAD is the identity a record's key is sealed for: the person, the service, the token
// and the server account it is delivered to, so a key moved to another row, or a row pointed
// at another account, does not open.
func recordAAD(c services.Connection) []byte {
	return keyring.AdditionalData("connections", c.UserEmail, c.ServiceID, c.TokenID, c.Username)
}

// seal returns the form the API key of c (normalized) is stored in, and the id of the key
// it was sealed with.
func (k sealer) seal(c services.Connection) (stored, keyID string) {
	if k.ring == nil {
		return c.APIKey.Reveal(), plainKeyID
	}
	return k.ring.Seal([]byte(c.APIKey.Reveal()), recordAAD(c))
}

// open returns the API key of a stored form. Its errors name the record and the key id,
// never the stored form: a key sealed under a key the keyring does not hold, or one that
// does not open (altered, or moved from another record), is never returned as a key.
func (k sealer) open(c services.Connection, stored, keyID string) (services.Secret, error) {
	if keyID == plainKeyID {
		return services.Secret(stored), nil
	}
	if k.ring == nil {
		return "", fmt.Errorf("the API key of %s's connection to %s is encrypted at rest (key id %s), and no key was given to open it: set SC_STORE_KEY_FILE",
			c.UserEmail, c.ServiceID, keyID)
	}
	plain, err := k.ring.Open(stored, keyID, recordAAD(c))
	if err != nil {
		return "", fmt.Errorf("the API key of %s's connection to %s (token %s, key id %s): %w", c.UserEmail, c.ServiceID, c.TokenID, keyID, err)
	}
	return services.Secret(plain), nil
}

// scanConnection reads a connection row and opens its API key.
func (k sealer) scanConnection(row scanner) (services.Connection, error) {
	var c services.Connection
	var stored, keyID string
	var connected, expires int64
	if err := row.Scan(&c.UserEmail, &c.ServiceID, &c.Username, &c.TokenID, &stored, &keyID, &connected, &expires, &c.RevokeURL); err != nil {
		return c, err
	}
	c.ConnectedAt, c.ExpiresAt = fromUnixNano(connected), fromUnixNano(expires)
	if k.unopened {
		return c, nil
	}
	key, err := k.open(c, stored, keyID)
	if err != nil {
		return services.Connection{UserEmail: c.UserEmail, ServiceID: c.ServiceID, TokenID: c.TokenID}, err
	}
	c.APIKey = key
	return c, nil
}

// connectionArgs are the arguments of putConnectionSQL for c, its key sealed.
func (k sealer) connectionArgs(c services.Connection) []any {
	stored, keyID := k.seal(c)
	return []any{c.UserEmail, c.ServiceID, c.Username, c.TokenID, stored, keyID, unixNano(c.ConnectedAt), unixNano(c.ExpiresAt), c.RevokeURL}
}

// keyIDs returns the key ids the connections are stored under ("" for plain text), sorted.
// It walks the key id index from one id to the next: a lookup per key id, not per record.
func keyIDs(ctx context.Context, q querier) ([]string, error) {
	return queryAll(ctx, q, scanString, `WITH RECURSIVE ids(id) AS (
		SELECT MIN(key_id) FROM connections
		UNION ALL
		SELECT (SELECT MIN(key_id) FROM connections WHERE key_id > ids.id) FROM ids WHERE ids.id IS NOT NULL
	) SELECT id FROM ids WHERE id IS NOT NULL`)
}

// countUnder counts the connections stored under the key id, through its index.
func countUnder(ctx context.Context, q querier, keyID string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM connections WHERE key_id = $1", keyID).Scan(&n)
	return n, err
}

// checkKeys refuses to open a store whose API keys the keyring cannot open: keys encrypted
// at rest and no keyring, or keys sealed under a key id the keyring does not hold. Keys in
// plain text with a keyring are logged, with how to seal them. It reads the key id index
// only, so it costs the same whatever the number of records.
func (s *Store) checkKeys(ctx context.Context) error {
	ids, err := keyIDs(ctx, s.readQ)
	if err != nil {
		return storeError("read the key ids of the API keys", err)
	}
	ring := s.keys.ring
	var missing []string
	plain := false
	for _, id := range ids {
		switch {
		case id == plainKeyID:
			plain = true
		case ring == nil || !ring.Has(id):
			n, err := countUnder(ctx, s.readQ, id)
			if err != nil {
				return storeError("count the API keys of a key id", err)
			}
			missing = append(missing, fmt.Sprintf("%d under key id %s", n, id))
		}
	}
	switch {
	case len(missing) > 0 && ring == nil:
		return fmt.Errorf("the database holds API keys encrypted at rest (%s) and no key to open them: "+
			"set SC_STORE_KEY_FILE to the key file they were sealed with", strings.Join(missing, ", "))
	case len(missing) > 0:
		return fmt.Errorf("the database holds API keys sealed under keys that SC_STORE_KEY_FILE does not hold (%s; the file holds key ids %s): "+
			"give it the key file they were sealed with, or add their key below the first; a key may leave the file only once "+
			"`service-connector rekey` has re-sealed everything under the first", strings.Join(missing, ", "), strings.Join(ring.IDs(), ", "))
	case plain && ring != nil:
		n, err := countUnder(ctx, s.readQ, plainKeyID)
		if err != nil {
			return storeError("count the API keys in plain text", err)
		}
		s.cfg.Log.Warn("API keys are stored in plain text: they are opened as they are and sealed when their record is next written; "+
			"run `service-connector rekey` to seal them all now", "keys", n, "sealing_key_id", ring.SealingID())
	}
	return nil
}

// errNoKeyring is the error of Rekey without a keyring.
var errNoKeyring = errors.New("no key to seal with: set SC_STORE_KEY_FILE")
