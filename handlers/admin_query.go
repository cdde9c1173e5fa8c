package handlers

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/service-connector/service-connector/components"
	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/connector"
)

// The admin page's query parameters: the search, the filters, the page of connections and
// the page of the revocation queue. Every link and form of the page carries them, and every
// action returns to the page they name.
const (
	paramSearch    = "q"
	paramService   = "service"
	paramStatus    = "status"
	paramAfter     = "after"
	paramBefore    = "before"
	paramLast      = "last"
	paramQueuePage = "qpage"
	// paramReturn is the form field of an action that carries the page's query back.
	paramReturn = components.AdminReturnField
)

// Bounds on what the query may hold.
const (
	maxSearchLen = 100
	maxEmailLen  = 320
	maxQueuePage = 1_000_000
)

// adminQuery is the admin page's query, parsed and validated: what it asks for, and what
// was ignored and why.
type adminQuery struct {
	q       connector.AdminQuery
	ignored []string
}

// parseAdminQuery reads the admin page's query. A parameter that is malformed is ignored
// and named in ignored, so an old or edited link still shows a sane page; unknown
// parameters are dropped.
func parseAdminQuery(v url.Values) adminQuery {
	var a adminQuery
	ignore := func(format string, args ...any) { a.ignored = append(a.ignored, fmt.Sprintf(format, args...)) }
	if s := strings.TrimSpace(v.Get(paramSearch)); s != "" {
		switch {
		case len(s) > maxSearchLen:
			ignore("The search is longer than %d characters, so it is not applied.", maxSearchLen)
		case !printableASCII(s):
			ignore("The search holds characters no email or account has, so it is not applied.")
		default:
			a.q.Search = s
		}
	}
	if s := v.Get(paramService); s != "" {
		if services.ValidServiceID(s) {
			a.q.ServiceID = s
		} else {
			ignore("%q is not a service id, so the list is not filtered by service.", clip(s))
		}
	}
	if s := v.Get(paramStatus); s != "" {
		if st := connector.AdminState(s); slices.Contains(connector.AdminStates, st) {
			a.q.State = st
		} else {
			ignore("%q is not a status the page knows, so the list is not filtered by status.", clip(s))
		}
	}
	after, okAfter := parseCursor(v.Get(paramAfter))
	before, okBefore := parseCursor(v.Get(paramBefore))
	switch {
	case !okAfter || !okBefore:
		ignore("The link's page position is malformed, so the first page is shown.")
	case !after.IsZero() && !before.IsZero():
		ignore("The link names two page positions, so the first page is shown.")
	case !after.IsZero():
		a.q.After = after
	case !before.IsZero():
		a.q.Before = before
	case v.Get(paramLast) == "1":
		a.q.Last = true
	}
	if s := v.Get(paramQueuePage); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxQueuePage {
			ignore("%q is not a page of the revocation queue, so its first page is shown.", clip(s))
		} else {
			a.q.QueuePage = n
		}
	}
	return a
}

// parseCursor reads a page position, "EMAIL SERVICE_ID"; empty is no position.
func parseCursor(s string) (connector.AdminCursor, bool) {
	if s == "" {
		return connector.AdminCursor{}, true
	}
	email, svc, ok := strings.Cut(s, " ")
	if !ok || email == "" || len(email) > maxEmailLen || !printableASCII(email) || strings.Contains(email, " ") || !services.ValidServiceID(svc) {
		return connector.AdminCursor{}, false
	}
	return connector.AdminCursor{Email: email, ServiceID: svc}, true
}

// cursorValue writes a page position as parseCursor reads it.
func cursorValue(c connector.AdminCursor) string { return c.Email + " " + c.ServiceID }

// values is the query as URL parameters, in one canonical form: only what it asks for.
func queryValues(q connector.AdminQuery) url.Values {
	v := url.Values{}
	if q.Search != "" {
		v.Set(paramSearch, q.Search)
	}
	if q.ServiceID != "" {
		v.Set(paramService, q.ServiceID)
	}
	if q.State != connector.AdminAnyState {
		v.Set(paramStatus, string(q.State))
	}
	switch {
	case !q.After.IsZero():
		v.Set(paramAfter, cursorValue(q.After))
	case !q.Before.IsZero():
		v.Set(paramBefore, cursorValue(q.Before))
	case q.Last:
		v.Set(paramLast, "1")
	}
	if q.QueuePage > 1 {
		v.Set(paramQueuePage, strconv.Itoa(q.QueuePage))
	}
	return v
}

// adminURL is the admin page showing q: a path of this portal, never anything else.
func adminURL(q connector.AdminQuery) string {
	if enc := queryValues(q).Encode(); enc != "" {
		return components.AdminPath + "?" + enc
	}
	return components.AdminPath
}

// returnURL is where an action goes back to: the admin page with the query its form
// carried (paramReturn, an encoded query), re-read and re-written as adminURL writes it, so
// nothing but the admin page's own parameters reaches the redirect.
func returnURL(form string) string {
	return adminURL(parseAdminQuery(mustQuery(form)).q)
}

// printableASCII reports whether s holds printable ASCII characters only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// clip shortens what a person typed for a message about it.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// mustQuery reads an encoded query, or none when it is malformed.
func mustQuery(s string) url.Values {
	v, err := url.ParseQuery(s)
	if err != nil {
		return url.Values{}
	}
	return v
}
