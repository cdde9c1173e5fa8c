package store

// SearchWithoutRanges makes s search as it does on a database whose text does not sort
// byte by byte: by the exact prefix test alone, without the index's range.
func SearchWithoutRanges(s *Store) {
	s.collation.mu.Lock()
	defer s.collation.mu.Unlock()
	s.collation.known, s.collation.bytewise = true, false
}
