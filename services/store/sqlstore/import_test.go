package sqlstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/sqlstore"
	"github.com/service-connector/service-connector/services/store/sqlstore/sqltest"
)

var _ = DescribeTableSubtree("Moving in from connections.json", func(backend sqltest.Backend) {
	var (
		ctx       context.Context
		cfg       sqlstore.Config
		jsonPath  string
		fileState store.State
	)

	BeforeEach(func() {
		ctx = context.Background()
		cfg = databases.Config(backend)
		jsonPath = filepath.Join(cfg.DataDir, "connections.json")
		// A file store as today's portal leaves it, written by the file store itself.
		fs, err := store.Open(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(fs.Update(func(tx *store.Tx) error {
			for _, email := range []string{"ann@example.com", "bob@example.com"} {
				for _, svc := range []string{"crm", "invoicing", "purchase_orders"} {
					if err := tx.Put(connection(email, svc)); err != nil {
						return err
					}
				}
			}
			r := revocation("crm", "tok_old", t0.Add(time.Minute))
			r.Attempts, r.LastError, r.RevokeURL = 2, "503", "http://127.0.0.1:1/crm/revoke"
			return errors.Join(
				tx.PutRevocation(r),
				tx.PutDelivery(store.PendingDelivery{UserEmail: "bob@example.com", Username: "bob", Since: t0, Retry: store.Retry{Attempts: 1, LastError: "no home"}}),
				tx.PutIntent(store.Intent{RequestID: "req-1", UserEmail: "ann@example.com", Username: "ann", ServiceID: "crm", TTLDays: 365, StartedAt: t0, Cancelled: true}),
			)
		})).To(Succeed())
		fileState = fs.State()
	})

	// dbState reads everything the database holds, as the file store's State.
	dbState := func(s *sqlstore.Store) store.State {
		GinkgoHelper()
		var st store.State
		var err error
		st.Connections, _, err = s.Connections(ctx, sqlstore.ConnectionFilter{}, sqlstore.Page{})
		Expect(err).NotTo(HaveOccurred())
		st.Revocations, _, err = s.Revocations(ctx, sqlstore.Page{})
		Expect(err).NotTo(HaveOccurred())
		st.Deliveries, _, err = s.Deliveries(ctx, sqlstore.Page{})
		Expect(err).NotTo(HaveOccurred())
		st.Intents, _, err = s.Intents(ctx, sqlstore.Page{})
		Expect(err).NotTo(HaveOccurred())
		return st
	}

	It("imports every record on first open and renames the file", func() {
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		s := sqltest.Open(cfg)
		Expect(dbState(s)).To(Equal(fileState))
		Expect(jsonPath).NotTo(BeAnExistingFile())
		Expect(os.ReadFile(jsonPath + ".imported")).To(Equal(before))
	})

	It("leaves the file in place and the database without any of it when the import fails part-way", func() {
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		broken := cfg
		sqlstore.FailImportAfter(&broken, 4)
		_, err = sqlstore.Open(ctx, broken)
		Expect(err).To(MatchError(ContainSubstring("injected fault after 4 rows")))
		Expect(os.ReadFile(jsonPath)).To(Equal(before))
		Expect(jsonPath + ".imported").NotTo(BeAnExistingFile())
		Expect(dbState(s2(cfg))).To(Equal(store.State{Connections: []services.Connection{}, Revocations: []store.Revocation{}, Deliveries: []store.PendingDelivery{}, Intents: []store.Intent{}}))

		s := sqltest.Open(cfg) // the next start imports it whole
		Expect(dbState(s)).To(Equal(fileState))
	})

	It("only renames a file it imported before (the process died before the rename)", func() {
		s := sqltest.Open(cfg)
		s.Close()
		Expect(os.Rename(jsonPath+".imported", jsonPath)).To(Succeed())
		again := sqltest.Open(cfg)
		Expect(dbState(again)).To(Equal(fileState))
		Expect(jsonPath).NotTo(BeAnExistingFile())
		Expect(jsonPath + ".imported").To(BeAnExistingFile())
	})

	It("refuses another file once the database holds state, and leaves both as they are", func() {
		s := sqltest.Open(cfg)
		put(s, connection("cy@example.com", "crm"))
		s.Close()
		fs, err := store.Open(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		Expect(fs.Put(connection("mallory@example.com", "crm"))).To(Succeed())
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())

		_, err = sqlstore.Open(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("move this file away")))
		expectNoKeyIn(err)
		Expect(os.ReadFile(jsonPath)).To(Equal(before))
		conns, n, err := s2(cfg).Connections(ctx, sqlstore.ConnectionFilter{UserEmail: "mallory@example.com"}, sqlstore.Page{})
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0), "%v", conns)
	})

	It("refuses a damaged file and leaves it in place", func() {
		Expect(os.WriteFile(jsonPath, []byte(`{"version": 2, "connections": [`), 0o600)).To(Succeed())
		_, err := sqlstore.Open(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("connections.json")))
		Expect(jsonPath).To(BeAnExistingFile())
	})
}, backends)
