package sqlitestore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store/storetest"
)

// TestQueryPlans checks that SQLite answers every listing and search shape
// from an index: no plan step is a bare "SCAN sessions" (a full table scan).
func TestQueryPlans(t *testing.T) {
	s := open(t)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	explain := func(q string, args []any) string {
		rows, err := s.Reader.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q, args...)
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
	storetest.CheckPlans(t, s.Store, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), storetest.Planner{
		Explain: explain,
		FullScan: func(plan string) bool {
			for _, line := range strings.Split(plan, "\n") {
				if strings.Contains(line, "SCAN sessions") && !strings.Contains(line, "INDEX") {
					return true
				}
			}
			return false
		},
		Sorts: func(plan string) bool { return strings.Contains(plan, "TEMP B-TREE") },
		ReadsRows: func(plan string) bool {
			// Each step on sessions reads a covering index, or the page's own
			// rows by primary key (rowid).
			for _, line := range strings.Split(plan, "\n") {
				if strings.Contains(line, " sessions ") && !strings.Contains(line, "COVERING INDEX") &&
					!strings.Contains(line, "INTEGER PRIMARY KEY") {
					return true
				}
			}
			return false
		},
	})
}
