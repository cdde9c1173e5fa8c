package connector

import (
	"math/rand/v2"
	"sync"
	"time"
)

// workState is what the connector's background work shares with the use cases, in memory
// only: the exchanges in flight in this process, the revocations being tried right now, and
// the channel that wakes Run when new work was queued.
type workState struct {
	mu       sync.Mutex
	inflight map[string]bool // request ids of exchanges a use case of this process runs
	revoking map[revocationKey]bool
	swept    time.Time // expiries up to here have been delivered
	wake     chan struct{}
}

type revocationKey struct{ serviceID, tokenID string }

func newWorkState() *workState {
	return &workState{inflight: map[string]bool{}, revoking: map[revocationKey]bool{}, wake: make(chan struct{}, 1)}
}

// begin marks an exchange as in flight, so recovery leaves its intent alone.
func (w *workState) begin(requestID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight[requestID] = true
}

// end hands an intent back to recovery.
func (w *workState) end(requestID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inflight, requestID)
}

func (w *workState) isInflight(requestID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.inflight[requestID]
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

// notify wakes Run without blocking; one pending wake-up is enough.
func (w *workState) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// backoff is how long to wait after the attempts-th failure: RetryBase doubled per earlier
// failure, at most RetryMax, with "equal jitter" (a uniform half of it added to the other
// half) so that many failures at once do not retry in lockstep.
func (c *Connector) backoff(attempts int) time.Duration {
	d := c.opts.RetryBase
	for i := 1; i < attempts && d < c.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, c.opts.RetryMax)
	half := d / 2
	return half + rand.N(d-half+1)
}
