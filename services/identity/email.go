// Package identity turns the email a person signs in with into the server account their
// keys and skills are delivered to.
package identity

import (
	"net/mail"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// maxEmailLength is the longest address SMTP can carry (RFC 5321 path limit less the brackets).
const maxEmailLength = 254

// NormalizeEmail returns email trimmed and lower-cased, or an EInvalid error unless it is a
// bare address (local@domain, no display name, comment or quoting) with a plain DNS domain,
// in ASCII. Comparing normalized addresses is what makes the user map and the domain check
// case-insensitive. Outside ASCII, lower-casing would make two people one: the Kelvin sign
// lower-cases to k, the dotted capital I to i, so "\u212Aate@..." would be kate.
func NormalizeEmail(email string) (string, error) {
	e := services.LowerASCII(strings.TrimSpace(email))
	if e == "" {
		return "", services.Errorf(services.EInvalid, "an email address is required")
	}
	if len(e) > maxEmailLength {
		return "", services.Errorf(services.EInvalid, "the email address is longer than %d characters", maxEmailLength)
	}
	invalid := services.Errorf(services.EInvalid, "%q is not a valid email address", strings.TrimSpace(email))
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || strings.Contains(domain, "@") || !validDomain(domain) || !isASCII(local) {
		return "", invalid
	}
	// ParseAddress also accepts "Name <addr>", comments and quoted local parts; insisting
	// that it gives back exactly the input leaves only the plain addr-spec form.
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Name != "" || addr.Address != e {
		return "", invalid
	}
	return e, nil
}

// validDomain reports whether d is a lower-case DNS name: dot-separated labels of letters,
// digits and inner hyphens. Address literals and internationalized forms are refused
// because no allowed domain can match them.
func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// splitEmail splits a normalized address into its local part and domain.
func splitEmail(normalized string) (local, domain string) {
	local, domain, _ = strings.Cut(normalized, "@")
	return local, domain
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
