package sqlitestore

import (
	"context"
	"database/sql"
	"sync/atomic"

	"github.com/caisse/caisse/internal/batch"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// group commits the write-only transactions of concurrent requests together
// (sqldb.Pipeliner): SQLite has one writer and each commit waits for an
// fsync, so while one group commits the next gathers (batch.Group), and it
// costs one commit whatever its size. Each request's writes run in a
// savepoint of the group's transaction: a request whose statement fails (a
// taken idempotency key) is rolled back alone; the others commit.
type group struct {
	stmts *sqldb.Statements
	g     batch.Group[groupWrite]
}

// newGroup is the group commit of the writer whose statements stmts keeps.
func newGroup(stmts *sqldb.Statements) *group {
	g := &group{stmts: stmts}
	g.g = batch.Group[groupWrite]{Max: maxGroup, Do: g.commit}
	return g
}

// groupWrite is one request's transaction waiting for its group.
type groupWrite struct {
	ctx   context.Context
	db    *sql.DB
	stmts []sqldb.Deferred
	state *atomic.Int32 // waiting, then taken by its group or given up by its request
}

// The states of a groupWrite: whichever of its group and its request moves it
// from waiting first decides whether its writes run.
const (
	waiting int32 = iota
	taken
	givenUp
)

// maxGroup bounds a group, so that one commit's work stays short.
const maxGroup = 64

// Pipeline queues stmts for the next group and waits for its commit, or for
// ctx to end while they still wait (a database locked by another process
// holds the group at BEGIN): then they are given up and never run. Once its
// group has taken them, their fate is the group's, and Pipeline waits for it
// (an answer before would be a guess).
func (g *group) Pipeline(ctx context.Context, db *sql.DB, stmts []sqldb.Deferred) error {
	w := groupWrite{ctx: ctx, db: db, stmts: stmts, state: new(atomic.Int32)}
	done := g.g.Submit(w)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if w.state.CompareAndSwap(waiting, givenUp) {
			return ctx.Err()
		}
		return <-done
	}
}

// commit runs one group in one transaction.
func (g *group) commit(writes []groupWrite) []error {
	errs := make([]error, len(writes))
	fail := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	ctx := context.Background() // the group outlives any one request
	tx, err := writes[0].db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for i, w := range writes {
		if !w.state.CompareAndSwap(waiting, taken) {
			errs[i] = w.ctx.Err() // its request gave up: nobody reads this
			continue
		}
		if errs[i] = w.ctx.Err(); errs[i] != nil {
			continue
		}
		var broken error
		if errs[i], broken = g.run(ctx, tx, w.stmts); broken != nil {
			// SQLite rolled the whole transaction back (a full disk, an I/O
			// error): every write of the group is undone, and the next
			// statements would each commit alone. Nothing of the group stands.
			return fail(broken)
		}
	}
	err = tx.Commit()
	for i := range errs {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// run runs one request's statements in a savepoint: released when they all
// succeed, rolled back to otherwise (err says why). broken is set when the
// savepoint cannot be rolled back to or released: the group's transaction is
// no longer the one the savepoint was made in.
func (g *group) run(ctx context.Context, tx *sql.Tx, stmts []sqldb.Deferred) (err, broken error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT caisse_group"); err != nil {
		return err, err
	}
	for _, d := range stmts {
		if _, err = g.stmts.Exec(ctx, tx, d.Query, d.Args...); err != nil {
			break
		}
	}
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO caisse_group"); rerr != nil {
			return err, rerr
		}
	}
	if _, rerr := tx.ExecContext(ctx, "RELEASE caisse_group"); rerr != nil {
		return err, rerr
	}
	return err, nil
}
