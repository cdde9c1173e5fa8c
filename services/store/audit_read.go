package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// AuditFilter selects audit records; its zero value selects all of them. Every field set
// must match.
type AuditFilter struct {
	Person    string    // the person's email, any case
	ServiceID string    // the service's id
	Since     time.Time // records at or after this time
}

// where is the filter as conditions joined by AND (starting with TRUE), with its arguments
// numbered from $first.
func (f AuditFilter) where(first int) (string, []any) {
	w := conditions{first: first, conds: []string{"TRUE"}}
	add := w.add
	if f.Person != "" {
		add("person = $%d", normalizeEmail(f.Person))
	}
	if f.ServiceID != "" {
		add("service_id = $%d", f.ServiceID)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", unixNano(f.Since))
	}
	return w.sql(), w.args
}

// AuditCursor says which page of the log, newest first, to read: the records before Before
// (older), or those after After (newer), or the newest when both are zero.
type AuditCursor struct {
	Before, After int64
}

// AuditPage is one page of the log, newest first, and whether there are older and newer
// records beyond it.
type AuditPage struct {
	Records      []AuditRecord
	Older, Newer bool
}

// AuditRecords returns a page of at most limit records that f selects, newest first, at the
// cursor. It walks an index from the cursor (by person, by service, or by seq), so a page
// costs the same however long the log is.
func (s *Store) AuditRecords(ctx context.Context, f AuditFilter, cur AuditCursor, limit int) (AuditPage, error) {
	limit = max(1, limit)
	where, args := f.where(1)
	order := " ORDER BY seq DESC"
	switch {
	case cur.After > 0:
		args = append(args, cur.After)
		where += fmt.Sprintf(" AND seq > $%d", len(args))
		order = " ORDER BY seq"
	case cur.Before > 0:
		args = append(args, cur.Before)
		where += fmt.Sprintf(" AND seq < $%d", len(args))
	}
	args = append(args, limit+1)
	recs, err := queryAll(ctx, s.readQ, scanAuditRecord,
		"SELECT "+auditColumns+" FROM audit_log WHERE "+where+order+fmt.Sprintf(" LIMIT $%d", len(args)), args...)
	if err != nil {
		return AuditPage{}, storeError("read the audit log", err)
	}
	more := len(recs) > limit
	recs = recs[:min(len(recs), limit)]
	page := AuditPage{Records: recs}
	if cur.After > 0 {
		slices.Reverse(page.Records)
		page.Newer, page.Older = more, true
	} else {
		page.Older, page.Newer = more, cur.Before > 0
	}
	return page, nil
}

// auditBatch is how many records ExportAudit and VerifyAudit read at a time.
const auditBatch = 1000

// ExportAudit hands every record f selects to fn, oldest first, reading them in batches so
// the log is never held in memory whole. fn's error stops it and is returned.
func (s *Store) ExportAudit(ctx context.Context, f AuditFilter, fn func(AuditRecord) error) error {
	return walkAudit(ctx, s.readQ, f, 0, fn)
}

// walkAudit hands the records f selects with a seq above after to fn, oldest first.
func walkAudit(ctx context.Context, q querier, f AuditFilter, after int64, fn func(AuditRecord) error) error {
	where, args := f.where(1)
	query := "SELECT " + auditColumns + " FROM audit_log WHERE " + where +
		fmt.Sprintf(" AND seq > $%d ORDER BY seq LIMIT %d", len(args)+1, auditBatch)
	for {
		recs, err := queryAll(ctx, q, scanAuditRecord, query, append(slices.Clone(args), after)...)
		if err != nil {
			return storeError("read the audit log", err)
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(recs) < auditBatch {
			return nil
		}
		after = recs[len(recs)-1].Seq
	}
}
