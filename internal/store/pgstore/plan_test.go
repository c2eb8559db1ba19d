package pgstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqldb"
	"github.com/caisse/caisse/internal/store/storetest"
	"github.com/caisse/caisse/internal/testdb"
)

// TestQueryPlans loads 300 000 sessions (half of them one merchant's), lets
// PostgreSQL gather statistics as autovacuum would, and checks that no listing
// or search shape reads the table sequentially. CAISSE_PLAN_ROWS=1000000 runs
// the same check at a million rows (docs/operations.md shows its plans).
func TestQueryPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 300 000 rows; skipped with -short")
	}
	ctx := context.Background()
	s, err := pgstore.Open(testdb.PostgresURL(t) + "&statement_timeout=0") // the bulk load takes longer than production's bound
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows := "300000"
	if v := os.Getenv("CAISSE_PLAN_ROWS"); v != "" {
		rows = v
	}
	load := fmt.Sprintf(`
		INSERT INTO merchants VALUES ('mer_big', 'big', 'XOF', 50, 0, 0, 0, now()), ('mer_small', 'small', 'XOF', 50, 0, 0, 0, now());
		INSERT INTO sessions (id, merchant_id, livemode, status, amount, currency, user_phone, payment_id,
			customer_id, description, transaction_fee, customer_email, created_at, updated_at, expires_at)
		SELECT 'cs_' || i, CASE WHEN i %% 2 = 0 THEN 'mer_small' ELSE 'mer_big' END, i %% 3 = 0,
			(ARRAY['created','pending','processing','completed','failed','expired','cancelled'])[1 + i %% 7],
			100 + (i::bigint * 7919) %% 100000, 'XOF', '+22507070' || lpad((i %% 100000)::text, 5, '0'),
			'ORDER_' || (i %% 50000), 'cus_' || (i %% 20000), '', 25, 'c' || (i %% 20000) || '@example.com',
			timestamptz '2024-01-01' + i * interval '10 seconds', now(), now() + interval '30 minutes'
		FROM generate_series(1, %s) AS i;
		`, rows)
	if _, err := s.Writer.ExecContext(ctx, load); err != nil {
		t.Fatal(err)
	}
	// What autovacuum does on a live database: statistics and the visibility map.
	if _, err := s.Writer.ExecContext(ctx, "VACUUM ANALYZE sessions"); err != nil {
		t.Fatal(err)
	}
	explain := func(q string, args []any) string {
		rows, err := s.Writer.QueryContext(ctx, "EXPLAIN "+q, args...)
		return planText(t, q, rows, err)
	}
	// mer_big's test-mode sessions are every i ≡ 1 or 5 (mod 6), 10 s apart:
	// 10 000 of them span the newest 30 000 values of i.
	n, err := strconv.Atoi(rows)
	if err != nil {
		t.Fatal(err)
	}
	deep := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(max(n-30000, 1)) * 10 * time.Second)
	planner := storetest.Planner{
		Explain:  explain,
		FullScan: func(plan string) bool { return strings.Contains(plan, "Seq Scan") },
		Sorts:    func(plan string) bool { return strings.Contains(plan, "Sort") },
		ReadsRows: func(plan string) bool {
			for _, line := range strings.Split(plan, "\n") {
				// An Index Scan reads the table's rows (an Index Only Scan does
				// not): only the page's own rows, by primary key, may be read.
				if strings.Contains(line, "Heap Scan on sessions") ||
					strings.Contains(line, "Index Scan using") && strings.Contains(line, " on sessions ") &&
						!strings.Contains(line, "Index Scan using sessions_pkey on sessions ") {
					return true
				}
			}
			return false
		},
	}
	storetest.CheckPlans(t, s.Store, deep, planner)
	// The shapes that run prepared, as generic plans: pgx prepares its
	// statements, and PostgreSQL may then plan them once without the
	// parameters' values (a customer's or an email's keyset pages need the
	// "<> ''" that names their partial index).
	planner.Generic = true
	conn, err := s.Writer.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	planner.Explain = func(q string, args []any) string {
		// EXECUTE takes its parameters as literals (a generic plan does
		// not look at them anyway).
		params := make([]string, len(args))
		for i, a := range args {
			switch v := a.(type) {
			case string:
				params[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			case time.Time:
				params[i] = "'" + v.Format(time.RFC3339Nano) + "'"
			case int64: // untyped, as the parameter may be an xid8 (events.xid), which no integer casts to
				params[i] = "'" + fmt.Sprint(v) + "'"
			default:
				params[i] = fmt.Sprint(v)
			}
		}
		if _, err := conn.ExecContext(ctx, "PREPARE plan_case AS "+q); err != nil {
			t.Fatalf("prepare %s: %v", q, err)
		}
		defer conn.ExecContext(ctx, "DEALLOCATE plan_case") //nolint:errcheck // the connection is closed at the end
		rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE plan_case("+strings.Join(params, ", ")+")")
		return "(generic plan)\n" + planText(t, q, rows, err)
	}
	storetest.CheckPlans(t, s.Store, deep, planner)
	byID := explain(`SELECT `+sqldb.SessionColumns+` FROM sessions WHERE merchant_id = $1 AND livemode = $2 AND id = $3`,
		[]any{"mer_big", false, "cs_77"})
	if strings.Contains(byID, "Seq Scan") {
		t.Errorf("lookup by id reads sessions sequentially:\n%s", byID)
	}
}

// planText is the plan EXPLAIN gave for q, a line per row.
func planText(t *testing.T, q string, rows *sql.Rows, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
