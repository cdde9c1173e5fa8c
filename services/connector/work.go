package connector

import (
	"sync"
	"time"
)

// workState is what the connector's background work shares with the use cases, in memory
// only: the revocations being tried right now, how far the expiry sweep got, and the channel
// that wakes Run when new work was queued. Which exchanges are in flight needs no record of
// its own: their person's lock is held for as long as they run (see recoverIntent).
type workState struct {
	mu       sync.Mutex
	revoking map[revocationKey]bool
	swept    time.Time // expiries up to here have been delivered
	wake     chan struct{}
}

type revocationKey struct{ serviceID, tokenID string }

func newWorkState() *workState {
	return &workState{revoking: map[revocationKey]bool{}, wake: make(chan struct{}, 1)}
}

// claimRevocation reports whether the caller may try the revocation now; a second caller
// waits for the next pass rather than counting a second attempt.
func (w *workState) claimRevocation(k revocationKey) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.revoking[k] {
		return false
	}
	w.revoking[k] = true
	return true
}

func (w *workState) releaseRevocation(k revocationKey) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.revoking, k)
}

// sweptUntil is where the last expiry sweep ended.
func (w *workState) sweptUntil() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.swept
}

// sweptTo records where an expiry sweep ended.
func (w *workState) sweptTo(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.swept = t
}

// notify wakes Run without blocking; one pending wake-up is enough.
func (w *workState) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}
