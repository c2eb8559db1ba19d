package sqlitestore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/caisse/caisse/internal/store/sqldb"
)

// group commits the write-only transactions of concurrent requests together
// (sqldb.Pipeliner): SQLite has one writer and each commit waits for an
// fsync, so while one group commits the next gathers, and it costs one
// commit whatever its size. Each request's writes run in a savepoint of the
// group's transaction: a request whose statement fails (a taken idempotency
// key) is rolled back alone; the others commit.
type group struct {
	stmts   *sqldb.Statements
	mu      sync.Mutex
	pending []*groupWrite
	running bool // a goroutine is committing groups
}

// groupWrite is one request's transaction waiting for its group.
type groupWrite struct {
	ctx   context.Context
	stmts []sqldb.Deferred
	done  chan error
}

// maxGroup bounds a group, so that one commit's work stays short.
const maxGroup = 64

// Pipeline queues stmts for the next group and waits for its commit. It waits
// even when ctx ends meanwhile: a group that started them decides their fate,
// and an answer before it would be a guess (a request whose ctx has ended
// before its group starts is dropped, with ctx's error).
func (g *group) Pipeline(ctx context.Context, db *sql.DB, stmts []sqldb.Deferred) error {
	w := &groupWrite{ctx: ctx, stmts: stmts, done: make(chan error, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if !g.running {
		g.running = true
		go g.commitAll(db)
	}
	g.mu.Unlock()
	return <-w.done
}

// commitAll commits groups until none is waiting.
func (g *group) commitAll(db *sql.DB) {
	for {
		g.mu.Lock()
		n := min(len(g.pending), maxGroup)
		batch := g.pending[:n:n]
		g.pending = g.pending[n:]
		if n == 0 {
			g.running = false
			g.pending = nil
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(db, batch)
	}
}

// commit runs one group in one transaction.
func (g *group) commit(db *sql.DB, batch []*groupWrite) {
	errs := make([]error, len(batch))
	ctx := context.Background() // the group outlives any one request
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		for _, w := range batch {
			w.done <- err
		}
		return
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for i, w := range batch {
		if errs[i] = w.ctx.Err(); errs[i] == nil {
			errs[i] = g.run(ctx, tx, w.stmts)
		}
	}
	err = tx.Commit()
	for i, w := range batch {
		if errs[i] == nil {
			errs[i] = err
		}
		w.done <- errs[i]
	}
}

// run runs one request's statements in a savepoint: released when they all
// succeed, rolled back to otherwise.
func (g *group) run(ctx context.Context, tx *sql.Tx, stmts []sqldb.Deferred) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT caisse_group"); err != nil {
		return err
	}
	var err error
	for _, d := range stmts {
		if _, err = g.stmts.Exec(ctx, tx, d.Query, d.Args...); err != nil {
			break
		}
	}
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO caisse_group"); rerr != nil {
			return rerr // the group's transaction fails: Commit will say so to the others
		}
	}
	if _, rerr := tx.ExecContext(ctx, "RELEASE caisse_group"); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
