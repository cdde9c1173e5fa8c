package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileMode is the mode of the store file: it holds API keys.
const fileMode = 0o600

// snapshot is the store file as last read or written. The file stays open so that its inode
// cannot be freed and reused by a later file that would then pass for unchanged.
type snapshot struct {
	file *os.File // nil while no file has been read or written
	info fs.FileInfo
}

// changed reports whether the file at path is not the one of the snapshot, or no longer as
// it was (same inode, size and modification time).
func (d snapshot) changed(path string) (bool, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && d.file == nil:
		return false, nil
	case errors.Is(err, fs.ErrNotExist):
		// Writing the memory back could resurrect records someone meant to remove, and
		// treating it as empty would forget live keys: refuse to guess.
		return false, fmt.Errorf("%s was removed while in use", path)
	case err != nil:
		return false, fmt.Errorf("check %s: %w", path, err)
	case d.file == nil:
		return true, nil
	}
	return !os.SameFile(info, d.info) || info.Size() != d.info.Size() || !info.ModTime().Equal(d.info.ModTime()), nil
}

// tighten sets the file's mode to 0600 when others may read or write it.
func (d snapshot) tighten() error {
	if d.file == nil || d.info.Mode().Perm()&^fileMode == 0 {
		return nil
	}
	if err := d.file.Chmod(fileMode); err != nil {
		return fmt.Errorf("tighten the mode of %s: %w", d.file.Name(), err)
	}
	return nil
}

// release closes the file of a snapshot that is being replaced.
func (d snapshot) release() {
	if d.file != nil {
		_ = d.file.Close() // read-only use: nothing to lose
	}
}

// load reads and parses the store file at path.
func load(path string) (records, snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return records{}, snapshot{}, fmt.Errorf("read %s: %w", path, err)
	}
	recs, info, err := read(f)
	if err != nil {
		_ = f.Close() // read-only use: nothing to lose
		return records{}, snapshot{}, fmt.Errorf("read %s: %w", path, err)
	}
	return recs, snapshot{file: f, info: info}, nil
}

// read stats f before reading it, so that a change in between makes the snapshot look
// stale, never fresher than what was read.
func read(f *os.File) (records, fs.FileInfo, error) {
	info, err := f.Stat()
	if err != nil {
		return records{}, nil, err
	}
	if !info.Mode().IsRegular() {
		return records{}, nil, errors.New("not a regular file")
	}
	recs, _, err := readAll(f)
	return recs, info, err
}

// readAll reads and parses what f holds, and returns its bytes too.
func readAll(f *os.File) (records, []byte, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return records{}, nil, err
	}
	recs, err := decode(data)
	return recs, data, err
}

// writeAtomic replaces the file at path with data: a temp file in the same directory,
// flushed to disk, renamed over path, and the directory flushed so the rename lasts. A
// reader, or a crash, sees the old file or the new one, never a part of either.
func writeAtomic(path string, data []byte) (_ snapshot, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return snapshot{}, fmt.Errorf("create temp file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil {
			_ = f.Close() // the data is abandoned
			if !renamed {
				_ = os.Remove(f.Name()) // best effort; the next Open removes it too
			}
		}
	}()
	// CreateTemp's mode is subject to the umask; the store's must not be.
	if err := f.Chmod(fileMode); err != nil {
		return snapshot{}, fmt.Errorf("chmod temp file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return snapshot{}, fmt.Errorf("write temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return snapshot{}, fmt.Errorf("sync temp file: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		return snapshot{}, fmt.Errorf("stat temp file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return snapshot{}, fmt.Errorf("replace %s: %w", path, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return snapshot{}, err
	}
	return snapshot{file: f, info: info}, nil
}

// syncDir flushes the directory entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer func() { _ = d.Close() }() // read-only use: nothing to lose
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// tempPrefix is how the names of path's temp files start. CreateTemp adds a random suffix,
// so the name cannot be guessed and planted in advance.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// removeStaleTemps removes temp files that a process killed in mid-write left next to path.
// Call it under the file lock: then no writer is using one.
func removeStaleTemps(path string) error {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale temp file: %w", err)
		}
	}
	return nil
}
