package store_test

import (
	"fmt"
	"strconv"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("Concurrent use", func() {
	var path string

	BeforeEach(func() {
		path = storePath()
	})

	When("50 goroutines change one store at once", func() {
		It("applies every change and leaves a file that matches the memory", func() {
			const workers = 50
			s := mustOpen(path)

			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					defer GinkgoRecover()
					email := fmt.Sprintf("user%d@your-domain.com", g)
					shared := connection("shared@your-domain.com", "crm")
					shared.TokenID = "tok_" + strconv.Itoa(g)
					Expect(s.Put(connection(email, "purchase_orders"))).To(Succeed())
					Expect(s.Put(connection(email, "invoicing"))).To(Succeed())
					Expect(s.Put(shared)).To(Succeed())
					deleted, err := s.Delete(email, "invoicing")
					Expect(err).NotTo(HaveOccurred())
					Expect(deleted).To(BeTrue())
					_, ok := s.Get("shared@your-domain.com", "crm")
					Expect(ok).To(BeTrue())
					Expect(s.ForUser(email)).To(HaveLen(1))
					Expect(len(s.All())).To(BeNumerically(">=", 2))
				})
			}
			wg.Wait()

			all := s.All()
			Expect(all).To(HaveLen(workers + 1))
			for g := range workers {
				email := fmt.Sprintf("user%d@your-domain.com", g)
				_, ok := s.Get(email, "purchase_orders")
				Expect(ok).To(BeTrue(), email)
				_, ok = s.Get(email, "invoicing")
				Expect(ok).To(BeFalse(), email)
			}
			Expect(mustOpen(path).All()).To(Equal(all))
		})
	})

	When("two stores on one file, as in two processes, update it at once", func() {
		It("loses no update", func() {
			const rounds = 20
			counter := connection("counter@your-domain.com", "crm")
			counter.TokenID = "0"
			mustPut(mustOpen(path), counter)
			stores := []*store.Store{mustOpen(path), mustOpen(path)}

			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					defer GinkgoRecover()
					for r := range rounds {
						Expect(s.Update(func(tx *store.Tx) error {
							c, _ := tx.Get("counter@your-domain.com", "crm")
							n, err := strconv.Atoi(c.TokenID)
							if err != nil {
								return err
							}
							c.TokenID = strconv.Itoa(n + 1)
							if err := tx.Put(c); err != nil {
								return err
							}
							return tx.Put(connection(fmt.Sprintf("store%d.round%d@your-domain.com", i, r), "crm"))
						})).To(Succeed())
					}
				})
			}
			wg.Wait()

			for _, s := range append(stores, mustOpen(path)) {
				c, _ := s.Get("counter@your-domain.com", "crm")
				Expect(c.TokenID).To(Equal(strconv.Itoa(len(stores) * rounds)))
				Expect(s.All()).To(HaveLen(len(stores)*rounds + 1))
			}
		})
	})
})
