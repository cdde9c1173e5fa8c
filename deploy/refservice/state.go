package refservice

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// stateVersion is the format of the state file. A file of another version is refused
// rather than guessed at.
const stateVersion = 1

// hmacKeySize is the length of the random HMAC key that derives the keys.
const hmacKeySize = 32

// pruneAfter is how long a revoked or expired token is kept, so that the state file does not
// grow forever. Until then a retried request_id is still recognised and a presented key is
// still refused as "revoked" or "expired" rather than "not valid".
const pruneAfter = 30 * 24 * time.Hour

// tempInfix marks the temporary files the state file is written through. They start with a
// dot and the state file's name, so a leftover one is recognisable and removable.
const tempInfix = ".tmp-"

// stateFile is what the state file holds: exactly what the token table holds in memory.
// It never holds a key, yet the HMAC key derives every key from its token id, so the file
// is as secret as the keys themselves: it is written with mode 0600.
type stateFile struct {
	Version int           `json:"version"`
	Service string        `json:"service"`
	HMACKey string        `json:"hmac_key"` // standard base64
	Tokens  []tokenRecord `json:"tokens"`   // oldest first
}

// tokenRecord is one token in the state file.
type tokenRecord struct {
	TokenID   string    `json:"token_id"`
	KeySHA256 string    `json:"key_sha256"` // hex
	UserEmail string    `json:"user_email"`
	RequestID string    `json:"request_id,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// openTokenTable loads the token table of service id from path, or, when there is no file
// yet, starts a fresh one with a new HMAC key and writes it. A file it cannot read as a
// state file of this service is an error and is left as it is: overwriting it would forget
// keys that people use.
func openTokenTable(id, prefix, path string, now time.Time) (*tokenTable, error) {
	removeTempFiles(path)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		tt := newTokenTable(prefix, randomBytes(hmacKeySize))
		tt.service, tt.path = id, path
		if err := tt.save(now); err != nil {
			return nil, services.Wrap(services.EUnavailable, err, "create the state file %s", path)
		}
		return tt, nil
	}
	if err != nil {
		return nil, services.Wrap(services.EUnavailable, err, "read the state file %s", path)
	}
	tt, err := parseState(id, prefix, data)
	if err != nil {
		return nil, services.Wrap(services.EInvalid, err, "the state file %s is not a valid state file of service %s; fix or remove it", path, id)
	}
	tt.path = path
	return tt, nil
}

// parseState reads a state file strictly: unknown fields, trailing data and tokens that do
// not belong to this service's HMAC key are errors. Its errors never quote the file, which
// holds the HMAC key.
func parseState(id, prefix string, data []byte) (*tokenTable, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f stateFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return nil, errors.New("decode: data after the state")
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("version %d, want %d", f.Version, stateVersion)
	}
	if f.Service != id {
		return nil, fmt.Errorf("it belongs to service %q", f.Service)
	}
	key, err := base64.StdEncoding.DecodeString(f.HMACKey)
	if err != nil || len(key) != hmacKeySize {
		return nil, fmt.Errorf("hmac_key is not %d bytes in base64", hmacKeySize)
	}
	tt := newTokenTable(prefix, key)
	tt.service = id
	for i, rec := range f.Tokens {
		t, err := tt.tokenOf(rec)
		if err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		if _, dup := tt.byID[t.id]; dup {
			return nil, fmt.Errorf("token %d: token_id %s appears twice", i+1, t.id)
		}
		// Tokens are in minting order, so the last token of a request_id is the one a
		// retry answers, as it was before the restart.
		tt.add(t)
	}
	return tt, nil
}

// tokenOf checks one record and turns it into a token of tt.
func (tt *tokenTable) tokenOf(rec tokenRecord) (*token, error) {
	hash, err := hex.DecodeString(rec.KeySHA256)
	switch {
	case rec.TokenID == "":
		return nil, errors.New("token_id is empty")
	case rec.UserEmail == "":
		return nil, errors.New("user_email is empty")
	case len(rec.RequestID) > maxRequestID:
		return nil, errors.New("request_id is too long")
	case rec.ExpiresAt.IsZero():
		return nil, errors.New("expires_at is missing")
	case rec.Revoked == rec.RevokedAt.IsZero():
		return nil, errors.New("revoked and revoked_at disagree")
	case err != nil || len(hash) != sha256.Size:
		return nil, errors.New("key_sha256 is not a SHA-256 in hex")
	}
	t := &token{
		id:        rec.TokenID,
		email:     rec.UserEmail,
		requestID: rec.RequestID,
		expiresAt: rec.ExpiresAt,
		revoked:   rec.Revoked,
		revokedAt: rec.RevokedAt,
	}
	t.hash = sha256.Sum256([]byte(tt.keyFor(t.id)))
	// A hash the HMAC key does not derive means the file was mixed up or edited: the key
	// people hold and the key a retry answers would differ.
	if !hmac.Equal(hash, t.hash[:]) {
		return nil, fmt.Errorf("token %s: key_sha256 does not match the hmac_key", t.id)
	}
	return t, nil
}

// save writes the table, without the tokens that may be pruned at now, to the state file;
// without a state file it does nothing. The caller holds tt.mu, so changes reach the file
// in the order they were made.
func (tt *tokenTable) save(now time.Time) error {
	if tt.path == "" {
		return nil
	}
	f := stateFile{
		Version: stateVersion,
		Service: tt.service,
		HMACKey: base64.StdEncoding.EncodeToString(tt.hmacKey),
		Tokens:  []tokenRecord{},
	}
	for _, t := range tt.ordered() {
		if !t.prunable(now) {
			f.Tokens = append(f.Tokens, tokenRecord{
				TokenID:   t.id,
				KeySHA256: hex.EncodeToString(t.hash[:]),
				UserEmail: t.email,
				RequestID: t.requestID,
				ExpiresAt: t.expiresAt,
				Revoked:   t.revoked,
				RevokedAt: t.revokedAt,
			})
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the state: %w", err)
	}
	return writeFileAtomic(tt.path, append(data, '\n'))
}

// writeFileAtomic replaces path with data so that a crash at any moment, even kill -9 or a
// power cut, leaves either the old file or the new one, never a mix or nothing: write a
// temporary file beside it, flush it to disk, rename it over path, and flush the directory
// so that the rename itself is on disk.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	// CreateTemp picks an unpredictable name and creates the file exclusively with mode
	// 0600, so nobody can plant the file or read the HMAC key through it.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("create a temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s to %s: %w", tmp, path, err)
	}
	return syncDir(dir)
}

// syncDir flushes dir's entries to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// removeTempFiles removes temporary files a killed process left beside path. They hold the
// HMAC key, so they should not linger. Failing to remove one is harmless.
func removeTempFiles(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+tempInfix
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
