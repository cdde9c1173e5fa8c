package store_test

import (
	"context"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("Searching the connections for the admin page", func(backend storetest.Backend) {
	const warning = 14 * 24 * time.Hour
	var (
		ctx context.Context
		s   *store.Store
	)

	// query is a query of every connection at t0, two rows a page.
	query := func(mod func(q *store.ConnectionQuery)) store.ConnectionQuery {
		q := store.ConnectionQuery{Now: t0, Warning: warning, Limit: 2}
		if mod != nil {
			mod(&q)
		}
		return q
	}
	search := func(q store.ConnectionQuery) store.ConnectionPage {
		GinkgoHelper()
		page, err := s.SearchConnections(ctx, q)
		Expect(err).NotTo(HaveOccurred())
		return page
	}
	rowKeys := func(p store.ConnectionPage) []string {
		out := []string{}
		for _, r := range p.Rows {
			out = append(out, r.UserEmail+"/"+r.ServiceID)
		}
		return out
	}

	BeforeEach(func() {
		ctx = context.Background()
		s = storetest.Open(databases.Config(backend))
		expired := connection("bob@example.com", "invoicing")
		expired.ExpiresAt = t0.Add(-time.Hour)
		expiring := connection("cy@example.com", "crm")
		expiring.ConnectedAt, expiring.ExpiresAt = t0.Add(-300*24*time.Hour), t0.Add(3*24*time.Hour)
		young := connection("dee@example.com", "crm") // a 4-day key: 3 days left is not "soon"
		young.ConnectedAt, young.ExpiresAt = t0.Add(-24*time.Hour), t0.Add(3*24*time.Hour)
		forever := connection("ann.lee@example.com", "crm")
		forever.ExpiresAt = time.Time{}
		mapped := connection("zed@example.com", "crm")
		mapped.Username = "annz" // an account the user map gave, unlike the email
		put(s, connection("ann@example.com", "crm"), connection("ann@example.com", "invoicing"), expired,
			connection("bob@example.com", "crm"), expiring, young, forever, mapped)
		update(s, func(tx *store.Tx) error {
			return errors.Join(tx.PutDelivery(store.PendingDelivery{UserEmail: "bob@example.com", Username: "bob", Since: t0}))
		})
	})

	It("pages forward and back by email, then service, with the total and where more rows are", func() {
		first := search(query(nil))
		Expect(rowKeys(first)).To(Equal([]string{"ann.lee@example.com/crm", "ann@example.com/crm"}))
		Expect(first.Total).To(Equal(8))
		Expect(first.HasPrev).To(BeFalse())
		Expect(first.HasNext).To(BeTrue())

		second := search(query(func(q *store.ConnectionQuery) { q.After = first.Rows[1].Cursor() }))
		Expect(rowKeys(second)).To(Equal([]string{"ann@example.com/invoicing", "bob@example.com/crm"}))
		Expect(second.HasPrev).To(BeTrue())
		Expect(second.HasNext).To(BeTrue())

		back := search(query(func(q *store.ConnectionQuery) { q.Before = second.Rows[0].Cursor() }))
		Expect(rowKeys(back)).To(Equal(rowKeys(first)))
		Expect(back.HasPrev).To(BeFalse(), "nothing comes before the first page")
		Expect(back.HasNext).To(BeTrue())

		last := search(query(func(q *store.ConnectionQuery) { q.Last = true }))
		Expect(rowKeys(last)).To(Equal([]string{"dee@example.com/crm", "zed@example.com/crm"}))
		Expect(last.HasNext).To(BeFalse())
		Expect(last.HasPrev).To(BeTrue())
	})

	It("says nothing comes before a cursor from an old link when nothing does", func() {
		page := search(query(func(q *store.ConnectionQuery) { q.After = store.Cursor{Email: "a", ServiceID: "a"} }))
		Expect(rowKeys(page)).To(Equal([]string{"ann.lee@example.com/crm", "ann@example.com/crm"}))
		Expect(page.HasPrev).To(BeFalse())
	})

	DescribeTable("selects by search, service and state",
		func(mod func(q *store.ConnectionQuery), want []string) {
			q := query(mod)
			q.Limit = 20
			page := search(q)
			Expect(rowKeys(page)).To(Equal(want))
			Expect(page.Total).To(Equal(len(want)))
			By("alike where text does not sort byte by byte, so no range of the index is used")
			store.SearchWithoutRanges(s)
			page = search(q)
			Expect(rowKeys(page)).To(Equal(want))
			Expect(page.Total).To(Equal(len(want)))
		},
		Entry("an email prefix, in any case", func(q *store.ConnectionQuery) { q.Search = " ANN@" },
			[]string{"ann@example.com/crm", "ann@example.com/invoicing"}),
		Entry("a prefix with a dot, which a range in a natural-language collation would miss", func(q *store.ConnectionQuery) { q.Search = "ann." },
			[]string{"ann.lee@example.com/crm"}),
		Entry("an account prefix", func(q *store.ConnectionQuery) { q.Search = "annz" }, []string{"zed@example.com/crm"}),
		Entry("a prefix of emails and accounts alike", func(q *store.ConnectionQuery) { q.Search = "ann" },
			[]string{"ann.lee@example.com/crm", "ann@example.com/crm", "ann@example.com/invoicing", "zed@example.com/crm"}),
		Entry("not a substring", func(q *store.ConnectionQuery) { q.Search = "example" }, []string{}),
		Entry("SQL's wildcards as text", func(q *store.ConnectionQuery) { q.Search = "%" }, []string{}),
		Entry("a service", func(q *store.ConnectionQuery) { q.ServiceID = "invoicing" },
			[]string{"ann@example.com/invoicing", "bob@example.com/invoicing"}),
		Entry("expired keys", func(q *store.ConnectionQuery) { q.State = store.StateExpired }, []string{"bob@example.com/invoicing"}),
		Entry("keys expiring soon, not a young key with as long left", func(q *store.ConnectionQuery) { q.State = store.StateExpiring },
			[]string{"cy@example.com/crm"}),
		Entry("live keys, those without expiry included", func(q *store.ConnectionQuery) { q.State = store.StateLive },
			[]string{"ann.lee@example.com/crm", "ann@example.com/crm", "ann@example.com/invoicing", "bob@example.com/crm", "dee@example.com/crm", "zed@example.com/crm"}),
		Entry("people whose delivery is pending", func(q *store.ConnectionQuery) { q.State = store.StateDeliveryPending },
			[]string{"bob@example.com/crm", "bob@example.com/invoicing"}),
		Entry("a service and a state together", func(q *store.ConnectionQuery) { q.ServiceID, q.State = "invoicing", store.StateExpired },
			[]string{"bob@example.com/invoicing"}),
		Entry("a search, a service and a state together", func(q *store.ConnectionQuery) { q.Search, q.ServiceID, q.State = "ann", "crm", store.StateLive },
			[]string{"ann.lee@example.com/crm", "ann@example.com/crm", "zed@example.com/crm"}),
	)

	It("stops counting at the bound it is given, and says so", func() {
		page := search(query(func(q *store.ConnectionQuery) { q.CountUpTo = 3 }))
		Expect(page.Total).To(Equal(3))
		Expect(page.TotalCapped).To(BeTrue())
		page = search(query(func(q *store.ConnectionQuery) { q.CountUpTo = 8 }))
		Expect(page.Total).To(Equal(8))
		Expect(page.TotalCapped).To(BeFalse())
	})

	It("lists no key", func() {
		page := search(query(func(q *store.ConnectionQuery) { q.Limit = 20 }))
		Expect(page.Rows).To(HaveLen(8))
		Expect(page.Rows[0].TokenID).To(Equal("tok_crm_ann.lee"))
		Expect(page.Rows[0].Username).To(Equal("ann.lee"))
	})

	It("puts the whole revocation queue back to its first attempt, leaving those the caller tries to it", func() {
		waiting := revocation("crm", "tok_b", t0)
		waiting.NeedsAttention, waiting.Attempts, waiting.LastError = true, 10, "HTTP 503"
		update(s, func(tx *store.Tx) error {
			return errors.Join(tx.PutRevocation(revocation("crm", "tok_a", t0.Add(time.Hour))), tx.PutRevocation(waiting))
		})
		later := t0.Add(time.Minute)
		var n int
		update(s, func(tx *store.Tx) (err error) {
			n, err = tx.RetryRevocations(t0, later, []store.Revocation{waiting})
			return err
		})
		Expect(n).To(Equal(2))
		rs, total, err := s.Revocations(ctx, store.Page{})
		Expect(err).NotTo(HaveOccurred())
		Expect(total).To(Equal(2))
		for _, r := range rs {
			Expect(r.NeedsAttention).To(BeFalse())
			Expect(r.Attempts).To(BeZero())
			if r.TokenID == "tok_b" {
				Expect(r.NextAttemptAt).To(BeTemporally("==", later))
				Expect(r.LastError).To(Equal("HTTP 503"), "the last error stays for the admin to read")
			} else {
				Expect(r.NextAttemptAt).To(BeTemporally("==", t0))
			}
		}
	})
}, backends)
