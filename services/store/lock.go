package store

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive advisory lock on the file at path, creating it if needed, and
// returns the function that releases it. The lock excludes every other holder, in this
// process or another, because each call opens the file anew.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	// A restrictive umask may have created it without write permission; the lock works
	// either way, so a failure to fix the mode (someone else's file) is not an error.
	if info, err := f.Stat(); err == nil && info.Mode().Perm() != fileMode {
		_ = f.Chmod(fileMode)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close() // nothing was written
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Closing the file releases the lock.
	return func() { _ = f.Close() }, nil
}
