// Package store keeps Service Connector's state in a database: connections, the
// revocation queue, pending deliveries, exchange intents, sessions and per-person locks.
// SQLite is the embedded default ($SC_DATA_DIR/service-connector.db); PostgreSQL
// (SC_DATABASE_URL) lets several portal processes share the state. Both run the same
// schema, migrated at open, and the same statements, so they behave alike.
//
// A change is one database transaction (Update), and every read is of the rows it needs: a
// person's, a service's, or due work found through an index. Work items (revocations,
// deliveries, intents) are leased to the portal working them, so with several portals a
// queued item is worked by exactly one at a time; Lock is a per-person lease that
// serializes a person's changes across portals without holding a transaction open.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store/keyring"
)

// FileName is the SQLite database's name in the data dir.
const FileName = "service-connector.db"

// Config says which database to open and how to work with it. The zero value of each
// duration picks its default.
type Config struct {
	// DatabaseURL selects PostgreSQL: a postgres:// or postgresql:// URL. Empty means SQLite
	// in DataDir.
	DatabaseURL services.Secret
	// DataDir holds the SQLite database, and the connections.json imported on first open.
	// Empty with PostgreSQL means nothing is imported.
	DataDir string
	// Owner names this process in leases and locks; a random name by default. Two Stores
	// must never share one.
	Owner string
	// Now is the clock of due times, leases and sessions; time.Now by default. The clocks of
	// portals sharing a database must agree to within a second or so.
	Now func() time.Time
	// WorkLease is how long a claimed revocation, delivery or intent stays with the portal
	// that claimed it before another may take it over; 1 minute.
	WorkLease time.Duration
	// LockLease is how long a person's lock holds before another portal may take it over,
	// in case its holder died; 2 minutes. It must outlive the longest operation done under
	// the lock (the connector's operation timeout).
	LockLease time.Duration
	// TxTimeout bounds one Update, so a transaction held open by mistake cannot stall every
	// other change; 15 seconds.
	TxTimeout time.Duration
	// SessionSecret keys the form session ids are stored in (see Session). Portals sharing a
	// database share it; a new one ends every session.
	SessionSecret services.Secret
	// Log receives what the store does on its own (migrations, the import); slog.Default()
	// by default. It never receives a key.
	Log *slog.Logger
	// Keys seal the API keys the store writes (the first key) and open those it reads (any
	// key); nil stores them as they are. Open refuses a database holding keys sealed under
	// a key not in Keys. See keys.go.
	Keys *keyring.Keyring
	// KeysUnread says the caller never reads an API key (audit verify and export, which an
	// auditor without the key file runs): Open then does not ask for the keys that open the
	// database's keys, and does not import a connections.json. A key read anyway is still
	// an error naming its key id, never garbage.
	KeysUnread bool
	// ObserveCommit, when set, is told how long the durable commit of each change that wrote
	// took, for the portal's metrics; a change that wrote nothing commits without being told.
	ObserveCommit func(time.Duration)

	// importFault, set by the specs, fails the import after that many rows.
	importFault int
	// process, set by the specs, stands in for this process in the portals table.
	process *process
}

// Store is the state in a database. It is safe for concurrent use, and several Stores, in
// one process or several, may share a database.
type Store struct {
	cfg     Config
	dialect dialect
	// write runs transactions; read runs reads outside them. With SQLite write is a single
	// connection, so this process's writers queue in Go (honouring their contexts) rather
	// than in SQLite's busy handler; with PostgreSQL both are the same pool.
	write, read *sql.DB
	// writeQ and readQ run the statements on write and read, each prepared once.
	writeQ, readQ *preparedDB
	path          string // the SQLite file; empty with PostgreSQL
	locks         *localLocks
	process       process // this process, as the portals table records it
	registered    bool
	reaper        *reaper
	keys          sealer    // seals and opens the API keys with cfg.Keys
	collation     collation // whether the search may use an index's range (admin_search.go)
}

// checkKeysAndImport refuses a database whose API keys the configured keys cannot open, and
// imports a connections.json of an earlier version; a store whose keys are never read skips
// both.
func (s *Store) checkKeysAndImport(ctx context.Context) error {
	if s.cfg.KeysUnread {
		return nil
	}
	if err := s.checkKeys(ctx); err != nil {
		return err
	}
	if s.cfg.DataDir != "" {
		return s.importFile(ctx)
	}
	return nil
}

// Open opens (creating when needed) the database cfg names, migrates its schema to the
// version this build knows, and imports connections.json from the data dir when it is there
// (see Import). A database whose schema is newer than this build knows is refused.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = withDefaults(cfg)
	var s *Store
	var err error
	if cfg.DatabaseURL != "" {
		s, err = openPostgres(ctx, cfg)
	} else {
		s, err = openSQLite(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.checkKeysAndImport(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.register(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.reapDead(ctx)
	return s, nil
}

// withDefaults fills in the zero fields of cfg.
func withDefaults(cfg Config) Config {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8])
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WorkLease <= 0 {
		cfg.WorkLease = time.Minute
	}
	if cfg.LockLease <= 0 {
		cfg.LockLease = 2 * time.Minute
	}
	if cfg.TxTimeout <= 0 {
		cfg.TxTimeout = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ObserveCommit == nil {
		cfg.ObserveCommit = func(time.Duration) {}
	}
	return cfg
}

// Close closes the database. Locks and leases still held run out with their leases.
func (s *Store) Close() {
	if s.registered {
		s.unregister()
	}
	s.writeQ.close()
	if s.readQ != s.writeQ {
		s.readQ.close()
	}
	_ = s.write.Close() // nothing is pending: every change commits or rolls back in Update
	if s.read != s.write {
		_ = s.read.Close()
	}
}

// Ping checks that the database answers, for the portal's readiness.
func (s *Store) Ping(ctx context.Context) error {
	return storeError("reach the database", s.read.PingContext(ctx))
}

// now is the store's clock.
func (s *Store) now() time.Time { return s.cfg.Now() }

// dialect is what differs between the backends. Everything else is the same SQL.
type dialect struct {
	name string
	// lockRows ends a SELECT inside a transaction that reads rows to change them: FOR
	// UPDATE on PostgreSQL, so a read-modify-write of a row is serialized; nothing on
	// SQLite, whose write transactions are serialized as a whole (BEGIN IMMEDIATE).
	lockRows string
	// skipLocked ends the SELECT that picks work to claim: FOR UPDATE SKIP LOCKED on
	// PostgreSQL, so two portals claiming at once take different rows.
	skipLocked string
}

var (
	sqliteDialect   = dialect{name: "sqlite"}
	postgresDialect = dialect{name: "postgres", lockRows: " FOR UPDATE", skipLocked: " FOR UPDATE SKIP LOCKED"}
)

// isPostgresURL reports whether url names a PostgreSQL database.
func isPostgresURL(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// errNotPostgres is the error of a DatabaseURL that is not a PostgreSQL URL. It never
// repeats the URL, which may hold a password.
var errNotPostgres = errors.New("SC_DATABASE_URL must be a postgres:// or postgresql:// URL")

// storeError wraps a database error with the operation that failed. Database errors name
// tables, columns and constraints, never the values of a row, so no key reaches them.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
