package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// listsTarget is the list measurements' target (issue 14), shown as their baseline.
const listsTarget = "target p50 ≤ 10 ms, p99 ≤ 50 ms"

// listsDeep is the offset of the deep-page measurements: 100 000, or a tenth
// of the sessions when there are fewer than a million.
func listsDeep(sessions int) int { return min(100_000, sessions/10) }

// Amounts of the wide amount-range search: most of what Seed makes lies
// between them (its note in the report says how much).
const (
	listsAmountMin = 1_000
	listsAmountMax = 200_000
)

// listQuery is one list or search request of the list measurements.
type listQuery struct {
	what string // its name in the row
	path func(i int) string
	deep bool // also measured at listsDeep
}

// listsPostgres measures the lists on a throw-away PostgreSQL database.
func (b *runner) listsPostgres(ctx context.Context, r *Report) error {
	srv, err := openPG(ctx, b.o.PostgresURL)
	if err != nil {
		return err
	}
	defer srv.close()
	name, err := srv.create(ctx, "_lists")
	if err != nil {
		return err
	}
	defer srv.drop(name) //nolint:errcheck // best effort, reported by nobody
	return b.lists(ctx, r, "PostgreSQL", srv.dbURL(name))
}

// listsSQLite measures the lists on a new SQLite file.
func (b *runner) listsSQLite(ctx context.Context, r *Report) error {
	dir, err := os.MkdirTemp(b.o.Dir, "lists-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return b.lists(ctx, r, "SQLite", "sqlite:"+filepath.Join(dir, "caisse.db"))
}

// lists measures the mobile-money list and searches at scale: it seeds
// b.o.Lists sessions of one merchant (Seed: 90 days of them, mostly
// completed or expired), lets PostgreSQL gather statistics and set its
// visibility map (VACUUM ANALYZE, what autovacuum does after a bulk load),
// serves the database, and times each listQuery — closed model, at page 1
// and, for those that page deep, at listsDeep — with a check that every
// page it times holds sessions.
func (b *runner) lists(ctx context.Context, r *Report, engine, database string) error {
	n, deep := b.o.Lists, listsDeep(b.o.Lists)
	b.progress("%s lists: %s sessions of one merchant", engine, thousands(int64(n)))
	m, err := makeMerchant(ctx, b.cmd, database)
	if err != nil {
		return err
	}
	st, err := openStore(database)
	if err != nil {
		return err
	}
	defer st.Close()
	so := SeedOptions{Sessions: n, Progress: b.o.Progress}
	if st.postgres {
		so.PostgresURL = database
	}
	if so.Merchant, err = st.MerchantGet(ctx, m.ID); err != nil {
		return err
	}
	res, err := Seed(ctx, st, so)
	if err != nil {
		return err
	}
	b.progress("  seeded in %s", res.Elapsed.Round(time.Second))
	if st.postgres {
		start := time.Now()
		if err := execAll(ctx, database, []string{"VACUUM ANALYZE sessions"}); err != nil {
			return err
		}
		b.progress("  VACUUM ANALYZE in %s", time.Since(start).Round(time.Millisecond))
	}
	db := st.db
	var phones []string
	rows, err := db.QueryContext(ctx, `SELECT user_phone FROM sessions WHERE merchant_id = $1 AND user_phone <> '' AND seq % 997 = 0 LIMIT 200`, m.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		phones = append(phones, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(phones) == 0 {
		return fmt.Errorf("lists: no seeded session has a phone number")
	}
	var inRange int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE merchant_id = $1 AND amount >= $2 AND amount <= $3`,
		m.ID, listsAmountMin, listsAmountMax).Scan(&inRange); err != nil {
		return err
	}
	r.Notes = append(r.Notes, fmt.Sprintf("%s lists: %s sessions of one merchant seeded in %s; %d%% completed, %d%% with amounts %s–%s",
		engine, thousands(int64(n)), res.Elapsed.Round(time.Second), 100*res.ByStatus["completed"]/n, 100*inRange/int64(n),
		thousands(listsAmountMin), thousands(listsAmountMax)))

	c, err := serveCaisse(ctx, b.cmd, database, b.o.Dir, m.TestSecretKey)
	if err != nil {
		return err
	}
	defer c.stop()
	fixed := func(p string) func(int) string { return func(int) string { return p } }
	queries := []listQuery{
		{"list `GET /v1/checkouts`", fixed("/v1/checkouts"), true},
		{"search `status=completed`", fixed("/v1/checkout/search?status=completed"), true},
		{fmt.Sprintf("search `amount_min=%d&amount_max=%d`", listsAmountMin, listsAmountMax),
			fixed(fmt.Sprintf("/v1/checkout/search?amount_min=%d&amount_max=%d", listsAmountMin, listsAmountMax)), true},
		{"search `user_phone` (a customer's few sessions)", func(i int) string {
			return "/v1/checkout/search?user_phone=" + url.QueryEscape(phones[i%len(phones)])
		}, false},
	}
	clients := b.o.ListsClients
	for _, q := range queries {
		offsets := []int{0}
		if q.deep && deep > 0 {
			offsets = append(offsets, deep)
		}
		for _, off := range offsets {
			at, path := "page 1", q.path
			if off > 0 {
				at = "offset " + thousands(int64(off))
				path = func(i int) string { return withOffset(q.path(i), off) }
			}
			what := fmt.Sprintf("%s %s, %s sessions, %s, %d clients", engine, q.what, thousands(int64(n)), at, clients)
			s := b.measureClosed(ctx, what, clients, c.pageOp(path))
			if s.Errors > 0 {
				b.progress("  %d errors, the first: %s", s.Errors, s.FirstError)
			}
			r.Rows = append(r.Rows, Row{Measurement: what, Caisse: &s, Note: listsTarget})
		}
	}
	return nil
}

// withOffset adds offset to a path's query string.
func withOffset(path string, offset int) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%soffset=%d", path, sep, offset)
}

// pageOp is GET path(i), which must answer a page that holds sessions.
func (c *caisse) pageOp(path func(i int) string) op {
	return func(ctx context.Context, client *http.Client, worker, i int) error {
		p := path(worker*7919 + i)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+p, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		var body []byte
		if err := send(client, req, &body); err != nil {
			return err
		}
		if bytes.Contains(body, []byte(`"sessions":[]`)) {
			return fmt.Errorf("GET %s: an empty page", p)
		}
		return nil
	}
}
