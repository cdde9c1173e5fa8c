package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/service-connector/service-connector/services"
	"github.com/service-connector/service-connector/services/store/jsonfile"
)

// ImportedSuffix is appended to the name of connections.json once its content is in the
// database.
const ImportedSuffix = ".imported"

// importFile moves the data dir's connections.json, if there is one, into the database:
// every record in one transaction, then the file renamed connections.json.imported. A
// failure part-way (a crash, a bad record) leaves the file as it was and the database
// without any of it, so the next start imports it again. With a key to seal them, the API
// keys are sealed, and the file is set aside without them (see setAside). The file's lock (the one the file
// store took for every change) is held throughout, so a portal of an earlier version still
// running on the file cannot change it between the read and the rename.
//
// The database records the import with the file's digest: a file it imported before (the
// process died between the commit and the rename) is only renamed; any other file found
// once the database holds state is refused, since merging two states could bring back keys
// already revoked — the operator decides.
func (s *Store) importFile(ctx context.Context) error {
	path := filepath.Join(s.cfg.DataDir, jsonfile.FileName)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	moved, err := s.moveIn(ctx, path)
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	if moved {
		s.cfg.Log.Info("imported the file store into the database", "file", path, "renamed_to", path+ImportedSuffix, "backend", s.dialect.name)
	}
	return nil
}

// moveIn imports the file at path under its lock and renames it; false when another
// process moved it in while this one waited for the lock.
func (s *Store) moveIn(ctx context.Context, path string) (bool, error) {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return false, err
	}
	defer unlock()
	data, err := readRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	doc, err := jsonfile.Decode(data)
	if err != nil {
		return false, err
	}
	st, err := fromDocument(doc)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(data)
	if err := s.importState(ctx, st, hex.EncodeToString(sum[:])); err != nil {
		return false, err
	}
	if err := s.setAside(path, doc); err != nil {
		return false, err
	}
	if err := removeOldTemps(path); err != nil {
		return false, err
	}
	return true, syncDir(filepath.Dir(path))
}

// removeOldTemps removes the temp files the file store of earlier versions left beside path
// when it was killed mid-write (".connections.json.tmp-" and a random suffix): each holds a
// copy of the keys in plain text, and nothing writes them any more. Called under the file's
// lock, once its content is in the database.
func removeOldTemps(path string) error {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove a temp file of the old file store: %w", err)
		}
	}
	return nil
}

// setAside leaves connections.json, imported, as connections.json.imported. The file holds
// every API key in plain text. With a key to seal them (Config.Keys), the database's copy
// is sealed and was proven to open before the import committed, so the set-aside copy
// keeps every record but its key (api_key empty): what was imported stays readable for the
// operator, and no key is left in plain text beside the database. Without one, the file is
// renamed as it is, and a warning says it holds the keys.
func (s *Store) setAside(path string, doc jsonfile.Document) error {
	target := path + ImportedSuffix
	if s.keys.ring == nil {
		if err := os.Rename(path, target); err != nil {
			return fmt.Errorf("rename it after the import: %w", err)
		}
		s.cfg.Log.Warn("the imported file holds every API key it had in plain text, and so does the database, since no SC_STORE_KEY_FILE was given: "+
			"delete the file once you no longer need it, and set SC_STORE_KEY_FILE", "file", target)
		return nil
	}
	redacted, err := withoutKeys(doc)
	if err != nil {
		return fmt.Errorf("set the imported file aside: %w", err)
	}
	if err := writePrivate(target, redacted); err != nil {
		return fmt.Errorf("set the imported file aside: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove it after the import: %w", err)
	}
	s.cfg.Log.Info("the imported file's API keys are sealed in the database; the file is kept without them", "file", target)
	return nil
}

// withoutKeys is a store file's decoded content with the api_key of every connection emptied,
// encoded again: the decoder refuses any field it does not know, so nothing else is lost.
func withoutKeys(doc jsonfile.Document) ([]byte, error) {
	conns := make([]services.Connection, len(doc.Connections))
	for i, c := range doc.Connections {
		c.APIKey = ""
		conns[i] = c
	}
	doc.Connections = conns
	return json.Marshal(doc)
}

// writePrivate writes data to path (mode 0600) whole or not at all: written aside, synced,
// then renamed into place.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".import-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone once renamed
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// readRegular reads the regular file at path; anything else (a symlink, a directory) is
// refused.
func readRegular(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only use: nothing to lose
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return io.ReadAll(f)
}

// fromDocument checks every record of the file as a change would, and returns them as the
// store keeps them. Its errors name the record, never a key.
func fromDocument(doc jsonfile.Document) (State, error) {
	st := State{}
	for i, c := range doc.Connections {
		c, err := normalizeConnection(c)
		if err != nil {
			// %v, not %w: a damaged file is not an invalid request of anyone's.
			return State{}, fmt.Errorf("connection %d: %v", i, err)
		}
		st.Connections = append(st.Connections, c)
	}
	for i, r := range doc.Revocations {
		r, err := normalizeRevocation(Revocation{ServiceID: r.ServiceID, TokenID: r.TokenID, UserEmail: r.UserEmail, Reason: r.Reason,
			RevokeURL: r.RevokeURL, QueuedAt: r.QueuedAt, Retry: Retry(r.Retry), NeedsAttention: r.NeedsAttention})
		if err != nil {
			return State{}, fmt.Errorf("revocation %d: %v", i, err)
		}
		st.Revocations = append(st.Revocations, r)
	}
	for i, d := range doc.Deliveries {
		d, err := normalizeDelivery(PendingDelivery{UserEmail: d.UserEmail, Username: d.Username, Since: d.Since, Retry: Retry(d.Retry)})
		if err != nil {
			return State{}, fmt.Errorf("pending delivery %d: %v", i, err)
		}
		st.Deliveries = append(st.Deliveries, d)
	}
	for i, in := range doc.Intents {
		in, err := normalizeIntent(Intent{RequestID: in.RequestID, UserEmail: in.UserEmail, Username: in.Username, ServiceID: in.ServiceID,
			TTLDays: in.TTLDays, StartedAt: in.StartedAt, TokenID: in.TokenID, Replaces: in.Replaces, Cancelled: in.Cancelled, Retry: Retry(in.Retry)})
		if err != nil {
			return State{}, fmt.Errorf("exchange intent %d: %v", i, err)
		}
		st.Intents = append(st.Intents, in)
	}
	return st, nil
}

// syncDir flushes the directory entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer func() { _ = d.Close() }() // read-only use: nothing to lose
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// importState writes st into the database in one transaction.
func (s *Store) importState(ctx context.Context, st State, digest string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return storeError("begin the import", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	var before string
	err = tx.QueryRowContext(ctx, "SELECT digest FROM imports WHERE source = $1", jsonfile.FileName).Scan(&before)
	switch {
	case err == nil && before == digest:
		return nil // imported already; only the rename was left to do
	case err == nil:
		return fmt.Errorf("the database already holds an import of a different %s: move this file away "+
			"(the database is the portal's state now) or restore the database from a backup", jsonfile.FileName)
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
			"move the file away, or start from an empty database to import it", jsonfile.FileName)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO imports (source, digest, imported_at, connections) VALUES ($1, $2, $3, $4)",
		jsonfile.FileName, digest, unixNano(s.now()), len(st.Connections)); err != nil {
		return storeError("record the import", err)
	}
	if err := s.insertAll(ctx, tx, st); err != nil {
		return err
	}
	if err := s.checkImported(ctx, tx, st.Connections); err != nil {
		return err
	}
	return storeError("commit the import", tx.Commit())
}

// checkImported reads every imported connection back in the import's transaction and
// opens its key: the import commits only when each opens to the key of the file, since
// the file's copy of the keys is not kept (see setAside).
func (s *Store) checkImported(ctx context.Context, tx *sql.Tx, want []services.Connection) error {
	if s.keys.ring == nil {
		return nil
	}
	keys := make(map[string]services.Secret, len(want))
	for _, c := range want {
		keys[c.UserEmail+"\x00"+c.ServiceID] = c.APIKey
	}
	got, err := queryAll(ctx, tx, s.keys.scanConnection, "SELECT "+connectionColumns+" FROM connections")
	if err != nil {
		return fmt.Errorf("read the imported keys back: %w", err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("read the imported keys back: %d connections, not %d", len(got), len(want))
	}
	for _, c := range got {
		if k, ok := keys[c.UserEmail+"\x00"+c.ServiceID]; !ok || k != c.APIKey {
			return fmt.Errorf("read the imported keys back: the key of %s's connection to %s does not open to the file's", c.UserEmail, c.ServiceID)
		}
	}
	return nil
}

// insertAll writes every record of st with prepared statements.
func (s *Store) insertAll(ctx context.Context, tx *sql.Tx, st State) error {
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
	if err := insert("connection", putConnectionSQL, len(st.Connections), func(i int) []any { return s.keys.connectionArgs(st.Connections[i]) }); err != nil {
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
