package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

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
		{ctx: ctx, db: s.Writer, stmts: insert("mer_before")},
		{ctx: ctx, db: s.Writer, stmts: []sqldb.Deferred{{Query: "ROLLBACK"}}},
		{ctx: ctx, db: s.Writer, stmts: insert("mer_after")},
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
	if errs := g.commit([]groupWrite{{ctx: ctx, db: s.Writer, stmts: insert("mer_next")}}); errs[0] != nil {
		t.Fatalf("the next group: %v", errs[0])
	}
	if _, err := s.MerchantGet(ctx, "mer_next"); err != nil {
		t.Errorf("mer_next: %v", err)
	}
}
