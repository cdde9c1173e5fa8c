package identity

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// Mapper maps a signed-in email address to a server user name. It is immutable and safe
// for concurrent use.
type Mapper struct {
	domains map[string]bool   // allowed domains, lower-cased; empty allows any domain
	users   map[string]string // normalized email → user name
}

// NewMapper returns a Mapper that accepts addresses in allowedDomains (any domain when
// empty, which only the demo should do) and that looks addresses up in userMap first.
// Both are checked here, so a bad configuration stops the portal at start-up rather than
// failing one sign-in at a time.
func NewMapper(allowedDomains []string, userMap map[string]string) (*Mapper, error) {
	m := &Mapper{domains: map[string]bool{}, users: map[string]string{}}
	for _, d := range allowedDomains {
		domain := strings.ToLower(strings.TrimSpace(d))
		if !validDomain(domain) {
			return nil, fmt.Errorf("new identity mapper: allowed domain %q is not a domain name", d)
		}
		m.domains[domain] = true
	}
	// Sorted, so the same file always yields the same error.
	for _, email := range slices.Sorted(maps.Keys(userMap)) {
		username := userMap[email]
		normalized, err := NormalizeEmail(email)
		if err != nil {
			return nil, fmt.Errorf("new identity mapper: user map key %q is not a valid email address", email)
		}
		if !services.ValidUsername(username) {
			return nil, fmt.Errorf("new identity mapper: user map entry %s: %q is not a valid server user name", normalized, username)
		}
		if previous, dup := m.users[normalized]; dup && previous != username {
			return nil, fmt.Errorf("new identity mapper: user map lists %s twice, as %q and %q", normalized, previous, username)
		}
		m.users[normalized] = username
	}
	return m, nil
}

// Username returns the server user name for email: the user map's entry if there is one,
// otherwise the lower-cased local part, for an allowed domain only. An admin's map entry
// is an explicit decision, so it applies whatever the domain; sign-in checks Allowed on
// its own.
func (m *Mapper) Username(email string) (string, error) {
	normalized, err := NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if username, ok := m.users[normalized]; ok {
		return username, nil
	}
	local, domain := splitEmail(normalized)
	if !m.allowedDomain(domain) {
		return "", services.Errorf(services.EInvalid, "%s is not in a domain allowed to use this portal", normalized)
	}
	if !services.ValidUsername(local) {
		return "", services.Errorf(services.EInvalid, "%s has no account on the analyst server yet: %q cannot be an account name there. "+
			"Ask the platform team, who run this portal, to link your email to your account: tell them your email and the user name you use on the analyst server.",
			normalized, local)
	}
	return local, nil
}

// Allowed reports whether email is a valid address in an allowed domain. It checks the
// domain only, not the user map or the user name.
func (m *Mapper) Allowed(email string) bool {
	normalized, err := NormalizeEmail(email)
	if err != nil {
		return false
	}
	_, domain := splitEmail(normalized)
	return m.allowedDomain(domain)
}

func (m *Mapper) allowedDomain(domain string) bool {
	return len(m.domains) == 0 || m.domains[domain]
}
