package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
	"github.com/service-connector/service-connector/services/store/storetest"
)

var _ = Describe("The SQLite database", func() {
	var cfg store.Config

	BeforeEach(func() { cfg = databases.Config(storetest.SQLite) })

	It("lives in the data dir, readable by its owner only, with its WAL files, whatever the umask", func() {
		old := syscall.Umask(0)
		DeferCleanup(func() { syscall.Umask(old) })
		s := storetest.Open(cfg)
		put(s, connection("ann@example.com", "crm"))
		path := filepath.Join(cfg.DataDir, "service-connector.db")
		Expect(s.Path()).To(Equal(path))
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			Expect(err).NotTo(HaveOccurred(), p)
			Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)), p)
		}
	})

	It("tightens a database file others may read", func() {
		path := filepath.Join(cfg.DataDir, "service-connector.db")
		Expect(os.WriteFile(path, nil, 0o644)).To(Succeed())
		Expect(os.Chmod(path, 0o644)).To(Succeed())
		storetest.Open(cfg)
		info, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o600)))
	})

	It("commits durably: write-ahead log, synchronous=FULL, a busy timeout", func() {
		s := storetest.Open(cfg)
		for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000"} {
			got, err := store.QueryStrings(s, "PRAGMA "+pragma)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal([]string{want}), pragma)
		}
	})

	It("commits every change with its sync after a person's lock was taken and released (which skip theirs)", func() {
		s := storetest.Open(cfg)
		unlock, err := s.Lock(context.Background(), "ann")
		Expect(err).NotTo(HaveOccurred())
		Expect(store.Synchronous(s)).To(Equal(2))
		put(s, connection("ann@example.com", "crm"))
		unlock()
		Expect(store.Synchronous(s)).To(Equal(2))
		cs, err := s.ForUser(context.Background(), "ann@example.com")
		Expect(err).NotTo(HaveOccurred())
		Expect(cs).To(HaveLen(1))
	})

	It("refuses a data dir that does not exist", func() {
		cfg.DataDir = filepath.Join(cfg.DataDir, "missing")
		_, err := store.Open(context.Background(), cfg)
		Expect(err).To(MatchError(ContainSubstring("missing")))
	})
})

var _ = Describe("The PostgreSQL database", func() {
	It("refuses a URL that is not PostgreSQL's, without repeating it", func() {
		cfg := databases.Config(storetest.SQLite)
		cfg.DatabaseURL = services.Secret("mysql://root:hunter2@db/sc")
		_, err := store.Open(context.Background(), cfg)
		Expect(err).To(MatchError(ContainSubstring("postgres://")))
		Expect(err.Error()).NotTo(ContainSubstring("hunter2"))
	})

	It("does not repeat the password of a server it cannot reach", func() {
		cfg := databases.Config(storetest.SQLite)
		cfg.DatabaseURL = services.Secret("postgres://sc:hunter2@127.0.0.1:1/sc?connect_timeout=2")
		_, err := store.Open(context.Background(), cfg)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("hunter2"))
	})
})
