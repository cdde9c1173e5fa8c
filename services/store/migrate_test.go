package store_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

// newestSchema is the version of the newest migration in migrations/.
const newestSchema = 4

var _ = DescribeTableSubtree("The schema", func(backend storetest.Backend) {
	var cfg store.Config

	BeforeEach(func() { cfg = databases.Config(backend) })

	It("is migrated to the newest version at open, and opening again changes nothing", func() {
		s := storetest.Open(cfg)
		v, err := s.SchemaVersion(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeEquivalentTo(newestSchema))
		put(s, connection("ann@example.com", "crm"))
		s.Close()
		again := storetest.Open(cfg)
		v, err = again.SchemaVersion(context.Background())
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeEquivalentTo(newestSchema))
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
		Expect(v).To(BeEquivalentTo(newestSchema))
	})

	It("refuses a database a newer build migrated, and leaves it as it is", func() {
		s := storetest.Open(cfg)
		put(s, connection("ann@example.com", "crm"))
		Expect(store.Exec(s, fmt.Sprintf("INSERT INTO schema_versions (version_id, is_applied) VALUES (%d, TRUE)", newestSchema+1))).To(Succeed())
		s.Close()
		_, err := store.Open(context.Background(), cfg)
		Expect(err).To(MatchError(And(ContainSubstring(fmt.Sprintf("version %d", newestSchema+1)), ContainSubstring(fmt.Sprintf("knows versions up to %d", newestSchema)), ContainSubstring("newer build"))))
		Expect(err.Error()).NotTo(ContainSubstring("postgres@")) // no connection string in the error

		versions, err := store.QueryStrings(s2(cfg), "SELECT CAST(MAX(version_id) AS TEXT) FROM schema_versions")
		Expect(err).NotTo(HaveOccurred())
		Expect(versions).To(Equal([]string{fmt.Sprint(newestSchema + 1)}))
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
