package refservice

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// listQuery is the query string of a list endpoint. Unknown and repeated parameters are
// refused rather than ignored, so a typo like ?stauts=open cannot quietly return
// everything.
type listQuery struct {
	values url.Values
}

// readListQuery parses r's query string, allowing filters plus page and per_page.
func readListQuery(r *http.Request, filters ...string) (listQuery, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return listQuery{}, services.Errorf(services.EInvalid, "The query string is malformed.")
	}
	allowed := append(slices.Clone(filters), "page", "per_page")
	for _, name := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(allowed, name) {
			return listQuery{}, services.Errorf(services.EInvalid, "Unknown query parameter %q; this endpoint accepts %s.", name, strings.Join(allowed, ", "))
		}
		if len(values[name]) > 1 {
			return listQuery{}, services.Errorf(services.EInvalid, "Give the query parameter %s only once.", name)
		}
	}
	return listQuery{values: values}, nil
}

// text returns the value of a filter, "" when absent.
func (q listQuery) text(name string) string { return q.values.Get(name) }

// oneOf returns the value of a filter that must be one of choices, "" when absent.
func (q listQuery) oneOf(name string, choices ...string) (string, error) {
	v := q.values.Get(name)
	if v == "" || slices.Contains(choices, v) {
		return v, nil
	}
	return "", services.Errorf(services.EInvalid, "%s must be one of: %s.", name, strings.Join(choices, ", "))
}

// paging returns page (default 1) and per_page (default 20, at most 100).
func (q listQuery) paging() (page, perPage int, err error) {
	page, perPage = 1, defaultPerPage
	if v := q.values.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, services.Errorf(services.EInvalid, "page must be a whole number of at least 1.")
		}
	}
	if v := q.values.Get("per_page"); v != "" {
		if perPage, err = strconv.Atoi(v); err != nil || perPage < 1 || perPage > maxPerPage {
			return 0, 0, services.Errorf(services.EInvalid, "per_page must be a whole number from 1 to 100.")
		}
	}
	return page, perPage, nil
}
