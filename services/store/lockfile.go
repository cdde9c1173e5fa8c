package store

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockTimeout bounds the wait for a file lock (the migrations', the import's); lockPoll is
// how often it is tried.
const lockTimeout = 30 * time.Second

const lockPoll = 5 * time.Millisecond

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
	// Poll rather than block, so a holder that hangs (a command stopped with Ctrl-Z) makes
	// the start fail after lockTimeout instead of stalling it.
	deadline := time.Now().Add(lockTimeout)
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if errors.Is(err, unix.EWOULDBLOCK) && time.Now().Before(deadline) {
			time.Sleep(lockPoll)
			continue
		}
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		_ = f.Close() // nothing was written
		return nil, fmt.Errorf("lock %s: another process has held it for over %s", path, lockTimeout)
	}
	if err != nil {
		_ = f.Close() // nothing was written
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Closing the file releases the lock.
	return func() { _ = f.Close() }, nil
}
