package refservice

import (
	"net/http"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// Paging bounds of every list endpoint.
const (
	defaultPerPage = 20
	maxPerPage     = 100
)

// listAnswer is one page of a list endpoint.
type listAnswer[T any] struct {
	Items    []T  `json:"items"`
	Page     int  `json:"page"`
	PerPage  int  `json:"per_page"`
	Total    int  `json:"total"`
	NextPage *int `json:"next_page"`
}

// paginate cuts page number page out of all. A page past the end is empty, not an error,
// so a client walking next_page never needs a special case.
func paginate[T any](all []T, page, perPage int) listAnswer[T] {
	answer := listAnswer[T]{Items: []T{}, Page: page, PerPage: perPage, Total: len(all)}
	// Compare before multiplying, so a huge page cannot overflow.
	if page-1 > len(all)/perPage {
		return answer
	}
	start := min((page-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	answer.Items = append(answer.Items, all[start:end]...)
	if end < len(all) {
		next := page + 1
		answer.NextPage = &next
	}
	return answer
}

// serveList answers a list request: 400 for a bad query, else the page of the items that
// keep passes. build reads the filters from the query and returns keep.
func serveList[T any](w http.ResponseWriter, r *http.Request, all []T, filters []string, build func(listQuery) (func(T) bool, error)) {
	answer, err := listPage(r, all, filters, build)
	if err != nil {
		writeError(w, statusFor(err), services.ErrorMessage(err))
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// listPage reads the query of r and cuts the asked page out of the items it keeps.
func listPage[T any](r *http.Request, all []T, filters []string, build func(listQuery) (func(T) bool, error)) (listAnswer[T], error) {
	q, err := readListQuery(r, filters...)
	if err != nil {
		return listAnswer[T]{}, err
	}
	keep, err := build(q)
	if err != nil {
		return listAnswer[T]{}, err
	}
	page, perPage, err := q.paging()
	if err != nil {
		return listAnswer[T]{}, err
	}
	var matching []T
	for _, item := range all {
		if keep(item) {
			matching = append(matching, item)
		}
	}
	return paginate(matching, page, perPage), nil
}

// serveOne answers the item whose id is the {id} path value, or 404.
func serveOne[T any](w http.ResponseWriter, r *http.Request, all []T, idOf func(T) string, kind string) {
	id := r.PathValue("id")
	for _, item := range all {
		if idOf(item) == id {
			writeJSON(w, http.StatusOK, item)
			return
		}
	}
	err := services.Errorf(services.ENotFound, "There is no %s with id %q.", kind, id)
	writeError(w, statusFor(err), services.ErrorMessage(err))
}

// containsFold reports whether sub occurs in s, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
