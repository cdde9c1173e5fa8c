package store

// Queued reports how many changes wait for the next commit, for the specs.
func Queued(s *Store) int {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	return len(s.queue)
}
