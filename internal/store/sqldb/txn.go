package sqldb

import (
	"context"
	"database/sql"
	"errors"
)

// Pipeliner is an engine that can send a transaction's statements in one
// round trip (PostgreSQL's extended-protocol pipeline: the statements before
// one Sync run as one implicit transaction, all or none).
type Pipeliner interface {
	// Pipeline runs stmts in order in one transaction on conn, committing
	// them all or none, and returns the first error.
	Pipeline(ctx context.Context, conn *sql.Conn, stmts []Deferred) error
}

// Deferred is a write whose result nobody reads, held until its transaction
// needs the database or commits.
type Deferred struct {
	Query string
	Args  []any
}

// txn is a write transaction of InTx. On a Pipeliner engine it begins lazily:
// writes sent through later wait in queued until a statement needs an answer
// (then BEGIN and the queue go first) or until commit, where a transaction
// that never needed an answer goes in one round trip — an idempotent create
// is BEGIN, two INSERTs and COMMIT in one.
type txn struct {
	conn   *sql.Conn // the pinned connection of a lazy transaction
	pipe   Pipeliner // nil: begun at once, no queue
	tx     *sql.Tx   // the transaction once begun
	queued []Deferred
	err    error // why the transaction failed to begin or to send its queue
}

// sql is the begun transaction, beginning it and sending the queue first if
// need be. If that fails, t.err says why and the querier returned fails every
// statement (a closed connection or a finished transaction).
func (t *txn) sql(ctx context.Context) querier {
	if t.tx != nil || t.err != nil {
		if t.tx != nil {
			return t.tx
		}
		return t.conn
	}
	tx, err := t.conn.BeginTx(ctx, nil)
	if err != nil {
		t.err = err
		t.conn.Close()
		return t.conn
	}
	t.tx = tx
	for _, d := range t.queued {
		if _, err := tx.ExecContext(ctx, d.Query, d.Args...); err != nil {
			t.err = err
			tx.Rollback() //nolint:errcheck // the error that matters is err
			break
		}
	}
	t.queued = nil
	return tx
}

// lazy reports whether a write may wait in the queue.
func (t *txn) lazy() bool { return t.pipe != nil && t.tx == nil && t.err == nil }

// commit commits what the transaction did: the queue in one round trip if it
// never began.
func (t *txn) commit(ctx context.Context) error {
	defer t.close()
	switch {
	case t.err != nil:
		return t.err
	case t.tx != nil:
		return t.tx.Commit()
	case len(t.queued) > 0:
		return t.pipe.Pipeline(ctx, t.conn, t.queued)
	}
	return nil
}

// close rolls back what is not committed and returns the connection.
func (t *txn) close() {
	if t.tx != nil {
		t.tx.Rollback() //nolint:errcheck // a no-op after Commit
	}
	if t.conn != nil {
		t.conn.Close()
	}
}

// begin starts InTx's transaction: a lazy one on a Pipeliner engine.
func (s *Store) begin(ctx context.Context) (*txn, error) {
	if p, ok := s.Engine.(Pipeliner); ok {
		conn, err := s.Writer.Conn(ctx)
		if err != nil {
			return nil, err
		}
		return &txn{conn: conn, pipe: p}, nil
	}
	tx, err := s.Writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &txn{tx: tx}, nil
}

// later runs a write whose result nobody reads: queued in a lazy
// transaction, at once otherwise.
func (s *Store) later(ctx context.Context, query string, args ...any) error {
	if b := s.bound(ctx); b.tx != nil && b.tx.lazy() {
		b.tx.queued = append(b.tx.queued, Deferred{Query: query, Args: args})
		return nil
	}
	_, err := s.exec(ctx, query, args...)
	return err
}

// errNoTx is SQL outside a transaction.
var errNoTx = errors.New("sqldb: not in a transaction")
