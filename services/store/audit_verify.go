package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AuditCheck is what VerifyAudit found.
type AuditCheck struct {
	// From and To are the seq numbers of the first and last records checked; From is the
	// anchor (the first record kept), whose PrevHash must be AnchorHash.
	From, To   int64
	AnchorHash string
	Records    int64  // how many records were checked
	Head       string // the hash of the last record, as the head row holds it
	// Bad is the first record that breaks the chain; nil when the chain holds.
	Bad *AuditBreak
}

// AuditBreak names the first record that breaks the chain, and why.
type AuditBreak struct {
	Seq int64
	// At is the record's time, as stored; zero when the record is missing.
	At time.Time
	// Why says what is wrong, in words.
	Why string
}

// errBreak stops the walk at the first break, errDone at the head.
var (
	errBreak = errors.New("the chain breaks")
	errDone  = errors.New("the head is reached")
)

// ExpectHash asks VerifyAudit to check that record Seq still has Hash, as an earlier run
// printed: an attacker who rewrote the chain from before it, hashes and head included, is
// found by the copy kept elsewhere.
type ExpectHash struct {
	Seq  int64
	Hash string
}

// VerifyAudit checks the whole chain from its anchor to its head: the records' seq numbers
// follow on from the anchor without a gap, each record's PrevHash is the Hash of the one
// before it (the anchor's hash for the first), each Hash is the hash of its record's
// content, and the last record is the head. It reads the log in batches, not whole. The
// first record that breaks the chain is named in the check's Bad.
func (s *Store) VerifyAudit(ctx context.Context, expect ...ExpectHash) (AuditCheck, error) {
	head, ok, err := queryOne(ctx, s.readQ, scanAuditHead, "SELECT "+auditHeadColumns+" FROM audit_head WHERE id = 1")
	if err != nil {
		return AuditCheck{}, storeError("read the audit log's head", err)
	}
	if !ok {
		return AuditCheck{Bad: &AuditBreak{Why: "the audit log's head row is missing"}}, nil
	}
	check := AuditCheck{From: head.AnchorSeq, To: head.AnchorSeq - 1, AnchorHash: head.AnchorHash, Head: head.Hash}
	wanted := map[int64]string{}
	for _, e := range expect {
		wanted[e.Seq] = e.Hash
	}
	next, prevHash := head.AnchorSeq, head.AnchorHash
	var prevAt time.Time
	brk := func(r AuditRecord, why string) error {
		check.Bad = &AuditBreak{Seq: r.Seq, At: r.At, Why: why}
		return errBreak
	}
	err = s.walkAudit(ctx, AuditFilter{}, -1<<62, func(r AuditRecord) error {
		switch {
		case r.Seq > head.Seq && r.Seq == next:
			return errDone // appended after the head was read: the next run checks it
		case r.Seq < next:
			return brk(r, fmt.Sprintf("it comes before the first record kept (%d): it was inserted", head.AnchorSeq))
		case r.Seq > next && next == head.AnchorSeq:
			check.Bad = &AuditBreak{Seq: next, Why: fmt.Sprintf("it is missing: the log starts at record %d", r.Seq)}
			return errBreak
		case r.Seq > next:
			check.Bad = &AuditBreak{Seq: next, Why: fmt.Sprintf("it is missing: record %d (%s) is followed by record %d (%s)",
				next-1, prevAt.Format(time.RFC3339), r.Seq, r.At.Format(time.RFC3339))}
			return errBreak
		case r.PrevHash != prevHash:
			return brk(r, "it does not follow the record before it: a record was removed, inserted or moved here")
		case AuditHash(r) != r.Hash:
			return brk(r, "its content does not match its hash: it was changed")
		}
		if h, ok := wanted[r.Seq]; ok && h != r.Hash {
			return brk(r, "its hash is not the one expected: the log was rewritten from here or before")
		}
		delete(wanted, r.Seq)
		check.Records++
		check.To, next, prevHash, prevAt = r.Seq, r.Seq+1, r.Hash, r.At
		return nil
	})
	if errors.Is(err, errBreak) {
		return check, nil
	}
	if errors.Is(err, errDone) {
		err = nil
	}
	if err != nil {
		return check, err
	}
	switch {
	case check.To != head.Seq || prevHash != head.Hash:
		if check.To < head.Seq {
			check.Bad = &AuditBreak{Seq: check.To + 1, Why: fmt.Sprintf("it is missing: the log ends at record %d, its head at record %d", check.To, head.Seq)}
		} else {
			check.Bad = &AuditBreak{Seq: check.To, At: prevAt, Why: fmt.Sprintf("the log's head names record %d with another hash", head.Seq)}
		}
	case len(wanted) > 0:
		for seq := range wanted {
			check.Bad = &AuditBreak{Seq: seq, Why: "the record expected is not in the log (pruned, or never there)"}
			break
		}
	}
	if check.Bad == nil {
		bad, err := s.beyondHead(ctx)
		if err != nil {
			return check, err
		}
		check.Bad = bad
	}
	return check, nil
}

// beyondHead looks for a record numbered after the head: every append moves the head in the
// change that inserts the record, so one there was inserted by hand (and would stop every
// append that comes to its number). The head and the record are read in one snapshot, so a
// record appended meanwhile is not taken for one.
func (s *Store) beyondHead(ctx context.Context) (*AuditBreak, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect.name == postgresDialect.name {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, storeError("read the audit log", err)
	}
	defer func() { _ = tx.Rollback() }() // read only
	var headSeq int64
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM audit_head WHERE id = 1").Scan(&headSeq); err != nil {
		return nil, storeError("read the audit log's head", err)
	}
	r, found, err := queryOne(ctx, tx, scanAuditRecord, "SELECT "+auditColumns+" FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1", headSeq)
	if err != nil || !found {
		return nil, storeError("read the audit log", err)
	}
	return &AuditBreak{Seq: r.Seq, At: r.At, Why: fmt.Sprintf("it comes after the log's head (record %d): it was inserted", headSeq)}, nil
}
