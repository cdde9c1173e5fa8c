package connector

import (
	"sync"
	"time"
)

// workState is what the connector's background work keeps in memory only: how far the
// expiry sweep got, and the channel that wakes Run when new work was queued. Which work
// is under way is the store's to know (its claims and person locks), across portals.
type workState struct {
	mu    sync.Mutex
	swept time.Time // expiries up to here have been delivered
	wake  chan struct{}
}

func newWorkState() *workState {
	return &workState{wake: make(chan struct{}, 1)}
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
