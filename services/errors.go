package services

import (
	"errors"
	"fmt"
)

// Code classifies a domain error. Handlers map a Code to an HTTP status in one place.
type Code string

// The error vocabulary of the domain.
const (
	ENotFound    Code = "not_found"   // the thing asked for does not exist
	EInvalid     Code = "invalid"     // the request is malformed or breaks a rule
	EConflict    Code = "conflict"    // the request clashes with the current state
	EUnavailable Code = "unavailable" // a dependency (service, delivery) failed or is not configured
	EInternal    Code = "internal"    // a bug or an unexpected failure
)

// Error is a domain error. Message is safe to show to the person using the portal;
// Err carries the cause for the log and must never hold a secret either.
type Error struct {
	Code    Code
	Message string
	Err     error
}

// Errorf returns an *Error with a safe, formatted message and no cause.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with a safe message and the underlying cause for the log.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Error describes the error for logs: the safe message followed by the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap gives errors.Is and errors.As access to the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the first *Error in err's chain, or EInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message of the first *Error in err's chain that is safe to show,
// or a generic sentence for anything else, so an internal detail never reaches a person.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal && e.Message != "" {
		return e.Message
	}
	return "Something went wrong on our side. Please try again; if it keeps happening, tell the platform team."
}
