package refservice_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Invoicing API", func() {
	const list = "/invoicing/api/invoices"
	var (
		w   *world
		key services.Secret
	)

	BeforeEach(func() {
		w = newWorld()
		key, _ = w.connect("invoicing", invSecret, "john@your-domain.com")
	})

	It("lists the 40 invoices a page at a time", func() {
		a := w.get(list+"?per_page=15&page=2", key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("total", BeNumerically("==", 40)))
		Expect(a.json).To(HaveKeyWithValue("per_page", BeNumerically("==", 15)))
		Expect(a.json).To(HaveKeyWithValue("next_page", BeNumerically("==", 3)))
		Expect(a.ids()).To(HaveLen(15))
		Expect(a.ids()[0]).To(Equal("INV-2016"))
	})

	It("describes each invoice with EUR amounts that add up", func() {
		for _, inv := range w.all(list, key.Reveal()) {
			Expect(inv).To(HaveKeyWithValue("currency", "EUR"))
			Expect(inv["total_amount"]).To(BeNumerically("~", inv["net_amount"].(float64)+inv["tax_amount"].(float64), 0.001))
			if inv["status"] == "paid" {
				Expect(inv).To(HaveKeyWithValue("amount_due", BeNumerically("==", 0)))
				Expect(inv).To(HaveKeyWithValue("paid_date", MatchRegexp(`^\d{4}-\d{2}-\d{2}$`)))
			} else {
				Expect(inv["amount_due"]).To(Equal(inv["total_amount"]))
				Expect(inv).To(HaveKeyWithValue("paid_date", BeNil()))
			}
		}
	})

	DescribeTable("filters by status",
		func(status string, total int) {
			invoices := w.all(list+"?status="+status, key.Reveal())

			Expect(invoices).To(HaveLen(total))
			Expect(invoices).To(HaveEach(HaveKeyWithValue("status", status)))
		},
		Entry("draft", "draft", 5),
		Entry("sent", "sent", 10),
		Entry("paid", "paid", 20),
		Entry("overdue", "overdue", 5),
	)

	It("filters by customer", func() {
		invoices := w.all(list+"?customer_id=CUS-3001", key.Reveal())

		Expect(invoices).NotTo(BeEmpty())
		Expect(invoices).To(HaveEach(HaveKeyWithValue("customer_id", "CUS-3001")))
	})

	It("finds nothing for a customer without invoices", func() {
		a := w.get(list+"?customer_id=CUS-9999", key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.items()).To(BeEmpty())
		Expect(a.json).To(HaveKeyWithValue("total", BeNumerically("==", 0)))
	})

	It("answers one invoice by id, and 404 for one that does not exist", func() {
		a := w.get(list+"/INV-2001", key.Reveal())
		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("id", "INV-2001"))
		Expect(a.json).To(HaveKeyWithValue("po_number", MatchRegexp(`^PO-\d+$`)))

		missing := w.get(list+"/INV-1", key.Reveal())
		Expect(missing.status).To(Equal(http.StatusNotFound), missing.raw)
		Expect(missing.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
	})

	DescribeTable("refuses bad query values with 400",
		func(query string) {
			a := w.get(list+"?"+query, key.Reveal())

			Expect(a.status).To(Equal(http.StatusBadRequest), a.raw)
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
		},
		Entry("an unknown status", "status=unpaid"),
		Entry("a malformed customer_id", "customer_id=3001"),
		Entry("a customer_id without digits", "customer_id=CUS-"),
		Entry("a filter of another API", "supplier=atlas"),
	)

	It("refuses a call without a key", func() {
		Expect(w.get(list, "").status).To(Equal(http.StatusUnauthorized))
		Expect(w.get(list+"/INV-2001", "").status).To(Equal(http.StatusUnauthorized))
	})
})
