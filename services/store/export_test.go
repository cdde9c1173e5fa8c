package store

import (
	"context"
)

// FailImportAfter makes the import of cfg fail after rows rows, for the specs.
func FailImportAfter(cfg *Config, rows int) { cfg.importFault = rows }

// BreakTx runs a statement that fails inside tx, for the specs.
func BreakTx(tx *Tx) error {
	_, err := tx.exec("spec", "SELECT no_such_column FROM no_such_table")
	return err
}

// QueryStrings runs a query on s's database and returns its rows' first column as text,
// for the specs to look at what is stored.
func QueryStrings(s *Store, query string, args ...any) ([]string, error) {
	return queryAll(context.Background(), s.write, scanString, query, args...)
}

// Exec runs a statement on s's database, for the specs.
func Exec(s *Store, query string, args ...any) error {
	_, err := s.write.ExecContext(context.Background(), query, args...)
	return err
}

// OpenUnmigrated opens cfg's database as it is, for the specs to look at it.
func OpenUnmigrated(ctx context.Context, cfg Config) (*Store, error) {
	cfg = withDefaults(cfg)
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg)
	}
	return openSQLite(ctx, cfg)
}

// PretendProcess makes the Store cfg opens record the process pid (which must be running)
// as its own in the portals table, for the specs to let a portal die on this machine.
func PretendProcess(cfg *Config, pid int) error {
	p := thisProcess()
	started, _, err := processStart(pid)
	p.pid, p.started = pid, started
	cfg.process = &p
	return err
}

// SchemaVersion is the version of the database's schema, for the specs.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := s.migrator()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// Path is the SQLite database file of s, or "" with PostgreSQL, for the specs.
func (s *Store) Path() string { return s.path }

// Synchronous is the synchronous setting of s's writing connection (2 is FULL), for the specs.
func Synchronous(s *Store) (int, error) {
	var n int
	err := s.write.QueryRowContext(context.Background(), "PRAGMA synchronous").Scan(&n)
	return n, err
}
