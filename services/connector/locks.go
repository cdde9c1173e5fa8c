package connector

import (
	"context"
	"sync"

	"github.com/service-connector/service-connector/services"
)

// userLocks serializes the changes of one person (by server account) while letting
// different people proceed in parallel. A waiter gives up when its context ends, so a stuck
// service cannot pile up requests forever; entries are dropped when nobody holds or waits
// for them.
type userLocks struct {
	mu    sync.Mutex
	locks map[string]*userLock
}

type userLock struct {
	sem  chan struct{}
	refs int
}

func newUserLocks() *userLocks { return &userLocks{locks: map[string]*userLock{}} }

// lock takes the lock of key and returns its release function.
func (u *userLocks) lock(ctx context.Context, key string) (func(), error) {
	l := u.ref(key)
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem; u.unref(key, l) }, nil
	case <-ctx.Done():
		u.unref(key, l)
		return nil, services.Wrap(services.EUnavailable, ctx.Err(), "Another change of yours is still in progress; please try again in a moment.")
	}
}

// tryLock takes the lock of key only if nobody holds it, and reports whether it did.
func (u *userLocks) tryLock(key string) (func(), bool) {
	l := u.ref(key)
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem; u.unref(key, l) }, true
	default:
		u.unref(key, l)
		return nil, false
	}
}

// ref returns the lock of key, counting the caller among its users.
func (u *userLocks) ref(key string) *userLock {
	u.mu.Lock()
	defer u.mu.Unlock()
	l, ok := u.locks[key]
	if !ok {
		l = &userLock{sem: make(chan struct{}, 1)}
		u.locks[key] = l
	}
	l.refs++
	return l
}

func (u *userLocks) unref(key string, l *userLock) {
	u.mu.Lock()
	defer u.mu.Unlock()
	l.refs--
	if l.refs == 0 {
		delete(u.locks, key)
	}
}
