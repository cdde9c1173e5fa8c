package store

import (
	"context"
	"database/sql"
	"sync"
)

// preparedDB runs every statement prepared once for its text, and keeps it: database/sql then
// keeps it prepared on each connection that ran it, so the statements of a click are parsed
// once per connection, not at every call (with SQLite, parsing cost more than running them).
// The statements are a fixed set of texts, so the cache stays small.
type preparedDB struct {
	db    *sql.DB
	stmts sync.Map // query text → *sql.Stmt
}

func newPreparedDB(db *sql.DB) *preparedDB { return &preparedDB{db: db} }

// stmt returns the statement of query, preparing it the first time.
func (p *preparedDB) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := p.stmts.LoadOrStore(query, s); loaded {
		_ = s.Close() // another caller prepared it meanwhile; theirs is kept
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// ExecContext runs a statement that returns no rows.
func (p *preparedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// QueryContext runs a query.
func (p *preparedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// QueryRowContext runs a query for one row. A statement that does not prepare is run as it
// is, so its error reaches the caller through Scan.
func (p *preparedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// close closes every statement kept.
func (p *preparedDB) close() {
	p.stmts.Range(func(_, s any) bool {
		_ = s.(*sql.Stmt).Close() // the database closes next
		return true
	})
}

// preparedTx runs the statements of a transaction with its database's prepared statements.
// A statement not prepared yet runs as it is, and is prepared once the transaction is over:
// preparing it on the database now would wait for a connection, and SQLite's one writing
// connection is the transaction's.
type preparedTx struct {
	tx     *sql.Tx
	db     *preparedDB
	missed *[]string // the statements to prepare after the transaction
}

// prepared returns the database's statement of query bound to the transaction, or nil when
// it is not prepared yet.
func (p preparedTx) prepared(ctx context.Context, query string) *sql.Stmt {
	if s, ok := p.db.stmts.Load(query); ok {
		return p.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	*p.missed = append(*p.missed, query)
	return nil
}

// ExecContext runs a statement that returns no rows in the transaction.
func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := p.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query for one row in the transaction.
func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}

// prepareMissed prepares the statements a transaction ran unprepared, now that it is over.
// One that fails to prepare is simply run unprepared again next time.
func (p preparedTx) prepareMissed(ctx context.Context) {
	for _, q := range *p.missed {
		_, _ = p.db.stmt(ctx, q)
	}
}
