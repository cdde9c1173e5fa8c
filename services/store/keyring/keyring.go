// Package keyring holds the keys that encrypt API keys at rest (SC_STORE_KEY_FILE), and
// seals and opens with them: AES-256-GCM from the standard library, a random nonce for
// every seal, and the record's identity as additional data, so a sealed key opens only in
// the record it was sealed for.
//
// The key file is text: one key per line, the standard base64 (with padding) of 32 random
// bytes, as `head -c 32 /dev/urandom | base64` or `openssl rand -base64 32` print it.
// Blank lines and lines starting with # are ignored. The first key seals; every key opens.
// A key's id is derived from the key (the first 8 bytes of a SHA-256 over it, in hex), so a
// record names the key that opens it without the file naming anything, and a wrong key can
// never be taken for the right one. Errors name the file and a line number, never a key.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// KeySize is the size of a key in bytes: AES-256.
const KeySize = 32

// maxFileSize bounds the key file read: thousands of keys, far more than rotation needs.
const maxFileSize = 64 << 10

// idDomain separates the key id's hash from any other use of SHA-256 over a key.
const idDomain = "service-connector store key id\n"

var (
	// ErrUnknownKey is the error of a record sealed under a key the key file does not hold.
	ErrUnknownKey = errors.New("sealed under a key that SC_STORE_KEY_FILE does not hold")
	// ErrNotAuthentic is the error of a sealed record that does not open under the key its
	// id names: altered, or moved from another record. Nothing of it is returned.
	ErrNotAuthentic = errors.New("does not open (authentication failed): the record was altered or moved from another one")
)

// Keyring is the keys of a key file: the first seals, all open. It is safe for concurrent
// use.
type Keyring struct {
	keys []key
}

type key struct {
	id   string
	aead cipher.AEAD
}

// Parse reads the keys of a key file's content. An error names the line, never its content.
func Parse(data []byte) (*Keyring, error) {
	k := &Keyring{}
	seen := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(line)
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("line %d is not a key: each key is the base64 of %d random bytes on a line of its own, as `head -c %d /dev/urandom | base64` prints it", n, KeySize, KeySize)
		}
		id := ID(raw)
		if first, ok := seen[id]; ok {
			return nil, fmt.Errorf("line %d repeats the key of line %d", n, first)
		}
		seen[id] = n
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		clear(raw)
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	if len(k.keys) == 0 {
		return nil, errors.New("it holds no key: put the base64 of 32 random bytes on a line, as `head -c 32 /dev/urandom | base64` prints it")
	}
	return k, nil
}

// LoadFile reads the key file at path. It refuses a file others could read or write (any
// group or other permission bit), one owned by an account other than this process's or
// root, anything but a regular file (a FIFO is refused without waiting on it), and one
// larger than any key file. Errors name the file and a line, never a key.
func LoadFile(path string) (*Keyring, error) {
	return load(path, 0o077)
}

// LoadCredential reads a key file that systemd passed as a credential (LoadCredential=,
// under $CREDENTIALS_DIRECTORY), as LoadFile does but for its group read bit: systemd 254
// and later make a credential root-owned, mode 0440, with an access-control entry for the
// service's account, inside a directory only that account may enter.
func LoadCredential(path string) (*Keyring, error) {
	return load(path, 0o037)
}

// load reads the key file at path, refusing one with any of the permission bits in denied.
func load(path string, denied fs.FileMode) (*Keyring, error) {
	data, err := readPrivate(path, denied)
	if err != nil {
		return nil, err
	}
	defer clear(data)
	k, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// readPrivate reads the file at path after checking, on the opened file, that it is a
// regular file that only its owner (this process's account, or root) may change and that
// none of the permission bits in denied is set. It opens without blocking, so a FIFO is
// refused rather than waited on.
func readPrivate(path string, denied fs.FileMode) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err // the path is named once
		}
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read-only use
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&denied != 0 {
		return nil, fmt.Errorf("%s is open to group or others (mode %04o): it holds the keys of every API key at rest; chmod 600 it", path, perm)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && st.Uid != 0 {
		return nil, fmt.Errorf("%s belongs to uid %d, neither this process's account (uid %d) nor root: whoever owns it can change the keys", path, st.Uid, os.Geteuid())
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: it is not a key file", path, maxFileSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return data, nil
}

// NewKeyLine returns a new random key as a line of a key file, newline included.
func NewKeyLine() []byte {
	raw := make([]byte, KeySize)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	line := base64.StdEncoding.AppendEncode(nil, raw)
	clear(raw)
	return append(line, '\n')
}

// Create writes a new key file with one random key at path, mode 0600, unless a file is
// there already: created is false then, and the file is left as it is. The file appears
// whole or not at all (written aside, synced, then linked into place), so processes that
// create it at once agree on one key.
func Create(path string) (created bool, err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".store-key-*")
	if err != nil {
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // the link below is what stays
	line := NewKeyLine()
	defer clear(line)
	content := append([]byte("# Service Connector: the key that encrypts API keys at rest. Keep it apart from the database and its backups.\n"), line...)
	if _, err := tmp.Write(content); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("create %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the new name on disk; the key is usable either way
		_ = d.Close()
	}
	return true, nil
}

// ID is the id of a key: the first 8 bytes of a SHA-256 over it, in hex.
func ID(raw []byte) string {
	h := sha256.New()
	h.Write([]byte(idDomain))
	h.Write(raw)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// SealingID is the id of the key that seals: the file's first.
func (k *Keyring) SealingID() string { return k.keys[0].id }

// IDs are the ids of every key, the sealing one first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = key.id
	}
	return ids
}

// Has reports whether the keyring holds the key with id.
func (k *Keyring) Has(id string) bool {
	_, ok := k.find(id)
	return ok
}

func (k *Keyring) find(id string) (key, bool) {
	for _, key := range k.keys {
		if key.id == id {
			return key, true
		}
	}
	return key{}, false
}

// Seal encrypts plaintext under the sealing key, bound to aad (the record's identity), and
// returns it as text (base64 of the nonce and the ciphertext) with the id of the key.
func (k *Keyring) Seal(plaintext, aad []byte) (sealed, id string) {
	key := k.keys[0]
	nonce := make([]byte, key.aead.NonceSize(), key.aead.NonceSize()+len(plaintext)+key.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	out := key.aead.Seal(nonce, nonce, plaintext, aad)
	return base64.StdEncoding.EncodeToString(out), key.id
}

// Open decrypts what Seal returned for the same aad under the key named id. A key id the
// keyring does not hold is ErrUnknownKey; anything that does not open is ErrNotAuthentic.
// Neither error holds any of sealed.
func (k *Keyring) Open(sealed, id string, aad []byte) ([]byte, error) {
	key, ok := k.find(id)
	if !ok {
		return nil, ErrUnknownKey
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(sealed)
	if err != nil || len(raw) < key.aead.NonceSize()+key.aead.Overhead() {
		return nil, ErrNotAuthentic
	}
	n := key.aead.NonceSize()
	plain, err := key.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrNotAuthentic
	}
	return plain, nil
}

// AdditionalData is the identity a record is sealed for, as Seal and Open take it: its
// fields, each preceded by its length, so no two lists of fields give the same bytes.
func AdditionalData(fields ...string) []byte {
	b := []byte("service-connector/v1")
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}
