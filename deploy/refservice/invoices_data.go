package refservice

import (
	"fmt"
	"time"
)

// Statuses of an invoice.
const (
	invDraft   = "draft"
	invSent    = "sent"
	invPaid    = "paid"
	invOverdue = "overdue"
)

// invoice is a bill to a customer for the goods of one purchase order, with a margin on
// what we paid the supplier.
type invoice struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	CustomerID   string  `json:"customer_id"`
	CustomerName string  `json:"customer_name"`
	PONumber     string  `json:"po_number"`
	IssueDate    string  `json:"issue_date"`
	DueDate      string  `json:"due_date"`
	PaidDate     *string `json:"paid_date"`
	Currency     string  `json:"currency"`
	NetAmount    float64 `json:"net_amount"`
	TaxAmount    float64 `json:"tax_amount"`
	TotalAmount  float64 `json:"total_amount"`
	AmountDue    float64 `json:"amount_due"`
}

// seedInvoices returns the 40 invoices INV-2001 to INV-2040. They bill the approved and
// received orders: the first 25 one invoice each, and for the first 15 orders a second,
// final invoice splits the bill in two.
func seedInvoices(orders []purchaseOrder, customers []customer) []invoice {
	names := map[string]string{}
	for _, c := range customers {
		names[c.ID] = c.Name
	}
	var billable []purchaseOrder
	for _, po := range orders {
		if po.Status == poApproved || po.Status == poReceived {
			billable = append(billable, po)
		}
	}
	const count = 40
	// Per eight invoices: four paid, two sent, one overdue, one draft.
	statuses := []string{invPaid, invSent, invPaid, invOverdue, invPaid, invDraft, invSent, invPaid}

	invoices := make([]invoice, count)
	for i := range invoices {
		po := billable[i%len(billable)]
		final := i >= len(billable)
		split := i%len(billable) < count-len(billable)
		// The customer pays the supplier's price plus a 30 % margin, in one or two parts.
		bill := po.net * 130 / 100
		net := bill
		if split {
			net = bill / 2
			if final {
				net = bill - bill/2
			}
		}
		issued := po.ordered.AddDate(0, 0, 3)
		if final {
			issued = po.ordered.AddDate(0, 0, 35)
		}
		status := statuses[i%len(statuses)]
		total := net + vat(net)
		due := total
		var paid time.Time
		if status == invPaid {
			paid = issued.AddDate(0, 0, 12+i%20)
			due = 0
		}
		invoices[i] = invoice{
			ID:           fmt.Sprintf("INV-%d", 2001+i),
			Status:       status,
			CustomerID:   po.CustomerID,
			CustomerName: names[po.CustomerID],
			PONumber:     po.ID,
			IssueDate:    isoDate(issued),
			DueDate:      isoDate(issued.AddDate(0, 0, 30)),
			PaidDate:     isoDatePtr(paid),
			Currency:     currency,
			NetAmount:    net.euros(),
			TaxAmount:    vat(net).euros(),
			TotalAmount:  total.euros(),
			AmountDue:    due.euros(),
		}
	}
	return invoices
}
