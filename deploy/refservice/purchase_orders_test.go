package refservice_test

import (
	"fmt"
	"net/http"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
)

var _ = Describe("Purchase Orders API", func() {
	const list = "/purchase_orders/api/purchase-orders"
	var (
		w   *world
		key services.Secret
	)

	BeforeEach(func() {
		w = newWorld()
		key, _ = w.connect("purchase_orders", poSecret, "john@your-domain.com")
	})

	It("lists the first page of 20 of the 45 orders", func() {
		a := w.get(list, key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.header.Get("Content-Type")).To(Equal("application/json"))
		Expect(a.json).To(HaveKeyWithValue("page", BeNumerically("==", 1)))
		Expect(a.json).To(HaveKeyWithValue("per_page", BeNumerically("==", 20)))
		Expect(a.json).To(HaveKeyWithValue("total", BeNumerically("==", 45)))
		Expect(a.json).To(HaveKeyWithValue("next_page", BeNumerically("==", 2)))
		Expect(a.ids()).To(HaveLen(20))
		Expect(a.ids()[0]).To(Equal("PO-1001"))
	})

	It("ends with a short last page whose next_page is null, and empty pages after it", func() {
		last := w.get(list+"?page=3", key.Reveal())
		Expect(last.ids()).To(Equal([]string{"PO-1041", "PO-1042", "PO-1043", "PO-1044", "PO-1045"}))
		Expect(last.json).To(HaveKeyWithValue("next_page", BeNil()))

		past := w.get(list+"?page=9", key.Reveal())
		Expect(past.status).To(Equal(http.StatusOK), past.raw)
		Expect(past.items()).To(BeEmpty())
		Expect(past.json).To(HaveKeyWithValue("total", BeNumerically("==", 45)))
		Expect(past.json).To(HaveKeyWithValue("next_page", BeNil()))
	})

	It("walks every order exactly once through next_page", func() {
		orders := w.all(list+"?per_page=7", key.Reveal())

		seen := map[any]bool{}
		for i, po := range orders {
			Expect(po).To(HaveKeyWithValue("id", fmt.Sprintf("PO-%d", 1001+i)))
			seen[po["id"]] = true
		}
		Expect(seen).To(HaveLen(45))
	})

	It("describes each order with EUR amounts that add up and ISO dates", func() {
		isoDate := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
		for _, po := range w.all(list, key.Reveal()) {
			Expect(po).To(HaveKeyWithValue("currency", "EUR"))
			Expect(po["order_date"]).To(MatchRegexp(isoDate.String()))
			Expect(po["expected_delivery_date"]).To(MatchRegexp(isoDate.String()))
			Expect(po).To(HaveKeyWithValue("customer_id", MatchRegexp(`^CUS-30\d\d$`)))
			net := 0.0
			for _, line := range po["lines"].([]any) {
				l := line.(map[string]any)
				Expect(l["amount"]).To(BeNumerically("~", l["unit_price"].(float64)*l["quantity"].(float64), 0.001))
				net += l["amount"].(float64)
			}
			Expect(po["net_amount"]).To(BeNumerically("~", net, 0.001))
			Expect(po["total_amount"]).To(BeNumerically("~", po["net_amount"].(float64)+po["tax_amount"].(float64), 0.001))
			if po["status"] == "received" {
				Expect(po["received_date"]).To(MatchRegexp(isoDate.String()))
			} else {
				Expect(po).To(HaveKeyWithValue("received_date", BeNil()))
			}
		}
	})

	DescribeTable("filters by status",
		func(status string, total int) {
			orders := w.all(list+"?status="+status, key.Reveal())

			Expect(orders).To(HaveLen(total))
			Expect(orders).To(HaveEach(HaveKeyWithValue("status", status)))
		},
		Entry("draft", "draft", 5),
		Entry("open", "open", 10),
		Entry("approved", "approved", 10),
		Entry("received", "received", 15),
		Entry("cancelled", "cancelled", 5),
	)

	It("filters by a part of the supplier's name, in any case", func() {
		orders := w.all(list+"?supplier=ATLAS", key.Reveal())

		Expect(orders).NotTo(BeEmpty())
		Expect(orders).To(HaveEach(HaveKeyWithValue("supplier", "Atlas Industrial Parts B.V.")))
	})

	It("combines filters", func() {
		orders := w.all(list+"?supplier=helix&status=received", key.Reveal())

		Expect(orders).NotTo(BeEmpty())
		Expect(orders).To(HaveEach(And(HaveKeyWithValue("supplier", "Helix Software AG"), HaveKeyWithValue("status", "received"))))
	})

	It("answers one order by id", func() {
		a := w.get(list+"/PO-1001", key.Reveal())

		Expect(a.status).To(Equal(http.StatusOK), a.raw)
		Expect(a.json).To(HaveKeyWithValue("id", "PO-1001"))
		Expect(a.json).To(HaveKeyWithValue("supplier", Not(BeEmpty())))
		Expect(a.json).To(HaveKeyWithValue("lines", Not(BeEmpty())))
	})

	It("answers 404 for an order that does not exist", func() {
		a := w.get(list+"/PO-9999", key.Reveal())

		Expect(a.status).To(Equal(http.StatusNotFound), a.raw)
		Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring("PO-9999")))
	})

	DescribeTable("refuses bad query values with a 400 that says what is wrong",
		func(query, says string) {
			a := w.get(list+"?"+query, key.Reveal())

			Expect(a.status).To(Equal(http.StatusBadRequest), a.raw)
			Expect(a.json).To(HaveKeyWithValue("error", ContainSubstring(says)))
		},
		Entry("an unknown status", "status=shipped", "status must be one of"),
		Entry("page 0", "page=0", "page must be"),
		Entry("a page that is no number", "page=two", "page must be"),
		Entry("per_page 0", "per_page=0", "per_page must be"),
		Entry("per_page over 100", "per_page=101", "per_page must be"),
		Entry("an unknown parameter", "stauts=open", `"stauts"`),
		Entry("a repeated parameter", "status=open&status=draft", "only once"),
		Entry("a malformed query string", "status=%zz", "malformed"),
	)

	DescribeTable("refuses calls without a live key",
		func(path string) {
			missing := w.get(path, "")
			Expect(missing.status).To(Equal(http.StatusUnauthorized), missing.raw)
			Expect(missing.header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
			Expect(missing.json).NotTo(HaveKey("items"))

			revoked, tokenID := w.connect("purchase_orders", poSecret, "mary@your-domain.com")
			w.revoke(tokenID)
			Expect(w.get(path, revoked.Reveal()).status).To(Equal(http.StatusUnauthorized))
		},
		Entry("the list", list),
		Entry("one order", list+"/PO-1001"),
		Entry("a bad query", list+"?status=shipped"),
	)
})
