package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the schema's versions, applied in order by goose; each file is one
// version. Keep them in the SQL both backends understand (see 00001_initial.sql).
//
//go:embed migrations/*.sql
var migrations embed.FS

// versionTable is where goose records the versions applied.
const versionTable = "schema_versions"

// migrate brings the schema to the newest version this build knows. A database at a newer
// version than that was written by a newer build: it is refused, changing nothing, since
// this build would misread what it does not know.
func (s *Store) migrate(ctx context.Context) error {
	unlock, err := s.lockMigrations()
	if err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	defer unlock()
	p, err := s.migrator()
	if err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("migrate the database: read its schema version: %w", err)
	}
	if current > known {
		return fmt.Errorf("the database's schema is at version %d, but this build of Service Connector knows versions up to %d only: "+
			"it was written by a newer build. Run that build (or a newer one), or restore a backup taken before the upgrade", current, known)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate the database from version %d: %w", current, err)
	}
	for _, r := range results {
		s.cfg.Log.Info("database migrated", "backend", s.dialect.name, "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// migrator is goose's Provider over the embedded migrations, without goose's global state.
func (s *Store) migrator() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithTableName(versionTable)}
	d := goose.DialectSQLite3
	if s.dialect.name == postgresDialect.name {
		d = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d, s.write, fsys, opts...)
}
