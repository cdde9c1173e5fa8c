package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/service-connector/service-connector/services"
)

// RekeyBatch is how many records one transaction of Rekey re-seals: small enough that a
// portal's change waiting behind it waits milliseconds.
const RekeyBatch = 500

// rekeyPasses bounds the passes of Rekey over the records: a pass after the first only
// finds records a portal's change held (on PostgreSQL, which Rekey skips rather than waits
// for) while the previous pass went by.
const rekeyPasses = 5

// RekeyReport is what Rekey did.
type RekeyReport struct {
	// SealingID is the key everything was re-sealed under: SC_STORE_KEY_FILE's first.
	SealingID string
	// Resealed counts the records re-sealed, by the key id they were under before ("" for
	// those stored in plain text).
	Resealed map[string]int
	// Failed are the records whose API key would not open; they are left as they are.
	Failed []RekeyFailure
	// Remaining counts the records not under SealingID after the run, by key id: those
	// that failed, and any a portal sealing with another first key wrote meanwhile.
	Remaining map[string]int
}

// RekeyFailure is a record Rekey could not open. Err names the record and the key id, never
// the stored form.
type RekeyFailure struct {
	UserEmail, ServiceID, TokenID, KeyID string
	Err                                  error
}

// Done reports whether every API key is now sealed under the sealing key, so every other
// key may leave the key file.
func (r RekeyReport) Done() bool { return len(r.Remaining) == 0 }

// Total is the number of records re-sealed.
func (r RekeyReport) Total() int {
	n := 0
	for _, c := range r.Resealed {
		n += c
	}
	return n
}

// String is the report in one line, for the command's output: counts and key ids only.
func (r RekeyReport) String() string {
	var from []string
	for _, id := range slices.Sorted(maps.Keys(r.Resealed)) {
		from = append(from, fmt.Sprintf("%d from %s", r.Resealed[id], keyName(id)))
	}
	line := fmt.Sprintf("%d API keys re-sealed under key %s", r.Total(), r.SealingID)
	if len(from) > 0 {
		line += " (" + strings.Join(from, ", ") + ")"
	}
	if len(r.Failed) > 0 {
		line += fmt.Sprintf("; %d would not open and were left as they are", len(r.Failed))
	}
	if r.Done() {
		return line + "; every API key is sealed under it: keys below the first may now leave SC_STORE_KEY_FILE"
	}
	var left []string
	for _, id := range slices.Sorted(maps.Keys(r.Remaining)) {
		left = append(left, fmt.Sprintf("%d under %s", r.Remaining[id], keyName(id)))
	}
	return line + "; still not under it: " + strings.Join(left, ", ") + " (keep their keys in the file, and run rekey again)"
}

// keyName names a key id in a report.
func keyName(id string) string {
	if id == plainKeyID {
		return "plain text"
	}
	return "key " + id
}

// Rekey re-seals every API key not sealed under the keyring's first key (Config.Keys),
// those stored in plain text included, so the other keys can leave the key file. It works
// in transactions of batch records (RekeyBatch when batch <= 0), each a compare-and-set of
// the stored form, so it is safe to run while portals change the same records (a record a
// portal rewrote meanwhile is sealed under the portal's first key, and is left alone) and
// safe to run again. A record whose key does not open is reported and left as it is.
func (s *Store) Rekey(ctx context.Context, batch int) (RekeyReport, error) {
	ring := s.keys.ring
	if ring == nil {
		return RekeyReport{}, errNoKeyring
	}
	if batch <= 0 {
		batch = RekeyBatch
	}
	report := RekeyReport{SealingID: ring.SealingID(), Resealed: map[string]int{}}
	failed := map[string]bool{}
	for pass := range rekeyPasses {
		if pass > 0 {
			// What is left was held by a portal's change as the pass went by: let it end.
			select {
			case <-ctx.Done():
				return report, ctx.Err()
			case <-time.After(time.Duration(pass) * 50 * time.Millisecond):
			}
		}
		if err := s.rekeyPass(ctx, batch, &report, failed); err != nil {
			return report, err
		}
		remaining, err := s.notUnder(ctx, report.SealingID)
		if err != nil {
			return report, err
		}
		report.Remaining = remaining
		left := 0
		for _, n := range remaining {
			left += n
		}
		if left <= len(report.Failed) {
			break
		}
	}
	return report, s.truncateLog(ctx)
}

// truncateLog empties SQLite's write-ahead log into the database file, so the pages that
// held the keys as they were before Rekey leave the log too; PostgreSQL recycles its own.
func (s *Store) truncateLog(ctx context.Context) error {
	if s.dialect.name != sqliteDialect.name {
		return nil
	}
	_, err := s.writeQ.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return storeError("empty the write-ahead log", err)
}

// notUnder counts the records not sealed under keyID, by the key id they are under; nil
// when there are none.
func (s *Store) notUnder(ctx context.Context, keyID string) (map[string]int, error) {
	ids, err := keyIDs(ctx, s.read)
	if err != nil {
		return nil, storeError("read the key ids of the API keys", err)
	}
	var out map[string]int
	for _, id := range ids {
		if id == keyID {
			continue
		}
		n, err := countUnder(ctx, s.read, id)
		if err != nil {
			return nil, storeError("count the API keys of a key id", err)
		}
		if out == nil {
			out = map[string]int{}
		}
		out[id] = n
	}
	return out, nil
}

// rekeyPass goes once through the records not under the sealing key, in key order, batch
// by batch, adding what it did to report; failed holds the records reported as failed.
func (s *Store) rekeyPass(ctx context.Context, batch int, report *RekeyReport, failed map[string]bool) error {
	var afterEmail, afterService string
	for {
		var rows []sealedRow
		resealed := map[string]int{}
		var failures []RekeyFailure
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			rows, err = queryAll(tx.ctx, tx.q, scanSealed,
				"SELECT "+connectionColumns+" FROM connections WHERE key_id <> $1 AND (user_email > $2 OR (user_email = $2 AND service_id > $3))"+
					" ORDER BY user_email, service_id LIMIT $4"+s.dialect.skipLocked,
				report.SealingID, afterEmail, afterService, batch)
			if err != nil {
				return tx.failed("read API keys to re-seal", err)
			}
			for _, r := range rows {
				key, err := s.keys.open(r.c, r.stored, r.keyID)
				if err != nil {
					failures = append(failures, RekeyFailure{UserEmail: r.c.UserEmail, ServiceID: r.c.ServiceID, TokenID: r.c.TokenID, KeyID: r.keyID, Err: err})
					continue
				}
				r.c.APIKey = key
				sealed, keyID := s.keys.seal(r.c)
				// Only the record as read: one a portal rewrote meanwhile is sealed already.
				n, err := tx.exec("re-seal an API key",
					"UPDATE connections SET api_key = $1, key_id = $2 WHERE user_email = $3 AND service_id = $4 AND token_id = $5 AND key_id = $6 AND api_key = $7",
					sealed, keyID, r.c.UserEmail, r.c.ServiceID, r.c.TokenID, r.keyID, r.stored)
				if err != nil {
					return err
				}
				resealed[r.keyID] += int(n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for id, n := range resealed {
			report.Resealed[id] += n
		}
		for _, f := range failures {
			name := f.UserEmail + "\x00" + f.ServiceID + "\x00" + f.TokenID
			if !failed[name] {
				failed[name] = true
				report.Failed = append(report.Failed, f)
			}
		}
		if len(rows) < batch {
			return nil
		}
		last := rows[len(rows)-1].c
		afterEmail, afterService = last.UserEmail, last.ServiceID
	}
}

// sealedRow is a connection row with its API key as stored, not opened.
type sealedRow struct {
	c             services.Connection
	stored, keyID string
}

func scanSealed(row scanner) (sealedRow, error) {
	var r sealedRow
	var connected, expires int64
	err := row.Scan(&r.c.UserEmail, &r.c.ServiceID, &r.c.Username, &r.c.TokenID, &r.stored, &r.keyID, &connected, &expires, &r.c.RevokeURL)
	return r, err
}
