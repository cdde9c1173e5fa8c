package store_test

import (
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/unix"

	"github.com/service-connector/service-connector/services/store"
)

var _ = Describe("A change that goes wrong", func() {
	It("panics in its caller, changes nothing, and leaves the store usable", func() {
		path := storePath()
		s := mustOpen(path)
		mustPut(s, connection("john@your-domain.com", "crm"))

		Expect(func() {
			_ = s.Update(func(tx *store.Tx) error {
				Expect(tx.Put(connection("jane@your-domain.com", "crm"))).To(Succeed())
				panic("boom")
			})
		}).To(PanicWith("boom"))

		Expect(s.All()).To(HaveLen(1))
		mustPut(s, connection("jim@your-domain.com", "crm"))
		Expect(mustOpen(path).All()).To(HaveLen(2))
	})

	It("gives up with a clear error when another process holds the file lock too long", func() {
		DeferCleanup(store.SetLockTimeout(200 * time.Millisecond))
		path := storePath()
		s := mustOpen(path)
		f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(f.Close)
		Expect(unix.Flock(int(f.Fd()), unix.LOCK_EX)).To(Succeed())

		began := time.Now()
		err = s.Put(connection("john@your-domain.com", "crm"))

		Expect(err).To(MatchError(ContainSubstring("another process has held it for over 200ms")))
		Expect(time.Since(began)).To(BeNumerically("<", 5*time.Second))
		Expect(unix.Flock(int(f.Fd()), unix.LOCK_UN)).To(Succeed())
		mustPut(s, connection("john@your-domain.com", "crm"))
	})
})
