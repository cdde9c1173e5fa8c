package refservice_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("CRM API", func() {
	const list = "/crm/api/customers"
	var (
		w   *world
		key services.Secret
	)

	BeforeEach(func() {
		w = newWorld()
		key, _ = w.connect("crm", crmSecret, "john@your-domain.com")
	})

	It("lists the 25 customers", func() {
		a := w.get(list, key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("total", BeNumerically("==", 25)))
		Expect(a.json).To(HaveKeyWithValue("next_page", BeNumerically("==", 2)))
		Expect(a.ids()[0]).To(Equal("CUS-3001"))
		Expect(w.all(list, key.Reveal())).To(HaveLen(25))
	})

	DescribeTable("filters by segment",
		func(segment string, total int) {
			customers := w.all(list+"?segment="+segment, key.Reveal())

			Expect(customers).To(HaveLen(total))
			Expect(customers).To(HaveEach(HaveKeyWithValue("segment", segment)))
		},
		Entry("enterprise", "enterprise", 5),
		Entry("mid-market", "mid_market", 10),
		Entry("small business", "smb", 10),
	)

	It("searches by a part of the name, in any case", func() {
		a := w.get(list+"?q=LOGISTICS", key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.items()).To(ConsistOf(HaveKeyWithValue("name", "Nordwind Logistics GmbH")))
	})

	It("answers one customer by id, and 404 for one that does not exist", func() {
		a := w.get(list+"/CUS-3001", key.Reveal())
		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("name", "Nordwind Logistics GmbH"))
		Expect(a.json).To(HaveKeyWithValue("currency", "EUR"))
		Expect(a.json).To(HaveKeyWithValue("customer_since", MatchRegexp(`^\d{4}-\d{2}-\d{2}$`)))

		missing := w.get(list+"/CUS-0001", key.Reveal())
		Expect(missing.status).To(Equal(http.StatusNotFound), missing.raw)
		Expect(missing.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
	})

	DescribeTable("refuses bad query values with 400",
		func(query string) {
			a := w.get(list+"?"+query, key.Reveal())

			Expect(a.status).To(Equal(http.StatusBadRequest), a.raw)
			Expect(a.json).To(HaveKeyWithValue("error", Not(BeEmpty())))
		},
		Entry("an unknown segment", "segment=large"),
		Entry("per_page over 100", "per_page=500"),
		Entry("an unknown parameter", "name=nordwind"),
	)

	It("refuses a call without a key", func() {
		Expect(w.get(list, "").status).To(Equal(http.StatusUnauthorized))
	})
})

var _ = Describe("The seeded data of the three APIs", func() {
	var (
		w                          *world
		orders, invoices, accounts []map[string]any
	)

	BeforeEach(func() {
		w = newWorld()
		poKey, _ := w.connect("purchase_orders", poSecret, "john@your-domain.com")
		invKey, _ := w.connect("invoicing", invSecret, "john@your-domain.com")
		crmKey, _ := w.connect("crm", crmSecret, "john@your-domain.com")
		orders = w.all("/purchase_orders/api/purchase-orders", poKey.Reveal())
		invoices = w.all("/invoicing/api/invoices", invKey.Reveal())
		accounts = w.all("/crm/api/customers", crmKey.Reveal())
	})

	It("refers only to customers and orders that exist, and agrees on who ordered what", func() {
		customerIDs := map[any]bool{}
		for _, c := range accounts {
			customerIDs[c["id"]] = true
		}
		orderCustomer := map[any]any{}
		for _, po := range orders {
			Expect(customerIDs).To(HaveKey(po["customer_id"]))
			orderCustomer[po["id"]] = po["customer_id"]
		}
		for _, inv := range invoices {
			Expect(customerIDs).To(HaveKey(inv["customer_id"]))
			Expect(orderCustomer).To(HaveKeyWithValue(inv["po_number"], inv["customer_id"]))
		}
	})

	It("is the same in every run", func() {
		other := newWorld()
		key, _ := other.connect("invoicing", invSecret, "mary@your-domain.com")

		Expect(other.all("/invoicing/api/invoices", key.Reveal())).To(Equal(invoices))
	})
})
