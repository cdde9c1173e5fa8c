package store_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = DescribeTableSubtree("Moving in from connections.json", func(backend storetest.Backend) {
	var (
		ctx       context.Context
		cfg       store.Config
		jsonPath  string
		fileState store.State
	)

	BeforeEach(func() {
		ctx = context.Background()
		cfg = databases.Config(backend)
		jsonPath = filepath.Join(cfg.DataDir, "connections.json")
		fileState = store.State{}
		// A file store as the portal of the previous version leaves it.
		for _, email := range []string{"ann@example.com", "bob@example.com"} {
			for _, svc := range []string{"crm", "invoicing", "purchase_orders"} {
				fileState.Connections = append(fileState.Connections, connection(email, svc))
			}
		}
		r := revocation("crm", "tok_old", t0.Add(time.Minute))
		r.Attempts, r.LastError, r.RevokeURL = 2, "503", "http://127.0.0.1:1/crm/revoke"
		fileState.Revocations = []store.Revocation{r}
		fileState.Deliveries = []store.PendingDelivery{{UserEmail: "bob@example.com", Username: "bob", Since: t0, Retry: store.Retry{Attempts: 1, LastError: "no home"}}}
		fileState.Intents = []store.Intent{{RequestID: "req-1", UserEmail: "ann@example.com", Username: "ann", ServiceID: "crm", TTLDays: 365, StartedAt: t0, Cancelled: true}}
		writeFileStore(jsonPath, fileState)
	})

	It("imports every record on first open and renames the file", func() {
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		s := storetest.Open(cfg)
		Expect(storetest.State(s)).To(Equal(fileState))
		Expect(jsonPath).NotTo(BeAnExistingFile())
		Expect(os.ReadFile(jsonPath + ".imported")).To(Equal(before))
	})

	It("removes the temp files the old file store left when it was killed mid-write, which hold the keys, and nothing else", func() {
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		dir := filepath.Dir(jsonPath)
		stale := filepath.Join(dir, ".connections.json.tmp-4242")
		mine := filepath.Join(dir, "connections.json.tmp-notes")
		Expect(os.WriteFile(stale, before, 0o600)).To(Succeed())
		Expect(os.WriteFile(mine, []byte("an operator's own file"), 0o600)).To(Succeed())

		storetest.Open(cfg)

		Expect(stale).NotTo(BeAnExistingFile())
		Expect(os.ReadFile(mine)).To(Equal([]byte("an operator's own file")))
	})

	It("leaves the file in place and the database without any of it when the import fails part-way", func() {
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())
		broken := cfg
		store.FailImportAfter(&broken, 4)
		_, err = store.Open(ctx, broken)
		Expect(err).To(MatchError(ContainSubstring("injected fault after 4 rows")))
		Expect(os.ReadFile(jsonPath)).To(Equal(before))
		Expect(jsonPath + ".imported").NotTo(BeAnExistingFile())
		Expect(storetest.State(s2(cfg))).To(Equal(store.State{Connections: []services.Connection{}, Revocations: []store.Revocation{}, Deliveries: []store.PendingDelivery{}, Intents: []store.Intent{}}))

		s := storetest.Open(cfg) // the next start imports it whole
		Expect(storetest.State(s)).To(Equal(fileState))
	})

	It("only renames a file it imported before (the process died before the rename)", func() {
		s := storetest.Open(cfg)
		s.Close()
		Expect(os.Rename(jsonPath+".imported", jsonPath)).To(Succeed())
		again := storetest.Open(cfg)
		Expect(storetest.State(again)).To(Equal(fileState))
		Expect(jsonPath).NotTo(BeAnExistingFile())
		Expect(jsonPath + ".imported").To(BeAnExistingFile())
	})

	It("refuses another file once the database holds state, and leaves both as they are", func() {
		s := storetest.Open(cfg)
		put(s, connection("cy@example.com", "crm"))
		s.Close()
		writeFileStore(jsonPath, store.State{Connections: []services.Connection{connection("mallory@example.com", "crm")}})
		before, err := os.ReadFile(jsonPath)
		Expect(err).NotTo(HaveOccurred())

		_, err = store.Open(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("move this file away")))
		expectNoKeyIn(err)
		Expect(os.ReadFile(jsonPath)).To(Equal(before))
		conns, n, err := s2(cfg).Connections(ctx, store.ConnectionFilter{UserEmail: "mallory@example.com"}, store.Page{})
		Expect(err).NotTo(HaveOccurred())
		Expect(n).To(Equal(0), "%v", conns)
	})

	It("refuses a file with an invalid record, naming no key, and leaves it in place", func() {
		c := connection("ann@example.com", "crm")
		c.ServiceID = "Bad Id"
		writeFileStore(jsonPath, store.State{Connections: []services.Connection{c}})
		_, err := store.Open(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("invalid service id")))
		expectNoKeyIn(err)
		Expect(jsonPath).To(BeAnExistingFile())
	})

	It("refuses a damaged file and leaves it in place", func() {
		Expect(os.WriteFile(jsonPath, []byte(`{"version": 2, "connections": [`), 0o600)).To(Succeed())
		_, err := store.Open(ctx, cfg)
		Expect(err).To(MatchError(ContainSubstring("connections.json")))
		Expect(jsonPath).To(BeAnExistingFile())
	})
}, backends)
