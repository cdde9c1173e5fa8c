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
	// One snapshot for the whole check: the worker's retention may prune meanwhile, and a
	// head read before a prune with records read after it would look like a removal.
	tx, err := s.snapshot(ctx)
	if err != nil {
		return AuditCheck{}, storeError("read the audit log", err)
	}
	defer func() { _ = tx.Rollback() }() // read only
	head, ok, err := queryOne(ctx, tx, scanAuditHead, "SELECT "+auditHeadColumns+" FROM audit_head WHERE id = 1")
	if err != nil {
		return AuditCheck{}, storeError("read the audit log's head", err)
	}
	if !ok {
		return AuditCheck{Bad: &AuditBreak{Why: "the audit log's head row is missing"}}, nil
	}
	w := chainWalk{head: head, wanted: map[int64]string{}, next: head.AnchorSeq, prevHash: head.AnchorHash,
		check: AuditCheck{From: head.AnchorSeq, To: head.AnchorSeq - 1, AnchorHash: head.AnchorHash, Head: head.Hash}}
	for _, e := range expect {
		w.wanted[e.Seq] = e.Hash
	}
	err = walkAudit(ctx, tx, AuditFilter{}, -1<<62, w.step)
	if errors.Is(err, errBreak) {
		return w.check, nil
	}
	if err != nil && !errors.Is(err, errDone) {
		return w.check, err
	}
	w.finish()
	if w.check.Bad == nil {
		bad, err := beyondHead(ctx, tx, head.Seq)
		if err != nil {
			return w.check, err
		}
		w.check.Bad = bad
	}
	return w.check, nil
}

// chainWalk is VerifyAudit's walk along the chain: what it found so far, the record it
// expects next, and the hash that record must follow.
type chainWalk struct {
	head     auditHead
	check    AuditCheck
	wanted   map[int64]string // hashes expected of some records (ExpectHash)
	next     int64
	prevHash string
	prevAt   time.Time
}

// step checks one record, in seq order; it returns errBreak at the first break (named in
// check.Bad) and errDone past the head.
func (w *chainWalk) step(r AuditRecord) error {
	switch {
	case r.Seq > w.head.Seq && r.Seq == w.next:
		return errDone // appended after the head was read: the next run checks it
	case r.Seq < w.next:
		return w.breaks(r.Seq, r.At, fmt.Sprintf("it comes before the first record kept (%d): it was inserted", w.head.AnchorSeq))
	case r.Seq > w.next && w.next == w.head.AnchorSeq:
		return w.breaks(w.next, time.Time{}, fmt.Sprintf("it is missing: the log starts at record %d", r.Seq))
	case r.Seq > w.next:
		return w.breaks(w.next, time.Time{}, fmt.Sprintf("it is missing: record %d (%s) is followed by record %d (%s)",
			w.next-1, w.prevAt.Format(time.RFC3339), r.Seq, r.At.Format(time.RFC3339)))
	case r.PrevHash != w.prevHash:
		return w.breaks(r.Seq, r.At, "it does not follow the record before it: a record was removed, inserted or moved here")
	case AuditHash(r) != r.Hash:
		return w.breaks(r.Seq, r.At, "its content does not match its hash: it was changed")
	}
	if h, ok := w.wanted[r.Seq]; ok && h != r.Hash {
		return w.breaks(r.Seq, r.At, "its hash is not the one expected: the log was rewritten from here or before")
	}
	delete(w.wanted, r.Seq)
	w.check.Records++
	w.check.To, w.next, w.prevHash, w.prevAt = r.Seq, r.Seq+1, r.Hash, r.At
	return nil
}

// breaks names the first bad record and stops the walk.
func (w *chainWalk) breaks(seq int64, at time.Time, why string) error {
	w.check.Bad = &AuditBreak{Seq: seq, At: at, Why: why}
	return errBreak
}

// finish checks, once the walk reached the end, that it ended at the head, and that every
// record expected was found.
func (w *chainWalk) finish() {
	switch {
	case w.check.To != w.head.Seq || w.prevHash != w.head.Hash:
		if w.check.To < w.head.Seq {
			w.check.Bad = &AuditBreak{Seq: w.check.To + 1, Why: fmt.Sprintf("it is missing: the log ends at record %d, its head at record %d", w.check.To, w.head.Seq)}
		} else {
			w.check.Bad = &AuditBreak{Seq: w.check.To, At: w.prevAt, Why: fmt.Sprintf("the log's head names record %d with another hash", w.head.Seq)}
		}
	case len(w.wanted) > 0:
		for seq := range w.wanted {
			w.check.Bad = &AuditBreak{Seq: seq, Why: "the record expected is not in the log (pruned, or never there)"}
			break
		}
	}
}

// beyondHead looks for a record numbered after the head: every append moves the head in the
// change that inserts the record, so one there was inserted by hand (and would stop every
// append that comes to its number). It reads in the caller's snapshot, the one its headSeq
// was read in, so a record appended meanwhile is not taken for one.
func beyondHead(ctx context.Context, tx *sql.Tx, headSeq int64) (*AuditBreak, error) {
	r, found, err := queryOne(ctx, tx, scanAuditRecord, "SELECT "+auditColumns+" FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 1", headSeq)
	if err != nil || !found {
		return nil, storeError("read the audit log", err)
	}
	return &AuditBreak{Seq: r.Seq, At: r.At, Why: fmt.Sprintf("it comes after the log's head (record %d): it was inserted", headSeq)}, nil
}

// snapshot begins a read-only transaction that sees one state of the database throughout
// (SQLite's read transactions do in WAL mode; PostgreSQL's at REPEATABLE READ).
func (s *Store) snapshot(ctx context.Context) (*sql.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect.name == postgresDialect.name {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.read.BeginTx(ctx, opts)
}
