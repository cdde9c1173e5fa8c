package store

import "time"

// Queued reports how many changes wait for the next commit, for the specs.
func Queued(s *Store) int {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	return len(s.queue)
}

// SetLockTimeout shortens the wait for the file lock for one spec.
func SetLockTimeout(d time.Duration) (restore func()) {
	old := lockTimeout
	lockTimeout = d
	return func() { lockTimeout = old }
}
