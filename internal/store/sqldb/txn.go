package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// Pipeliner is an engine that commits a transaction of writes alone better
// than statement by statement: PostgreSQL sends them in one round trip (an
// extended-protocol pipeline: the statements before one Sync run as one
// implicit transaction, all or none); SQLite commits the writes of
// concurrent requests together, one fsync for the group (group commit).
type Pipeliner interface {
	// Pipeline runs stmts in order in one transaction on db, committing
	// them all or none, and returns the first error.
	Pipeline(ctx context.Context, db *sql.DB, stmts []Deferred) error
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
// that never needed an answer goes to the engine's Pipeline — on PostgreSQL
// an idempotent create is BEGIN, two INSERTs and COMMIT in one round trip.
type txn struct {
	db     *sql.DB   // the writer pool
	pipe   Pipeliner // nil: begun at once, no queue
	tx     *sql.Tx   // the transaction once begun
	queued []Deferred
	err    error // why the transaction failed to begin or to send its queue
}

// sql is the begun transaction, beginning it and sending the queue first if
// need be. If that fails, t.err says why and the querier returned fails every
// statement.
func (t *txn) sql(ctx context.Context) querier {
	switch {
	case t.tx != nil:
		return t.tx
	case t.err != nil:
		return closedDB
	}
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		t.err = err
		return closedDB
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

// commit commits what the transaction did: the queue through the engine's
// Pipeline if it never began.
func (t *txn) commit(ctx context.Context) error {
	defer t.close()
	switch {
	case t.err != nil:
		return t.err
	case t.tx != nil:
		return t.tx.Commit()
	case len(t.queued) > 0:
		return t.pipe.Pipeline(ctx, t.db, t.queued)
	}
	return nil
}

// close rolls back what is not committed.
func (t *txn) close() {
	if t.tx != nil {
		t.tx.Rollback() //nolint:errcheck // a no-op after Commit
	}
}

// begin starts InTx's transaction: a lazy one on a Pipeliner engine.
func (s *Store) begin(ctx context.Context) (*txn, error) {
	if p, ok := s.Engine.(Pipeliner); ok {
		return &txn{db: s.Writer, pipe: p}, nil
	}
	tx, err := s.Writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &txn{db: s.Writer, tx: tx}, nil
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

// closedDB fails every statement at once ("sql: database is closed"): it
// stands for a transaction that could not begin (txn.err says why).
var closedDB = func() *sql.DB {
	db := sql.OpenDB(noConnector{})
	db.Close()
	return db
}()

// noConnector is closedDB's: it is never asked for a connection.
type noConnector struct{}

func (noConnector) Connect(context.Context) (driver.Conn, error) { return nil, errNoTx }
func (noConnector) Driver() driver.Driver                        { return nil }
