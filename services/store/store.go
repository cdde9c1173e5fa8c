// Package store is the persistent record of connections: one JSON file, connections.json,
// shared by the server and the CLI. Every change is a read-modify-write under an in-process
// mutex and an advisory file lock, and every write replaces the file atomically, so the file
// is a complete, valid document whenever a process is killed.
package store

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/service-connector/service-connector/services"
)

// Store is the record of connections kept in one file. It is safe for concurrent use, and
// several Stores (in one process or several) may share the file.
type Store struct {
	path string

	// mu guards everything below and serializes this Store's changes; the file lock
	// serializes them with other Stores on the same file.
	mu   sync.Mutex
	recs records
	disk snapshot

	// queueMu guards queue: the changes waiting for the next commit.
	queueMu sync.Mutex
	queue   []*change
}

// key identifies a connection: one per person and service. The email is lower-cased.
type key struct {
	email     string
	serviceID string
}

// Open loads the store kept at path. The file need not exist yet, but its directory must.
// A file that does not parse, or that a newer version wrote, is an error and is left as it
// is. A file readable or writable by others is tightened to mode 0600.
func Open(path string) (*Store, error) {
	s := &Store{path: path, recs: newRecords()}
	unlock, err := LockFile(s.lockPath())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	defer unlock()
	// Under the lock no writer is half way, so any temp file left is from a killed process.
	if err := removeStaleTemps(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.refresh(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.disk.tighten(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// Path is the store file's path.
func (s *Store) Path() string { return s.path }

// Get returns the connection of the person with email to the service, if recorded.
func (s *Store) Get(email, serviceID string) (services.Connection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	c, ok := s.recs.conns[key{NormalizeEmail(email), serviceID}]
	return c, ok
}

// ForUser returns the connections of the person with email, sorted by service id.
func (s *Store) ForUser(email string) []services.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return forUser(s.recs.conns, email)
}

// All returns every connection, sorted by email, then service id.
func (s *Store) All() []services.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return sorted(s.recs.conns)
}

// State returns everything the store holds: connections, the revocation queue, pending
// deliveries and exchanges in flight.
func (s *Store) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	return s.recs.state()
}

// Delivery returns the pending delivery of the person with email, if one is pending.
func (s *Store) Delivery(email string) (PendingDelivery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	d, ok := s.recs.deliveries[NormalizeEmail(email)]
	return d, ok
}

// Intent returns the exchange intent with the request id, if recorded.
func (s *Store) Intent(requestID string) (Intent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshForRead()
	in, ok := s.recs.intents[requestID]
	return in, ok
}

// Put records c, replacing the connection of the same person to the same service. An
// invalid connection is an *services.Error with code EInvalid.
func (s *Store) Put(c services.Connection) error {
	return s.Update(func(tx *Tx) error { return tx.Put(c) })
}

// Delete removes the connection of the person with email to the service. It reports false,
// and writes nothing, when there is no such connection.
func (s *Store) Delete(email, serviceID string) (bool, error) {
	var deleted bool
	err := s.Update(func(tx *Tx) error {
		deleted = tx.Delete(email, serviceID)
		return nil
	})
	return deleted && err == nil, err
}

// Update runs fn on the current state and writes its changes as one atomic step: no other
// change, from this process or another, comes between what fn reads and what it writes.
// When fn returns an error, or the write fails, nothing of fn's changes is kept and the
// error is returned. fn must not keep tx, nor call the Store's own methods (they would wait
// for Update).
//
// Changes that arrive while a write is under way are committed together by the next one
// ("group commit"): each still runs alone on the state its predecessors left, and its
// errors are its own, but they share one write and one fsync, so many people changing
// their connections at once do not queue behind one fsync each.
func (s *Store) Update(fn func(tx *Tx) error) error {
	c := &change{fn: fn, done: make(chan error, 1)}
	s.queueMu.Lock()
	s.queue = append(s.queue, c)
	s.queueMu.Unlock()
	s.commitQueued()
	err := <-c.done
	if c.panicked != nil {
		panic(c.panicked) // fn's own panic, raised again in fn's caller
	}
	return err
}

// commitQueued takes mu and commits everything queued so far: the caller's own change,
// unless an earlier holder of mu already committed it.
func (s *Store) commitQueued() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queueMu.Lock()
	batch := s.queue
	s.queue = nil
	s.queueMu.Unlock()
	if len(batch) > 0 {
		s.commit(batch)
	}
}

// change is one Update waiting to be committed.
type change struct {
	fn       func(tx *Tx) error
	done     chan error // receives the outcome; buffered, so commit never blocks
	panicked any        // what fn panicked with, if it did; set before done receives
}

// run runs the change's fn on tx; a panic fails the change alone and is kept for its caller.
func (c *change) run(tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked = r
			err = fmt.Errorf("store update panicked: %v", r)
		}
	}()
	return c.fn(tx)
}

// commit runs a batch of changes in order and writes the result once. s.mu must be held.
func (s *Store) commit(batch []*change) {
	results := make([]error, len(batch))
	finish := func(shared error) {
		for i, c := range batch {
			if results[i] == nil {
				results[i] = shared
			}
			c.done <- results[i]
		}
	}
	unlock, err := LockFile(s.lockPath())
	if err != nil {
		finish(fmt.Errorf("update store %s: %w", s.path, err))
		return
	}
	defer unlock()
	// Another process may have written since we last looked; changing a stale copy would
	// silently undo its change.
	if err := s.refresh(); err != nil {
		finish(fmt.Errorf("update store %s: %w", s.path, err))
		return
	}
	recs, changed := s.recs, false
	for i, c := range batch {
		tx := &Tx{recs: recs.clone()}
		results[i] = c.run(tx)
		if results[i] == nil && tx.changed {
			recs, changed = tx.recs, true
		}
		tx.close()
	}
	if !changed {
		finish(nil)
		return
	}
	data, err := encode(recs)
	if err != nil {
		finish(fmt.Errorf("update store %s: %w", s.path, err))
		return
	}
	snap, err := writeAtomic(s.path, data)
	if err != nil {
		finish(fmt.Errorf("update store %s: %w", s.path, err))
		return
	}
	s.disk.release()
	s.recs, s.disk = recs, snap
	finish(nil)
}

// lockPath is the sibling file the advisory lock is taken on. Locking the data file itself
// would not work: each write replaces it with a new file.
func (s *Store) lockPath() string { return s.path + ".lock" }

// refresh reloads the file when it is not the one last read or written.
func (s *Store) refresh() error {
	changed, err := s.disk.changed(s.path)
	if err != nil || !changed {
		return err
	}
	recs, snap, err := load(s.path)
	if err != nil {
		return err
	}
	s.disk.release()
	s.recs, s.disk = recs, snap
	return nil
}

// refreshForRead refreshes for a read. A file that cannot be read now (damaged by hand, or
// its directory gone) leaves the last good state in service; the next change reports the
// error instead, so the damaged file is never overwritten.
func (s *Store) refreshForRead() {
	_ = s.refresh()
}

// NormalizeEmail is the form emails are compared and stored in.
func NormalizeEmail(email string) string { return strings.ToLower(email) }

// forUser returns the connections of email in conns, sorted by service id.
func forUser(conns map[key]services.Connection, email string) []services.Connection {
	email = NormalizeEmail(email)
	out := []services.Connection{}
	for k, c := range conns {
		if k.email == email {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, compareConnections)
	return out
}

// sorted returns every connection in conns, sorted by email, then service id.
func sorted(conns map[key]services.Connection) []services.Connection {
	out := slices.AppendSeq(make([]services.Connection, 0, len(conns)), maps.Values(conns))
	slices.SortFunc(out, compareConnections)
	return out
}

// compareConnections orders connections by email, then service id.
func compareConnections(a, b services.Connection) int {
	return cmp.Or(strings.Compare(a.UserEmail, b.UserEmail), strings.Compare(a.ServiceID, b.ServiceID))
}
