package connector

import (
	"errors"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/exchange"
)

// Outcome is how one call the connector made to a service or to the installer ended, as its
// Observer is told.
type Outcome string

// The outcomes of a call.
const (
	// OutcomeOK: the service issued the key or confirmed it revoked; the delivery was written.
	OutcomeOK Outcome = "ok"
	// OutcomeRefused: the service refused the exchange (a 4xx answer: no key was minted), or
	// something in the person's home was in the way of the delivery.
	OutcomeRefused Outcome = "refused"
	// OutcomeFailed: anything else: a 5xx, a timeout, an unusable answer, a revocation the
	// service refused, or a call the portal could not make (no shared secret).
	OutcomeFailed Outcome = "failed"
)

// Observer is told the outcome of every call the connector makes to a service's protocol
// endpoints and to the installer, for the portal's metrics. It is told a service id at most,
// never a person, an account, a token id or a key. Its methods must be safe for concurrent
// use and return at once: they run on the use cases' path.
type Observer interface {
	// Exchanged is told of each token exchange, a replay by the worker included.
	Exchanged(serviceID string, outcome Outcome)
	// Revoked is told of each attempt at revoking a key.
	Revoked(serviceID string, outcome Outcome)
	// Delivered is told of each delivery of a person's whole state, which spans services.
	Delivered(outcome Outcome)
}

// noObserver is the Observer of a connector given none.
type noObserver struct{}

func (noObserver) Exchanged(string, Outcome) {}
func (noObserver) Revoked(string, Outcome)   {}
func (noObserver) Delivered(Outcome)         {}

// exchangeOutcome is the outcome of an exchange that returned err.
func exchangeOutcome(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, exchange.ErrRefused):
		return OutcomeRefused
	default:
		return OutcomeFailed
	}
}

// revokeOutcome is the outcome of a revocation that returned err: a refusal is a failure,
// as the key may still be live.
func revokeOutcome(err error) Outcome {
	if err == nil {
		return OutcomeOK
	}
	return OutcomeFailed
}

// deliveryOutcome is the outcome of a delivery that returned err: an EInvalid error means
// the home held something in the way (see install).
func deliveryOutcome(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case services.ErrorCode(err) == services.EInvalid:
		return OutcomeRefused
	default:
		return OutcomeFailed
	}
}
