package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// fileMode is the mode of the SQLite database: it holds API keys. SQLite gives its -wal
// and -shm files the database's mode.
const fileMode = 0o600

// sqlitePragmas make every connection durable and patient: WAL so readers never wait for
// the writer, synchronous=FULL so a commit is on disk when Update returns, and a busy
// timeout for writers in other processes (this process's own wait in Go, see Store.write).
// secure_delete overwrites what a change deletes or replaces, so a key sealed by rekey
// leaves no plain-text copy in the file's free pages.
var sqlitePragmas = []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "secure_delete(1)"}

// openSQLite opens (creating it with mode 0600) the database in cfg.DataDir.
func openSQLite(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("open the database: no data dir for SQLite")
	}
	path := filepath.Join(cfg.DataDir, FileName)
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		for _, p := range append(sqlitePragmas, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
	}
	write, err := sql.Open("sqlite", dsn())
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	s := newStore(cfg, sqliteDialect, write, read, path)
	if err := write.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	return s, nil
}

// newStore is a Store over opened databases.
func newStore(cfg Config, d dialect, write, read *sql.DB, path string) *Store {
	p := thisProcess()
	if cfg.process != nil {
		p = *cfg.process
	}
	s := &Store{cfg: cfg, dialect: d, write: write, read: read, path: path, locks: newLocalLocks(),
		process: p, reaper: &reaper{interval: time.Second}, keys: sealer{ring: cfg.Keys}}
	s.writeQ, s.readQ = newPreparedDB(write), newPreparedDB(read)
	if read == write {
		s.readQ = s.writeQ
	}
	return s
}

// createPrivate creates the file at path with mode 0600 when it is missing, and takes the
// mode of an existing one down to 0600 when others may read or write it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // nothing written
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if info.Mode().Perm()&^fileMode != 0 {
		if err := f.Chmod(fileMode); err != nil {
			return err
		}
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := tightenIfPresent(path + side); err != nil {
			return err
		}
	}
	return nil
}

// tightenIfPresent takes the mode of the file at path down to 0600, if it exists.
func tightenIfPresent(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil || info.Mode().Perm()&^fileMode == 0 || !info.Mode().IsRegular() {
		return err
	}
	return os.Chmod(path, fileMode)
}

// openPostgres connects to the PostgreSQL database of cfg.DatabaseURL.
func openPostgres(ctx context.Context, cfg Config) (*Store, error) {
	if !isPostgresURL(cfg.DatabaseURL.Reveal()) {
		return nil, errNotPostgres
	}
	db, err := sql.Open("pgx", cfg.DatabaseURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL database: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	s := newStore(cfg, postgresDialect, db, db, "")
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to the PostgreSQL database: %w", err)
	}
	return s, nil
}

// lockMigrations excludes other processes from migrating the same SQLite database at once.
// PostgreSQL has goose's advisory lock instead.
func (s *Store) lockMigrations() (unlock func(), err error) {
	if s.path == "" {
		return func() {}, nil
	}
	return lockFile(s.path + ".lock")
}
