package registry

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// urlProblem says what is wrong with a service URL, or returns "". The portal sends the
// shared secret to these URLs, so they must be https; plain http is tolerated only on
// loopback, where the demo and a co-located service live. The value is quoted only once it
// is known to hold no user info, because that part could carry a password.
func urlProblem(raw string) string {
	if raw == "" {
		return "must not be empty"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.User != nil {
		return "must not contain user info; credentials belong in the service's shared secret"
	}
	switch {
	case u.Scheme == "":
		return fmt.Sprintf("%q must be an absolute URL such as https://host/path", raw)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q must use https", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q must name a host", raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Sprintf("%q may use http only for a loopback host; use https", raw)
	case strings.Contains(raw, "#"):
		return fmt.Sprintf("%q must not contain a fragment", raw)
	}
	return ""
}

// isLoopback reports whether host is localhost or a loopback address (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
