package refservice

import (
	"net/http"
	"strings"

	"github.com/service-connector/service-connector/services"
)

// invoiceAPI is the business API of an Invoicing service.
type invoiceAPI struct {
	invoices []invoice
}

// list serves GET /api/invoices?status=&customer_id=&page=&per_page=.
func (a invoiceAPI) list(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveList(w, r, a.invoices, []string{"status", "customer_id"}, func(q listQuery) (func(invoice) bool, error) {
		status, err := q.oneOf("status", invDraft, invSent, invPaid, invOverdue)
		if err != nil {
			return nil, err
		}
		customerID := q.text("customer_id")
		if customerID != "" && !validCustomerID(customerID) {
			return nil, services.Errorf(services.EInvalid, "customer_id must be a customer id such as CUS-3001.")
		}
		return func(inv invoice) bool {
			return (status == "" || inv.Status == status) && (customerID == "" || inv.CustomerID == customerID)
		}, nil
	})
}

// get serves GET /api/invoices/{id}.
func (a invoiceAPI) get(w http.ResponseWriter, r *http.Request, _ TokenInfo) {
	serveOne(w, r, a.invoices, func(inv invoice) string { return inv.ID }, "invoice")
}

// validCustomerID reports whether id is shaped like a CRM id: "CUS-" and digits. A
// malformed id is a mistake worth saying; a well-formed unknown one just matches nothing.
func validCustomerID(id string) bool {
	digits, ok := strings.CutPrefix(id, "CUS-")
	if !ok || digits == "" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
