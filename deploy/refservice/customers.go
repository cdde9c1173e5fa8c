package refservice

import "net/http"

// customerAPI is the business API of a CRM service.
type customerAPI struct {
	customers []customer
}

// list serves GET /api/customers?q=&segment=&page=&per_page=.
func (a customerAPI) list(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveList(w, r, a.customers, []string{"q", "segment"}, func(q listQuery) (func(customer) bool, error) {
		segment, err := q.oneOf("segment", segmentEnterprise, segmentMidMarket, segmentSMB)
		if err != nil {
			return nil, err
		}
		name := q.text("q")
		return func(c customer) bool {
			return (segment == "" || c.Segment == segment) && containsFold(c.Name, name)
		}, nil
	})
}

// get serves GET /api/customers/{id}.
func (a customerAPI) get(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveOne(w, r, a.customers, func(c customer) string { return c.ID }, "customer")
}
