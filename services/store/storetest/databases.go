package storetest

import (
	"context"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the specs' own vocabulary
	. "github.com/onsi/gomega"    //nolint:revive // the specs' own vocabulary

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store"
)

// Backend is a kind of database the shared specs run against.
type Backend string

// The backends.
const (
	SQLite     Backend = "SQLite"
	PostgreSQL Backend = "PostgreSQL"
)

// Databases gives specs fresh databases: a SQLite file in a temp dir, or a new database in
// the suite's PostgreSQL cluster, started on first use. One per suite process: declare it
// at the top of the suite and Stop it in AfterSuite.
type Databases struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// Config returns the configuration of a fresh, empty database of backend, with a new temp
// data dir; the database is dropped when the spec ends. The clock is now unless the spec
// sets Now.
func (d *Databases) Config(backend Backend) store.Config {
	GinkgoHelper()
	cfg := store.Config{DataDir: GinkgoT().TempDir(), Log: discardLog()}
	if backend == SQLite {
		return cfg
	}
	cfg.DatabaseURL = services.Secret(d.URL())
	return cfg
}

// URL creates a fresh PostgreSQL database, dropped when the spec ends, and returns its URL.
func (d *Databases) URL() string {
	GinkgoHelper()
	d.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		d.cluster, d.err = StartPostgres(ctx)
	})
	Expect(d.err).NotTo(HaveOccurred(), "start the PostgreSQL cluster")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, drop, err := d.cluster.NewDatabase(ctx)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(drop)
	return url
}

// Stop stops the cluster, if it was started.
func (d *Databases) Stop() {
	if d.cluster != nil {
		d.cluster.Stop()
	}
}

// Open opens the store cfg names, closed when the spec ends.
func Open(cfg store.Config) *store.Store {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s.Close)
	return s
}

// State reads everything s holds, for specs to compare with what they expect.
func State(s *store.Store) store.State {
	GinkgoHelper()
	ctx := context.Background()
	var st store.State
	var err error
	st.Connections, _, err = s.Connections(ctx, store.ConnectionFilter{}, store.Page{})
	Expect(err).NotTo(HaveOccurred())
	st.Revocations, _, err = s.Revocations(ctx, store.Page{})
	Expect(err).NotTo(HaveOccurred())
	st.Deliveries, _, err = s.Deliveries(ctx, store.Page{})
	Expect(err).NotTo(HaveOccurred())
	st.Intents, _, err = s.Intents(ctx, store.Page{})
	Expect(err).NotTo(HaveOccurred())
	return st
}
