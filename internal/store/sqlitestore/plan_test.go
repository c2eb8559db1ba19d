package sqlitestore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/sqldb"
	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/store/storetest"
)

// TestQueryPlans checks that SQLite answers every listing and search shape
// from an index: no plan step is a bare "SCAN sessions" (a full table scan).
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "caisse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	scope := store.Scope{MerchantID: "mer_big"}
	for _, c := range storetest.PlanCases() {
		count, page, args := sqldb.SessionSearchSQL(s.Engine, scope, c.Filter)
		for name, q := range map[string]string{"count": count, "page": page} {
			a := args
			if name == "page" {
				a = append(append([]any{}, args...), c.Filter.Limit, c.Filter.Offset)
			}
			plan := explain(t, s, q, a)
			for _, line := range strings.Split(plan, "\n") {
				if strings.Contains(line, "SCAN sessions") && !strings.Contains(line, "INDEX") {
					t.Errorf("%s (%s) scans the whole table:\n%s", c.Name, name, plan)
				}
			}
			t.Logf("%s (%s):\n%s", c.Name, name, plan)
		}
	}
}

func explain(t *testing.T, s *sqlitestore.Store, q string, args []any) string {
	t.Helper()
	rows, err := s.Reader.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}
