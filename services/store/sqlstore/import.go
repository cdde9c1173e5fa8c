package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/service-connector/service-connector/services/store"
)

// ImportSource is the file store that Open moves into the database, in the data dir.
const ImportSource = "connections.json"

// importFile moves the data dir's connections.json, if there is one, into the database:
// every record in one transaction, then the file renamed connections.json.imported. A
// failure part-way (a crash, a bad record) leaves the file as it was and the database
// without any of it, so the next start imports it again.
//
// The database records the import with the file's digest: a file it imported before (the
// process died between the commit and the rename) is only renamed; any other file found
// once the database holds state is refused, since merging two states could bring back keys
// already revoked — the operator decides.
func (s *Store) importFile(ctx context.Context) error {
	path := filepath.Join(s.cfg.DataDir, ImportSource)
	moved, err := store.MoveOut(path, func(st store.State, digest string) error {
		return s.importState(ctx, st, digest)
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if moved {
		s.cfg.Log.Info("imported the file store into the database", "file", path, "renamed_to", path+store.ImportedSuffix, "backend", s.dialect.name)
	}
	return nil
}

// importState writes st into the database in one transaction.
func (s *Store) importState(ctx context.Context, st store.State, digest string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return storeError("begin the import", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var before string
	err = tx.QueryRowContext(ctx, "SELECT digest FROM imports WHERE source = $1", ImportSource).Scan(&before)
	switch {
	case err == nil && before == digest:
		return nil // imported already; only the rename was left to do
	case err == nil:
		return fmt.Errorf("the database already holds an import of a different %s: move this file away "+
			"(the database is the portal's state now) or restore the database from a backup", ImportSource)
	case !errors.Is(err, sql.ErrNoRows):
		return storeError("read the import record", err)
	}
	var used bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM connections) OR EXISTS (SELECT 1 FROM revocations)
		OR EXISTS (SELECT 1 FROM deliveries) OR EXISTS (SELECT 1 FROM intents)`).Scan(&used); err != nil {
		return storeError("check the database is empty", err)
	}
	if used {
		return fmt.Errorf("the database already holds connections, so %s is not imported into it: "+
			"move the file away, or start from an empty database to import it", ImportSource)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO imports (source, digest, imported_at, connections) VALUES ($1, $2, $3, $4)",
		ImportSource, digest, unixNano(s.now()), len(st.Connections)); err != nil {
		return storeError("record the import", err)
	}
	if err := s.insertAll(ctx, tx, st); err != nil {
		return err
	}
	return storeError("commit the import", tx.Commit())
}

// insertAll writes every record of st with prepared statements.
func (s *Store) insertAll(ctx context.Context, tx *sql.Tx, st store.State) error {
	rows := 0
	insert := func(what, query string, n int, args func(i int) []any) error {
		stmt, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return storeError("prepare the import of "+what, err)
		}
		defer func() { _ = stmt.Close() }() // the transaction's outcome is what counts
		for i := range n {
			if s.cfg.importFault > 0 && rows >= s.cfg.importFault {
				return fmt.Errorf("import: injected fault after %d rows", rows)
			}
			if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
				return storeError(fmt.Sprintf("import %s %d", what, i), err)
			}
			rows++
		}
		return nil
	}
	if err := insert("connection", putConnectionSQL, len(st.Connections), func(i int) []any { return connectionArgs(st.Connections[i]) }); err != nil {
		return err
	}
	if err := insert("revocation", putRevocationSQL, len(st.Revocations), func(i int) []any { return revocationArgs(st.Revocations[i]) }); err != nil {
		return err
	}
	if err := insert("pending delivery", putDeliverySQL, len(st.Deliveries), func(i int) []any { return deliveryArgs(st.Deliveries[i]) }); err != nil {
		return err
	}
	return insert("exchange intent", putIntentSQL, len(st.Intents), func(i int) []any { return intentArgs(st.Intents[i]) })
}
