package checkout_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// TestConcurrentSweepsExpireOnce runs four sweeps of the same overdue
// sessions at once — on PostgreSQL on two nodes (two servers, each with its
// own store and connections, on one database), on SQLite (one process) on
// one: every session expires once, with one checkout.session.expired event
// and one webhook job per endpoint.
func TestConcurrentSweepsExpireOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var dbURL string
			if engine == "sqlite" {
				dbURL = testdb.SQLiteURL(t)
			} else {
				dbURL = testdb.MigratedPostgresURL(t)
			}
			testConcurrentSweeps(t, dbURL, engine == "postgres")
		})
	}
}

func testConcurrentSweeps(t *testing.T, dbURL string, twoNodes bool) {
	const due = 3*checkout.SweepBatch + 17 // several batches, the last one partial
	ctx := context.Background()
	nodes := []*testserver.Env{testserver.Start(t, dbURL)}
	if twoNodes {
		nodes = append(nodes, testserver.Start(t, dbURL))
	}
	key, _ := nodes[0].Merchant()
	p, err := nodes[0].Server.Merchants.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/a", "/b"} {
		form := url.Values{"url": {"https://shop.example" + path}, "enabled_events[]": {"*"}}
		req, _ := http.NewRequest(http.MethodPost, nodes[0].URL+"/v1/webhook_endpoints", strings.NewReader(form.Encode()))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /v1/webhook_endpoints: %s", resp.Status)
		}
	}
	start := nodes[0].Clock.Now()
	for range due {
		if _, err := nodes[0].Server.Checkout.Create(ctx, p, checkout.CreateParams{Amount: 1000, Currency: "XOF"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes {
		n.Clock.Set(start.Add(checkout.DefaultExpiresIn*time.Second + time.Second))
	}
	if _, err := nodes[0].Server.Checkout.Create(ctx, p, checkout.CreateParams{Amount: 1000, Currency: "XOF"}); err != nil {
		t.Fatal(err) // one that is not due
	}

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		wg.Go(func() {
			if _, err := nodes[i%len(nodes)].Server.Checkout.Sweep(ctx, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Sweep: %v", err)
	}

	db := openRaw(t, dbURL)
	count := func(query string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM sessions WHERE status = 'expired'`); n != due {
		t.Errorf("%d sessions expired, want %d", n, due)
	}
	if n := count(`SELECT count(*) FROM sessions WHERE status = 'created'`); n != 1 {
		t.Errorf("%d sessions still created, want 1 (the one not due)", n)
	}
	if n := count(`SELECT count(*) FROM events WHERE type = 'checkout.session.expired'`); n != due {
		t.Errorf("%d expired events, want %d", n, due)
	}
	if n := count(`SELECT count(*) FROM (SELECT session_id FROM events WHERE type = 'checkout.session.expired'
		GROUP BY session_id HAVING count(*) > 1) AS twice`); n != 0 {
		t.Errorf("%d sessions have more than one expired event", n)
	}
	if n := count(`SELECT count(*) FROM river_job WHERE kind = 'deliver_webhook'`); n != 2*due {
		t.Errorf("%d webhook jobs, want %d (two endpoints)", n, 2*due)
	}
}

// openRaw opens the test's database for counting rows.
func openRaw(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		st, err := sqlitestore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st.Reader
	}
	st, err := pgstore.Open(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.Reader
}
