package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("Update", func() {
	var (
		path   string
		s      *store.Store
		before []byte
	)

	BeforeEach(func() {
		path = storePath()
		s = mustOpen(path)
		mustPut(s,
			connection("john@your-domain.com", "purchase_orders"),
			connection("john@your-domain.com", "crm"),
		)
		before = fileBytes(path)
	})

	It("applies all of fn's changes, which fn itself sees as it makes them", func() {
		err := s.Update(func(tx *store.Tx) error {
			if err := tx.Put(connection("JOHN@your-domain.com", "invoicing")); err != nil {
				return err
			}
			if !tx.Delete("john@your-domain.com", "crm") {
				return errors.New("crm was not there")
			}
			Expect(tx.ForUser("john@your-domain.com")).To(HaveLen(2))
			_, ok := tx.Get("john@your-domain.com", "invoicing")
			Expect(ok).To(BeTrue())
			return nil
		})
		Expect(err).NotTo(HaveOccurred())

		var ids []string
		for _, c := range mustOpen(path).ForUser("john@your-domain.com") {
			ids = append(ids, c.ServiceID)
		}
		Expect(ids).To(Equal([]string{"invoicing", "purchase_orders"}))
		Expect(mustOpen(path).All()).To(Equal(s.All()))
	})

	When("fn returns an error", func() {
		It("returns it and changes nothing on disk or in memory", func() {
			all := s.All()
			boom := errors.New("boom")

			err := s.Update(func(tx *store.Tx) error {
				Expect(tx.Put(connection("jane@your-domain.com", "crm"))).To(Succeed())
				tx.Delete("john@your-domain.com", "crm")
				return boom
			})

			Expect(err).To(MatchError(boom))
			Expect(s.All()).To(Equal(all))
			Expect(fileBytes(path)).To(Equal(before))
		})
	})

	When("fn returns the error of an invalid Put after a valid one", func() {
		It("records neither", func() {
			err := s.Update(func(tx *store.Tx) error {
				Expect(tx.Put(connection("jane@your-domain.com", "crm"))).To(Succeed())
				bad := connection("jane@your-domain.com", "invoicing")
				bad.TokenID = ""
				return tx.Put(bad)
			})

			Expect(services.ErrorCode(err)).To(Equal(services.EInvalid))
			Expect(s.ForUser("jane@your-domain.com")).To(BeEmpty())
			Expect(fileBytes(path)).To(Equal(before))
		})
	})

	When("fn keeps its Tx and uses it after Update returned", func() {
		It("cannot change the store", func() {
			var kept *store.Tx
			Expect(s.Update(func(tx *store.Tx) error {
				kept = tx
				return tx.Put(connection("jane@your-domain.com", "crm"))
			})).To(Succeed())
			all := s.All()

			Expect(kept.Put(connection("mallory@your-domain.com", "crm"))).NotTo(Succeed())
			Expect(kept.Delete("jane@your-domain.com", "crm")).To(BeFalse())

			Expect(s.All()).To(Equal(all))
		})
	})
})

var _ = Describe("A change whose write fails", func() {
	var (
		dir, path string
		s         *store.Store
		before    []services.Connection
	)

	BeforeEach(func() {
		dir = filepath.Join(GinkgoT().TempDir(), "data")
		Expect(os.Mkdir(dir, 0o700)).To(Succeed())
		path = filepath.Join(dir, "connections.json")
		s = mustOpen(path)
		mustPut(s, connection("john@your-domain.com", "purchase_orders"))
		before = s.All()
	})

	// expectUnchanged asserts the failed change left the store's memory as it was.
	expectUnchanged := func(err error) {
		GinkgoHelper()
		Expect(err).To(HaveOccurred())
		expectNoKeyIn(err)
		Expect(s.All()).To(Equal(before))
		_, ok := s.Get("jane@your-domain.com", "crm")
		Expect(ok).To(BeFalse())
	}

	When("the store's directory was removed", func() {
		BeforeEach(func() {
			Expect(os.RemoveAll(dir)).To(Succeed())
		})

		It("returns an error and leaves the memory unchanged", func() {
			expectUnchanged(s.Put(connection("jane@your-domain.com", "crm")))
			deleted, err := s.Delete("john@your-domain.com", "purchase_orders")
			Expect(deleted).To(BeFalse())
			expectUnchanged(err)
		})
	})

	// The file size limit stops even root, unlike permissions, and fails the write itself
	// after the lock is taken and the temp file created.
	When("the file size limit stops the temp file half way", func() {
		var onDisk []byte

		BeforeEach(func() {
			onDisk = fileBytes(path)
			var limit unix.Rlimit
			Expect(unix.Getrlimit(unix.RLIMIT_FSIZE, &limit)).To(Succeed())
			lowered := limit
			lowered.Cur = uint64(len(onDisk)) + 100
			Expect(unix.Setrlimit(unix.RLIMIT_FSIZE, &lowered)).To(Succeed())
			DeferCleanup(func() {
				Expect(unix.Setrlimit(unix.RLIMIT_FSIZE, &limit)).To(Succeed())
			})
		})

		It("returns an error and leaves the memory, the file and the directory unchanged", func() {
			big := connection("jane@your-domain.com", "crm")
			big.APIKey = services.Secret("pk_live_" + keyMark + strings.Repeat("x", 4000))

			expectUnchanged(s.Put(big))

			Expect(fileBytes(path)).To(Equal(onDisk))
			Expect(dirNames(dir)).To(ConsistOf("connections.json", "connections.json.lock"))
			Expect(mustOpen(path).All()).To(Equal(before))
		})
	})
})
