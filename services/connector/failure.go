package connector

import (
	"errors"

	"github.com/service-connector/service-connector/services/exchange"
)

// ServiceRefused reports whether err says a service refused the portal's request (a 4xx
// answer): the portal's setup for that service is wrong, not the service.
func ServiceRefused(err error) bool { return errors.Is(err, exchange.ErrRefused) }

// ServiceFailed reports whether err says a service failed to answer properly: a 5xx, a
// timeout or an unusable answer. The portal itself did its part.
func ServiceFailed(err error) bool { return errors.Is(err, exchange.ErrServiceFailed) }
