package store_test

import (
	"errors"
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("Changes that arrive while a write is under way", func() {
	It("are committed together, each on the state before it, and one that fails loses only itself", func() {
		path := storePath()
		s := mustOpen(path)
		release := make(chan struct{})
		inFirst := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer GinkgoRecover()
			Expect(s.Update(func(tx *store.Tx) error {
				close(inFirst)
				<-release // hold the commit while the others queue up
				return tx.Put(connection("first@example.com", "crm"))
			})).To(Succeed())
		})
		<-inFirst
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() {
				errs[i] = s.Update(func(tx *store.Tx) error {
					if err := tx.Put(connection(fmt.Sprintf("p%02d@example.com", i), "crm")); err != nil {
						return err
					}
					if i == 7 {
						return errors.New("change 7 gives up")
					}
					_, sawFirst := tx.Get("first@example.com", "crm")
					if !sawFirst {
						return errors.New("a later change did not see the first one")
					}
					return nil
				})
			})
		}
		Eventually(func() int { return store.Queued(s) }).Should(BeNumerically(">", 0))
		close(release)
		wg.Wait()

		for i, err := range errs {
			if i == 7 {
				Expect(err).To(MatchError("change 7 gives up"))
			} else {
				Expect(err).NotTo(HaveOccurred(), "change %d", i)
			}
		}
		reopened := mustOpen(path)
		Expect(reopened.All()).To(HaveLen(20), "the first change and 19 of the 20")
		_, ok := reopened.Get("p07@example.com", "crm")
		Expect(ok).To(BeFalse())
	})
})
