package store

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds how many records one PruneAudit deletes, so its change stays short.
const pruneBatch = 10_000

// PruneAudit deletes the oldest records of the audit log, those before before, at most
// pruneBatch at a time (call it again while it returns pruneBatch), and returns how many it
// deleted. The chain stays verifiable from the first record kept: the head row keeps that
// record's seq and the hash it follows as the new anchor. The records it deletes are
// checked first: a chain broken among them is refused, as deleting them would destroy the
// evidence, and the error says so. The deletion itself is recorded in the log, by actor.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, actor string) (int, error) {
	oldest, ok, err := queryOne(ctx, s.readQ, func(row scanner) (int64, error) {
		var at int64
		return at, row.Scan(&at)
	}, "SELECT at FROM audit_log ORDER BY seq LIMIT 1")
	if err != nil {
		return 0, storeError("read the audit log", err)
	}
	if !ok || !fromUnixNano(oldest).Before(before) {
		return 0, nil
	}
	var deleted int
	err = s.Update(ctx, func(tx *Tx) error {
		head, err := tx.lockedHead()
		if err != nil {
			return err
		}
		recs, err := queryAll(tx.ctx, tx.q, scanAuditRecord,
			"SELECT "+auditColumns+" FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2", head.AnchorSeq, pruneBatch+1)
		if err != nil {
			return tx.failed("read the audit log", err)
		}
		n := 0
		for n < len(recs) && n < pruneBatch && recs[n].At.Before(before) {
			n++
		}
		if n == 0 {
			return nil
		}
		if err := checkPruned(head, recs, n); err != nil {
			return err
		}
		last := recs[n-1]
		if _, err := tx.exec("prune the audit log", "DELETE FROM audit_log WHERE seq <= $1", last.Seq); err != nil {
			return err
		}
		if _, err := tx.exec("move the audit log's anchor", "UPDATE audit_head SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1", last.Seq+1, last.Hash); err != nil {
			return err
		}
		deleted = n
		tx.Audit(AuditEvent{Actor: actor, Kind: "audit_retention", Outcome: "ok",
			Reason: fmt.Sprintf("deleted records %d to %d, older than %s; the log is verified from record %d", recs[0].Seq, last.Seq, before.UTC().Format(time.RFC3339), last.Seq+1)})
		return nil
	})
	return deleted, err
}

// checkPruned checks the chain of the first n records, from the anchor, and their link to the
// record after them (or to the head when they are all there is).
func checkPruned(head auditHead, recs []AuditRecord, n int) error {
	seq, prev := head.AnchorSeq, head.AnchorHash
	for _, r := range recs[:n] {
		if r.Seq != seq || r.PrevHash != prev || AuditHash(r) != r.Hash {
			return fmt.Errorf("store: the audit log's chain breaks at record %d, so nothing was pruned: run `service-connector audit verify`", r.Seq)
		}
		seq, prev = r.Seq+1, r.Hash
	}
	if n < len(recs) && (recs[n].Seq != seq || recs[n].PrevHash != prev) {
		return fmt.Errorf("store: the audit log's chain breaks at record %d, so nothing was pruned: run `service-connector audit verify`", recs[n].Seq)
	}
	if n == len(recs) && (head.Seq != seq-1 || head.Hash != prev) {
		return fmt.Errorf("store: the audit log's head does not match its last record %d, so nothing was pruned: run `service-connector audit verify`", seq-1)
	}
	return nil
}
