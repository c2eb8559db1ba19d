package sqldb

import (
	"context"
	"database/sql"
	"reflect"
	"sync"
)

// Statements keeps statements prepared on a pool, by their text, for an
// engine whose driver parses every statement it runs (modernc's SQLite;
// pgx caches its own): database/sql prepares each on a connection the first
// time it runs there. Statements built per request (searches with their
// filters) are cached too until maxStatements, then run unprepared.
type Statements struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxStatements bounds a cache: caisse has fewer distinct fixed statements.
const maxStatements = 512

// NewStatements is an empty cache of statements prepared on db.
func NewStatements(db *sql.DB) *Statements {
	return &Statements{db: db, m: map[string]*sql.Stmt{}}
}

// Warm prepares every string field of q that prepares (the others are
// templates), so transactions find them prepared: a transaction holding the
// writer pool's one connection cannot prepare on the pool.
func (c *Statements) Warm(ctx context.Context, q *Queries) {
	v := reflect.ValueOf(q).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			c.get(ctx, f.String(), true)
		}
	}
}

// get is query's prepared statement, prepared now if need be and may;
// nil when it is not there, the cache is full, or query does not prepare
// (running it reports why). The lock is not held while preparing, which
// waits for a connection: a transaction holding the writer's one connection
// must still find its statements meanwhile.
func (c *Statements) get(ctx context.Context, query string, may bool) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.m[query]
	full := len(c.m) >= maxStatements
	c.mu.Unlock()
	if ok || !may || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.m[query]; ok { // prepared meanwhile by another request
		st.Close()
		return had
	}
	c.m[query] = st
	return st
}

// Exec runs query in tx through its prepared statement if it is cached.
func (c *Statements) Exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	return prepared{c: c, tx: tx, q: tx}.ExecContext(ctx, query, args...)
}

// close closes every statement.
func (c *Statements) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// prepared runs statements through a cache, on a pool or in a transaction.
type prepared struct {
	c  *Statements
	tx *sql.Tx // nil: on the pool
	q  querier // the pool or tx itself, for what the cache does not hold
}

func (p prepared) stmt(ctx context.Context, query string) *sql.Stmt {
	st := p.c.get(ctx, query, p.tx == nil)
	if st != nil && p.tx != nil {
		st = p.tx.StmtContext(ctx, st)
	}
	return st
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.q.ExecContext(ctx, query, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.q.QueryContext(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.q.QueryRowContext(ctx, query, args...)
}
