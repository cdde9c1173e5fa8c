package store_test

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("The schema", func(backend storetest.Backend) {
	var cfg store.Config

	BeforeEach(func() { cfg = databases.Config(backend) })

	It("is migrated to the newest version at open, and opening again changes nothing", func() {
		s := storetest.Open(cfg)
		v, err := s.SchemaVersion(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeEquivalentTo(2))
		put(s, connection("ann@example.com", "crm"))
		s.Close()
		again := storetest.Open(cfg)
		v, err = again.SchemaVersion(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeEquivalentTo(2))
		_, ok, err := again.Get(context.Background(), "ann@example.com", "crm")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})

	It("is migrated once when several portals start on a fresh database at the same moment", func() {
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				s, err := store.Open(context.Background(), cfg)
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			Eventually(errs, time.Minute).Should(Receive(BeNil()))
		}
		v, err := storetest.Open(cfg).SchemaVersion(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeEquivalentTo(2))
	})

	It("refuses a database a newer build migrated, and leaves it as it is", func() {
		s := storetest.Open(cfg)
		put(s, connection("ann@example.com", "crm"))
		Expect(store.Exec(s, "INSERT INTO schema_versions (version_id, is_applied) VALUES (3, TRUE)")).To(Succeed())
		s.Close()
		_, err := store.Open(context.Background(), cfg)
		Expect(err).To(MatchError(And(ContainSubstring("version 3"), ContainSubstring("knows versions up to 2"), ContainSubstring("newer build"))))
		Expect(err.Error()).NotTo(ContainSubstring("postgres@")) // no connection string in the error

		versions, err := store.QueryStrings(s2(cfg), "SELECT CAST(MAX(version_id) AS TEXT) FROM schema_versions")
		Expect(err).NotTo(HaveOccurred())
		Expect(versions).To(Equal([]string{"3"}))
	})
}, backends)

// s2 opens cfg's database without migrating, for a look at what a refused open left.
func s2(cfg store.Config) *store.Store {
	GinkgoHelper()
	s, err := store.OpenUnmigrated(context.Background(), cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}
