package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"sync"
	"time"

	"github.com/service-connector/service-connector/services"
)

// Lock serializes the changes of one person (name: their server account) across every
// portal sharing the database, without holding a transaction open: it takes a lease, a row
// of person_locks owned by this call until LockLease from now, and returns the function that
// releases it. It waits while another holds the lease, until ctx ends; a lease whose holder
// died runs out after LockLease, and then the next waiter takes it over.
//
// Within this process, waiters queue in memory first, so only one of them at a time asks
// the database; across processes they poll, starting at a few milliseconds. A holder on
// this machine whose process ended is taken over at once (see portals.go).
func (s *Store) Lock(ctx context.Context, name string) (unlock func(), err error) {
	release, err := s.locks.lock(ctx, name)
	if err != nil {
		return nil, errLocked(err)
	}
	wait := 2 * time.Millisecond
	for {
		token, ok, err := s.takeLease(ctx, name)
		if err != nil {
			release()
			return nil, err
		}
		if ok {
			return func() { s.dropLease(name, token); release() }, nil
		}
		s.reapDead(ctx)
		select {
		case <-ctx.Done():
			release()
			return nil, errLocked(ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// TryLock is Lock without waiting: it reports false at once when the person's lock is held,
// in this process or another (a worker skips that person and comes back later).
func (s *Store) TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error) {
	release, ok := s.locks.tryLock(name)
	if !ok {
		return nil, false, nil
	}
	token, ok, err := s.takeLease(ctx, name)
	if err == nil && !ok {
		s.reapDead(ctx)
		token, ok, err = s.takeLease(ctx, name)
	}
	if err != nil || !ok {
		release()
		return nil, false, err
	}
	return func() { s.dropLease(name, token); release() }, true, nil
}

// errLocked is the error of a wait for a person's lock that ran out.
func errLocked(cause error) error {
	return services.Wrap(services.EUnavailable, cause, "Another change of yours is still in progress; please try again in a moment.")
}

// takeLease takes the person's lease in the database if it is free or ran out, under a
// token that is this call's alone.
func (s *Store) takeLease(ctx context.Context, name string) (token string, ok bool, err error) {
	token = s.cfg.Owner + "/" + rand.Text()[:10]
	now := s.now()
	res, err := s.execLock(ctx,
		"INSERT INTO person_locks (name, owner, portal, until) VALUES ($1, $2, $3, $4) "+
			"ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, portal = excluded.portal, until = excluded.until WHERE person_locks.until <= $5",
		name, token, s.cfg.Owner, unixNano(now.Add(s.cfg.LockLease)), unixNano(now))
	if err != nil {
		return "", false, storeError("take a person's lock", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return "", false, storeError("take a person's lock", err)
	}
	return token, n == 1, nil
}

// dropLease releases the lease taken under token, if it is still this call's: a holder that
// outlived its lease must not release its successor's.
func (s *Store) dropLease(name, token string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.TxTimeout)
	defer cancel()
	res, err := s.execLock(ctx, "DELETE FROM person_locks WHERE name = $1 AND owner = $2", name, token)
	if err != nil {
		// The lease runs out by itself; until then the person waits.
		s.cfg.Log.Error("could not release a person's lock; it runs out by itself", "name", name, "lease", s.cfg.LockLease, "err", err)
		return
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		// Held past its lease and taken over: the changes made under it may have raced.
		s.cfg.Log.Error("a person's lock was held past its lease and taken over meanwhile", "name", name, "lease", s.cfg.LockLease)
	}
}

// execLock runs a statement on person_locks. On SQLite its commit is not synced to disk: a
// lock matters only while its holder lives, and a crash of the machine ends every holder, so
// no lock needs to outlive one; the next synced commit takes it to disk anyway. That spares
// a click two of its syncs. The writing connection is pinned for the statement and put back
// to synchronous=FULL after it; a connection that cannot be put back is discarded, so no
// change ever commits without its sync.
func (s *Store) execLock(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.dialect.name != sqliteDialect.name {
		return s.writeQ.ExecContext(ctx, query, args...)
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }() // back to the pool, or discarded below
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // a new connection syncs again
		}
	}()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		return nil, err
	}
	return conn.ExecContext(ctx, query, args...)
}

// localLocks queues this process's waiters for a person's lock in memory, so only one of
// them at a time polls the database. Entries are dropped when nobody holds or waits.
type localLocks struct {
	mu    sync.Mutex
	locks map[string]*localLock
}

type localLock struct {
	sem  chan struct{}
	refs int
}

func newLocalLocks() *localLocks { return &localLocks{locks: map[string]*localLock{}} }

// ref returns the entry of name, counting the caller in.
func (l *localLocks) ref(name string) *localLock {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.locks[name]
	if !ok {
		e = &localLock{sem: make(chan struct{}, 1)}
		l.locks[name] = e
	}
	e.refs++
	return e
}

func (l *localLocks) unref(name string, e *localLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.locks, name)
	}
}

// lock waits for name until ctx ends.
func (l *localLocks) lock(ctx context.Context, name string) (release func(), err error) {
	e := l.ref(name)
	select {
	case e.sem <- struct{}{}:
		return func() { <-e.sem; l.unref(name, e) }, nil
	case <-ctx.Done():
		l.unref(name, e)
		return nil, ctx.Err()
	}
}

// tryLock takes name if nobody in this process holds it.
func (l *localLocks) tryLock(name string) (release func(), ok bool) {
	e := l.ref(name)
	select {
	case e.sem <- struct{}{}:
		return func() { <-e.sem; l.unref(name, e) }, true
	default:
		l.unref(name, e)
		return nil, false
	}
}
