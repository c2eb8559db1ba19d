package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// TestGroupBrokenTransaction runs a group whose middle write ends the
// transaction itself (as SQLite does on a full disk or an I/O error): no
// write of the group may stand, those before it included, and every request
// hears so — the writes after it would otherwise each commit alone.
func TestGroupBrokenTransaction(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "caisse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insert := func(id string) []sqldb.Deferred {
		return []sqldb.Deferred{{Query: s.Q.MerchantInsert, Args: []any{id, "m", "XOF", 50, 0, 0, 0, int64(1)}}}
	}
	g := s.Engine.(*engine).group
	errs := g.commit([]groupWrite{
		{ctx: ctx, db: s.Writer, stmts: insert("mer_before"), state: new(atomic.Int32)},
		{ctx: ctx, db: s.Writer, stmts: []sqldb.Deferred{{Query: "ROLLBACK"}}, state: new(atomic.Int32)},
		{ctx: ctx, db: s.Writer, stmts: insert("mer_after"), state: new(atomic.Int32)},
	})
	for i, err := range errs {
		if err == nil {
			t.Errorf("write %d of a broken group: no error", i)
		}
	}
	for _, id := range []string{"mer_before", "mer_after"} {
		if _, err := s.MerchantGet(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s, written in a broken group: %v, want ErrNotFound", id, err)
		}
	}
	// The next group commits as usual.
	if errs := g.commit([]groupWrite{{ctx: ctx, db: s.Writer, stmts: insert("mer_next"), state: new(atomic.Int32)}}); errs[0] != nil {
		t.Fatalf("the next group: %v", errs[0])
	}
	if _, err := s.MerchantGet(ctx, "mer_next"); err != nil {
		t.Errorf("mer_next: %v", err)
	}
}

// TestGroupGivenUp holds SQLite's write lock from another connection, as a
// stuck writer in another process would, so that a group waits at BEGIN: a
// request whose deadline passes meanwhile gets its context's error (not the
// group's "database is locked" once the busy timeout is over), and its write
// never runs, even once the lock is released.
func TestGroupGivenUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "caisse.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	g := s.Engine.(*engine).group
	err = g.Pipeline(short, s.Writer, []sqldb.Deferred{{Query: s.Q.MerchantInsert,
		Args: []any{"mer_given_up", "m", "XOF", 50, 0, 0, 0, int64(1)}}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a write whose deadline passed while its group waited: %v, want DeadlineExceeded", err)
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	// The next write goes through, and the given-up one is not there.
	if err := g.Pipeline(ctx, s.Writer, []sqldb.Deferred{{Query: s.Q.MerchantInsert,
		Args: []any{"mer_next", "m", "XOF", 50, 0, 0, 0, int64(1)}}}); err != nil {
		t.Fatalf("the next write: %v", err)
	}
	if _, err := s.MerchantGet(ctx, "mer_given_up"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a given-up write: %v, want ErrNotFound", err)
	}
}
