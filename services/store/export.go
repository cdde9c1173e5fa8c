package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ImportedSuffix is appended to the name of a store file once its content lives elsewhere.
const ImportedSuffix = ".imported"

// MoveOut hands the content of the store file at path to move, for a store that replaces the
// file (the database), and renames the file to path+ImportedSuffix once move succeeded. It
// holds the file's lock throughout, so a process still writing the file with this store
// cannot change it between the read and the rename. digest identifies the file's content
// (SHA-256 of its bytes, in hex), so the same file handed over twice can be recognised.
//
// A missing file is no error: MoveOut reports false and calls nothing. A file that does not
// parse is an error and is left as it is. When move fails the file is left as it is, and the
// error returned.
func MoveOut(path string, move func(st State, digest string) error) (moved bool, err error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	unlock, err := LockFile(path + ".lock")
	if err != nil {
		return false, fmt.Errorf("move out of %s: %w", path, err)
	}
	defer unlock()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // another process moved it out while we waited for the lock
	}
	if err != nil {
		return false, fmt.Errorf("move out of %s: %w", path, err)
	}
	defer func() { _ = f.Close() }() // read-only use: nothing to lose
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return false, fmt.Errorf("move out of %s: not a regular file", path)
	}
	recs, data, err := readAll(f)
	if err != nil {
		return false, fmt.Errorf("move out of %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	if err := move(recs.state(), hex.EncodeToString(sum[:])); err != nil {
		return false, err
	}
	if err := os.Rename(path, path+ImportedSuffix); err != nil {
		return false, fmt.Errorf("rename %s after moving its content: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return false, err
	}
	return true, nil
}
