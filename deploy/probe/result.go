package probe

import (
	"errors"
	"fmt"
	"io"
)

// The checks, in the order Run performs them; each names a line of the report.
const (
	CheckExchange    = "exchange"
	CheckRetry       = "retry"
	CheckKeyWorks    = "key works"
	CheckHealth      = "health"
	CheckRevoke      = "revoke"
	CheckKeyDead     = "key stops working"
	CheckRevokeAgain = "revoke again"
)

// errNotRun is the reason of a check that needs the key the exchange did not give.
var errNotRun = errors.New("not run: the exchange gave no key")

// Result is the outcome of one check. Neither Detail nor Err ever holds the key, the
// secret or a response body.
type Result struct {
	Check  string
	Detail string // what passed, when Err is nil
	Err    error  // why the check failed
	// Warning is what the service does that the protocol allows but the portal copes with
	// less well; the check still passes.
	Warning string
}

// Passed reports whether the check passed.
func (r Result) Passed() bool { return r.Err == nil }

// String is the report line: "PASS check: detail", "WARN check: warning" or "FAIL check: reason".
func (r Result) String() string {
	if r.Err == nil && r.Warning != "" {
		return fmt.Sprintf("WARN %s: %s", r.Check, r.Warning)
	}
	if r.Err != nil {
		return fmt.Sprintf("FAIL %s: %v", r.Check, r.Err)
	}
	return fmt.Sprintf("PASS %s: %s", r.Check, r.Detail)
}

// AllPassed reports whether every check passed.
func AllPassed(results []Result) bool {
	for _, r := range results {
		if !r.Passed() {
			return false
		}
	}
	return len(results) > 0
}

// Print writes one line per result to w.
func Print(w io.Writer, results []Result) error {
	for _, r := range results {
		if _, err := fmt.Fprintln(w, r.String()); err != nil {
			return fmt.Errorf("print probe results: %w", err)
		}
	}
	return nil
}
