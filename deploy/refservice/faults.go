package refservice

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/service-connector/service-connector/services"
)

// maxFaultLatency bounds the injected latency, so a typo cannot hang the demo.
const maxFaultLatency = 10 * time.Second

// injectedFault is the error answer of an injected fault.
const injectedFault = "injected fault"

// Faults makes a reference service flaky on purpose, for the demo and the specs: the
// protocol endpoints and health answer late, and sometimes fail, as real services do. The
// zero value injects nothing.
type Faults struct {
	Exchange, Revoke, Health float64 // probability, 0..1, that the endpoint answers 503
	// Lost is the probability that an exchange mints its key and then answers 503 instead,
	// as when a service crashes after committing, or the answer is lost on the way: the
	// key is live and the client never learns it, until it retries with the same request_id.
	Lost float64
	// Deliver is the probability that a delivery into a home fails. The reference services
	// do not deliver; the demo's installer reads it.
	Deliver                float64
	LatencyMin, LatencyMax time.Duration  // every faulty endpoint waits a random time in this range
	Rand                   func() float64 // in [0, 1); nil means a locked math/rand/v2 source
	// Counts counts the faults injected; nil means the service keeps counts of its own.
	Counts *FaultCounts
}

// FaultCounts counts injected faults by kind. It is safe for concurrent use.
type FaultCounts struct {
	Exchange, Lost, Revoke, Health, Deliver atomic.Int64
}

// Snapshot returns the counts by kind, as the fault description names them.
func (c *FaultCounts) Snapshot() map[string]int64 {
	return map[string]int64{
		"exchange": c.Exchange.Load(), "lost": c.Lost.Load(), "revoke": c.Revoke.Load(),
		"health": c.Health.Load(), "deliver": c.Deliver.Load(),
	}
}

// ParseFaults reads a fault description such as "exchange=0.1,revoke=0.2,health=0.1,latency=0-200ms".
// The empty string means no faults.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return Faults{}, services.Errorf(services.EInvalid, "faults: %q is not key=value", strings.TrimSpace(part))
		}
		if seen[key] {
			return Faults{}, services.Errorf(services.EInvalid, "faults: %s is given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "exchange":
			f.Exchange, err = parseProbability(key, value)
		case "revoke":
			f.Revoke, err = parseProbability(key, value)
		case "health":
			f.Health, err = parseProbability(key, value)
		case "lost":
			f.Lost, err = parseProbability(key, value)
		case "deliver":
			f.Deliver, err = parseProbability(key, value)
		case "latency":
			f.LatencyMin, f.LatencyMax, err = parseLatency(value)
		default:
			return Faults{}, services.Errorf(services.EInvalid, "faults: unknown key %q; the keys are exchange, lost, revoke, health, deliver and latency", key)
		}
		if err != nil {
			return Faults{}, err
		}
	}
	return f, nil
}

func parseProbability(key, value string) (float64, error) {
	p, err := strconv.ParseFloat(value, 64)
	// NaN compares false with everything, so it is refused explicitly.
	if err != nil || math.IsNaN(p) || p < 0 || p > 1 {
		return 0, services.Errorf(services.EInvalid, "faults: %s=%s is not a probability between 0 and 1", key, value)
	}
	return p, nil
}

// parseLatency reads "A-Bms" or "A-Bs": whole numbers sharing one unit.
func parseLatency(value string) (time.Duration, time.Duration, error) {
	bad := services.Errorf(services.EInvalid, "faults: latency=%s is not a range such as 0-200ms or 1-2s", value)
	unit, digits := time.Duration(0), ""
	if d, ok := strings.CutSuffix(value, "ms"); ok {
		unit, digits = time.Millisecond, d
	} else if d, ok := strings.CutSuffix(value, "s"); ok {
		unit, digits = time.Second, d
	} else {
		return 0, 0, bad
	}
	lo, hi, ok := strings.Cut(digits, "-")
	if !ok {
		return 0, 0, bad
	}
	a, errA := strconv.ParseUint(lo, 10, 32)
	b, errB := strconv.ParseUint(hi, 10, 32)
	if errA != nil || errB != nil {
		return 0, 0, bad
	}
	minimum, maximum := time.Duration(a)*unit, time.Duration(b)*unit
	if minimum > maximum {
		return 0, 0, services.Errorf(services.EInvalid, "faults: latency=%s: the minimum is above the maximum", value)
	}
	if maximum > maxFaultLatency {
		return 0, 0, services.Errorf(services.EInvalid, "faults: latency=%s: the maximum is above 10s", value)
	}
	return minimum, maximum, nil
}

// lockedRand is a math/rand/v2 source safe for the handlers' goroutines.
func lockedRand() func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

// withFaults wraps an endpoint so that it first waits the injected latency and then, with
// probability p, answers 503 without running next, so that a fault changes no state.
func (f Faults) withFaults(p float64, count *atomic.Int64, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := f.sleep(r.Context()); err != nil {
			// The client has gone; nobody reads the answer.
			writeProtocolError(w, http.StatusServiceUnavailable, injectedFault)
			return
		}
		if p > 0 && f.Rand() < p {
			count.Add(1)
			writeProtocolError(w, http.StatusServiceUnavailable, injectedFault)
			return
		}
		next(w, r)
	}
}

// withLostAnswer wraps the exchange so that, with probability p, it mints as usual and then
// throws the answer away and answers 503.
func (f Faults) withLostAnswer(p float64, next http.HandlerFunc) http.HandlerFunc {
	if p <= 0 {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if f.Rand() >= p {
			next(w, r)
			return
		}
		f.Counts.Lost.Add(1)
		next(discardWriter{header: http.Header{}}, r)
		writeProtocolError(w, http.StatusServiceUnavailable, injectedFault)
	}
}

// Fail reports, with probability p, that an injected fault happens now, and counts it.
func (f Faults) Fail(p float64, count *atomic.Int64) bool {
	if p <= 0 {
		return false
	}
	r := rand.Float64
	if f.Rand != nil {
		r = f.Rand
	}
	if r() >= p {
		return false
	}
	count.Add(1)
	return true
}

// discardWriter is a ResponseWriter whose answer nobody reads.
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

// sleep waits a random latency in [LatencyMin, LatencyMax], or until ctx ends.
func (f Faults) sleep(ctx context.Context) error {
	d := f.LatencyMin
	if spread := f.LatencyMax - f.LatencyMin; spread > 0 {
		d += time.Duration(f.Rand() * float64(spread+1))
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
