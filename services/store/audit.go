package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The audit log is a table of records chained by SHA-256: each record's Hash covers its
// canonical content (auditCanonical) and PrevHash, the Hash of the record before it. A
// record changed, removed, inserted or moved breaks the chain from there on, which
// VerifyAudit finds. The chain's head (the last record's seq and hash) is one row that every
// append locks, so appends are serialized across every portal on the database and the chain
// never forks.
//
// Records are appended inside the change they describe (Tx.Audit), at its end, just before
// it commits: the record and the change commit or vanish together, it costs no commit of
// its own, and the head's lock is held only for the commit. What happens outside any change
// (a sign-in, a refused registry edit) is appended in a change of its own (Store.Audit).

// ZeroHash is the hash the first record of a log follows.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// auditFieldMax bounds each text field of a record, in bytes.
const auditFieldMax = 1024

// AuditEvent is one thing that happened, as the audit log records it. It never holds a key
// or a secret: tokens are named by their token id.
type AuditEvent struct {
	// At is when it happened; the store's clock when zero.
	At time.Time
	// Actor is who did it: the person, an admin's email, "worker", "cli", "registry".
	Actor string
	// Kind is what happened: connect, disconnect, revocation, sign_in, ….
	Kind      string
	Person    string // the email of the person concerned
	Account   string // their server account
	ServiceID string
	TokenID   string
	Outcome   string // ok, refused, failed, confirmed, needs_attention, …
	Reason    string
}

// AuditRecord is an event as the log holds it: numbered and chained.
type AuditRecord struct {
	Seq int64
	AuditEvent
	PrevHash string
	Hash     string
}

// auditColumns are the audit_log's columns, in the order the records are scanned.
const auditColumns = "seq, at, actor, kind, person, account, service_id, token_id, outcome, reason, prev_hash, hash"

// auditFormat names the canonical form a record's hash is taken over.
const auditFormat = "sc-audit-1"

// auditCanonical is the content a record's hash is taken over: the JSON array
// ["sc-audit-1", seq, at (ns since 1970), actor, kind, person, account, service_id,
// token_id, outcome, reason, prev_hash], as Go's encoding/json writes it.
func auditCanonical(r AuditRecord) []byte {
	b, _ := json.Marshal([]any{auditFormat, r.Seq, unixNano(r.At), r.Actor, r.Kind, r.Person, r.Account,
		r.ServiceID, r.TokenID, r.Outcome, r.Reason, r.PrevHash}) // strings and numbers always encode
	return b
}

// AuditHash is the hash a record must carry: hex SHA-256 of its canonical content.
func AuditHash(r AuditRecord) string {
	sum := sha256.Sum256(auditCanonical(r))
	return hex.EncodeToString(sum[:])
}

// normalizeEvent makes an event fit to store: valid UTF-8, each field bounded, the email
// lower-cased, the time in UTC to the nanosecond the database keeps.
func normalizeEvent(e AuditEvent, now time.Time) AuditEvent {
	field := func(s string) string {
		s = strings.ToValidUTF8(s, "\uFFFD")
		if len(s) > auditFieldMax {
			cut := auditFieldMax
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
			s = s[:cut] + "…"
		}
		return s
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC()
	e.Actor, e.Kind, e.Outcome, e.Reason = field(e.Actor), field(e.Kind), field(e.Outcome), field(e.Reason)
	e.Person, e.Account = normalizeEmail(field(e.Person)), field(e.Account)
	e.ServiceID, e.TokenID = field(e.ServiceID), field(e.TokenID)
	return e
}

// Audit appends events to the audit log when the change commits: they are appended last,
// after the change's other statements, and vanish with it when it does not commit.
func (tx *Tx) Audit(events ...AuditEvent) {
	tx.audit = append(tx.audit, events...)
}

// Audit appends events to the audit log in a change of their own, for what happens outside
// any change of the state (a sign-in, a refused registry edit).
func (s *Store) Audit(ctx context.Context, events ...AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	return s.Update(ctx, func(tx *Tx) error {
		tx.Audit(events...)
		return nil
	})
}

// auditHead is the chain's head row.
type auditHead struct {
	Seq        int64
	Hash       string
	AnchorSeq  int64
	AnchorHash string
}

const auditHeadColumns = "seq, hash, anchor_seq, anchor_hash"

func scanAuditHead(row scanner) (auditHead, error) {
	var h auditHead
	return h, row.Scan(&h.Seq, &h.Hash, &h.AnchorSeq, &h.AnchorHash)
}

// lockedHead reads the chain's head in a change, locking it (FOR UPDATE on PostgreSQL; SQLite
// serializes the whole change) until the change ends.
func (tx *Tx) lockedHead() (auditHead, error) {
	h, ok, err := queryOne(tx.ctx, tx.q, scanAuditHead, "SELECT "+auditHeadColumns+" FROM audit_head WHERE id = 1"+tx.r.lock)
	if err == nil && !ok {
		err = fmt.Errorf("the audit log has no head row")
	}
	return h, tx.failed("read the audit log's head", err)
}

// appendAudit appends the change's events to the chain, under the head's lock.
func (tx *Tx) appendAudit(now time.Time) error {
	if len(tx.audit) == 0 {
		return nil
	}
	head, err := tx.lockedHead()
	if err != nil {
		return err
	}
	for _, e := range tx.audit {
		r := AuditRecord{Seq: head.Seq + 1, AuditEvent: normalizeEvent(e, now), PrevHash: head.Hash}
		r.Hash = AuditHash(r)
		if _, err := tx.exec("append to the audit log", insertSQL("audit_log", auditColumns), auditArgs(r)...); err != nil {
			return err
		}
		head.Seq, head.Hash = r.Seq, r.Hash
	}
	_, err = tx.exec("move the audit log's head", "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", head.Seq, head.Hash)
	return err
}

func auditArgs(r AuditRecord) []any {
	return []any{r.Seq, unixNano(r.At), r.Actor, r.Kind, r.Person, r.Account, r.ServiceID, r.TokenID, r.Outcome, r.Reason, r.PrevHash, r.Hash}
}

func scanAuditRecord(row scanner) (AuditRecord, error) {
	var r AuditRecord
	var at int64
	err := row.Scan(&r.Seq, &at, &r.Actor, &r.Kind, &r.Person, &r.Account, &r.ServiceID, &r.TokenID, &r.Outcome, &r.Reason, &r.PrevHash, &r.Hash)
	r.At = fromUnixNano(at)
	return r, err
}
