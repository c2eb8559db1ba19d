package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// expiryLead is how long after the servers are ready the first seeded
// session is due: time for the seeding to finish first.
const expiryLead = 5 * time.Second

// expiryRun is one expiry measurement: n sessions of one merchant, created,
// due within window, on database, served by nodes `caisse serve` processes.
type expiryRun struct {
	engine   string // PostgreSQL or SQLite, for the row's name
	database string // a caisse database URL (postgres://… or sqlite:PATH)
	nodes    int
}

// expiryName is the measurement's name in the table.
func expiryName(engine string, nodes, n int, window time.Duration) string {
	within := "a minute"
	if window != time.Minute {
		within = window.String()
	}
	where := engine
	if nodes > 1 {
		where = fmt.Sprintf("%s, %d nodes", engine, nodes)
	}
	return fmt.Sprintf("expiry lateness, %s, %s due within %s", where, thousands(int64(n)), within)
}

// expiry measures how late the expiry sweep writes expirations: it makes a
// merchant, serves the database with run.nodes processes, seeds n created
// sessions of the merchant whose deadlines fall evenly within the window
// starting expiryLead later, then reads from the database (not the API) each
// expired session's updated_at minus its expires_at — when the move was
// written, by the server's clock, after its deadline — until all have
// expired or the window is long past. Sessions not expired by then count as
// errors.
func (b *runner) expiry(ctx context.Context, run expiryRun) (Row, error) {
	n, window := b.o.Expiry, b.o.ExpiryWindow
	what := expiryName(run.engine, run.nodes, n, window)
	row := Row{Measurement: what, Note: "target p99 ≤ 1 s", Expiry: true}
	b.progress("%s", what)
	m, err := makeMerchant(ctx, b.cmd, run.database)
	if err != nil {
		return row, err
	}
	for range run.nodes {
		c, err := serveCaisse(ctx, b.cmd, run.database, b.o.Dir, m.TestSecretKey)
		if err != nil {
			return row, err
		}
		defer c.stop()
	}
	st, err := openStore(run.database)
	if err != nil {
		return row, err
	}
	defer st.Close()
	so := SeedOptions{Sessions: n, DueWithin: window}
	if st.postgres {
		so.PostgresURL = run.database
	}
	// Every expired session's lateness, in microseconds.
	lateness := `SELECT ` + st.micros("updated_at") + ` - ` + st.micros("expires_at") + ` FROM sessions
		WHERE merchant_id = $1 AND status = 'expired'`
	if so.Merchant, err = st.MerchantGet(ctx, m.ID); err != nil {
		return row, err
	}
	so.Due = time.Now().Add(expiryLead)
	b.progress("  seeding %s sessions due from %s", thousands(int64(n)), so.Due.Format(time.TimeOnly))
	if _, err := Seed(ctx, st, so); err != nil {
		return row, err
	}
	if late := time.Until(so.Due); late < 0 {
		b.progress("  seeding ended %s after the first deadline", -late)
	}
	db := st.db
	deadline := so.Due.Add(window + 30*time.Second)
	expired := 0
	for time.Now().Before(deadline) && expired < n {
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE merchant_id = $1 AND status = 'expired'`,
			m.ID).Scan(&expired); err != nil {
			return row, err
		}
	}
	rows, err := db.QueryContext(ctx, lateness, m.ID)
	if err != nil {
		return row, err
	}
	defer rows.Close()
	var samples []time.Duration
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return row, err
		}
		samples = append(samples, time.Duration(us)*time.Microsecond)
	}
	if err := rows.Err(); err != nil {
		return row, err
	}
	s := newStats("caisse", samples, n-len(samples), window)
	row.Caisse = &s
	b.progress("  %s of %s expired: p50 %s, p99 %s, max %s", thousands(int64(len(samples))), thousands(int64(n)),
		ms(s.P50), ms(s.P99), ms(s.Max))
	return row, nil
}

// benchDB is a store the bench opens beside the servers it measures, for
// seeding and for its own queries on the reader pool.
type benchDB struct {
	store.Store
	db       *sql.DB // the reader pool
	postgres bool
}

// SessionArgs gives a session's column values as the store keeps them, for Seed.
func (d *benchDB) SessionArgs(s *store.Session) ([]any, error) {
	return d.Store.(sessionRows).SessionArgs(s)
}

// openStore opens the store of a caisse database URL (postgres://… or sqlite:PATH).
func openStore(database string) (*benchDB, error) {
	if path, ok := strings.CutPrefix(database, "sqlite:"); ok {
		s, err := sqlitestore.Open(path)
		if err != nil {
			return nil, err
		}
		return &benchDB{Store: s, db: s.Reader}, nil
	}
	s, err := pgstore.Open(database)
	if err != nil {
		return nil, err
	}
	return &benchDB{Store: s, db: s.Reader, postgres: true}, nil
}

// micros is SQL reading a timestamp column as microseconds since the epoch
// (SQLite stores them so).
func (d *benchDB) micros(column string) string {
	if d.postgres {
		return "(extract(epoch FROM " + column + ") * 1000000)::bigint"
	}
	return column
}

// expiryPostgres measures expiry on PostgreSQL with one node, then two, each
// on a throw-away database of its own.
func (b *runner) expiryPostgres(ctx context.Context, r *Report) error {
	srv, err := openPG(ctx, b.o.PostgresURL)
	if err != nil {
		return err
	}
	defer srv.close()
	for _, nodes := range []int{1, 2} {
		name, err := srv.create(ctx, "_expiry")
		if err != nil {
			return err
		}
		row, err := b.expiry(ctx, expiryRun{engine: "PostgreSQL", database: srv.dbURL(name), nodes: nodes})
		srv.drop(name) //nolint:errcheck // best effort, reported by nobody
		if err != nil {
			return err
		}
		r.Rows = append(r.Rows, row)
	}
	return nil
}

// expirySQLite measures expiry on a new SQLite file (one node: SQLite is for
// a single process).
func (b *runner) expirySQLite(ctx context.Context, r *Report) error {
	dir, err := os.MkdirTemp(b.o.Dir, "expiry-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	row, err := b.expiry(ctx, expiryRun{engine: "SQLite", database: "sqlite:" + filepath.Join(dir, "caisse.db"), nodes: 1})
	if err != nil {
		return err
	}
	r.Rows = append(r.Rows, row)
	return nil
}
