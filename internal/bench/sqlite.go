package bench

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// sqliteBaseline opens a new file in dir holding only the baseline's two
// tables, by sqlitestore.Open — the same driver, pragmas (WAL,
// synchronous=FULL, busy timeout, immediate transactions) and single writer
// connection as caisse — and returns it with the baseline's create: a
// session row and its idempotency row in one transaction.
func sqliteBaseline(ctx context.Context, dir string) (*sqlitestore.Store, func(context.Context, baselineCreate) error, error) {
	path := filepath.Join(dir, "baseline-"+strings.ToLower(randid.String(6))+".db")
	st, err := sqlitestore.Open(path)
	if err != nil {
		return nil, nil, err
	}
	for _, stmt := range baselineSchema("sqlite") {
		if _, err := st.Writer.ExecContext(ctx, stmt); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	insertSession, insertKey := insertSessionSQL("sqlite"), insertKeySQL("sqlite")
	insert := func(ctx context.Context, c baselineCreate) error {
		tx, err := st.Writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
		now := time.Now()
		if _, err := tx.ExecContext(ctx, insertSession, c.sessionArgs("sqlite", now)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertKey, c.keyArgs("sqlite", now)...); err != nil {
			return err
		}
		return tx.Commit()
	}
	return st, insert, nil
}

// sqliteLoop is the SQLite baseline: goroutines running the baseline's create
// back to back for d, on a file of its own (sqliteBaseline).
func sqliteLoop(ctx context.Context, dir string, clients int, d time.Duration) (Stats, error) {
	st, insert, err := sqliteBaseline(ctx, dir)
	if err != nil {
		return Stats{}, err
	}
	defer st.Close()
	// The same closed model as caisse's load; it reaches no HTTP client.
	return closedLoad(ctx, "bare loop", clients, d, nil, func(ctx context.Context, _ *http.Client, _, _ int) error {
		id := randid.New("cs_test_")
		return insert(ctx, baselineCreate{id: id, key: randid.String(24), amount: 5000, currency: "XOF",
			phone: "+2250707987654", paymentID: "ORDER_" + id[8:], description: "Commande"})
	}), nil
}

// startSQLiteCreateFloor serves POST /v1/checkouts into a baseline file of
// its own in dir (sqliteBaseline).
func startSQLiteCreateFloor(ctx context.Context, dir string) (*floor, error) {
	st, insert, err := sqliteBaseline(ctx, dir)
	if err != nil {
		return nil, err
	}
	return serveFloor(createMux(insert), func() { st.Close() })
}
