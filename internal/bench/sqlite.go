package bench

import (
	"context"
	"encoding/hex"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// sqliteLoop is the SQLite baseline: goroutines inserting, back to back for d,
// a session row and its idempotency row in one transaction each, on a file
// opened by sqlitestore.Open — the same driver, pragmas (WAL,
// synchronous=FULL, busy timeout, immediate transactions) and single writer
// connection as caisse — holding only the baseline's two tables.
func sqliteLoop(ctx context.Context, dir string, clients int, d time.Duration) (Stats, error) {
	path := filepath.Join(dir, "baseline-"+strings.ToLower(randid.String(6))+".db")
	st, err := sqlitestore.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer st.Close()
	for _, stmt := range baselineSchema("sqlite") {
		if _, err := st.Writer.ExecContext(ctx, stmt); err != nil {
			return Stats{}, err
		}
	}
	insertSession := "INSERT INTO sessions (" + insertColumns() + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(baselineColumns)-1), ", ") + ")"
	insertKey := `INSERT INTO idempotency_keys (merchant_id, livemode, key, request_hash, done, status_code, body, created_at, locked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	hash, _ := hex.DecodeString(requestHash)
	body := []byte(responseBody)
	one := func() error {
		now := time.Now()
		us := now.UnixMicro()
		tx, err := st.Writer.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
		id := randid.New("cs_test_")
		_, err = tx.ExecContext(ctx, insertSession,
			id, "mer_bench", 0, "created", int64(5000), "XOF", "+2250707987654", "ORDER_"+id[8:], "", "Commande",
			"{}", int64(25), "", us, us, now.Add(30*time.Minute).UnixMicro(), nil,
			"", "", "", "", "", "[]", "", "", "", "", "", "")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertKey, "mer_bench", 0, randid.String(24), hash, 1, 201, body, us, us); err != nil {
			return err
		}
		return tx.Commit()
	}
	// The same closed model as caisse's load; one() reaches no HTTP client.
	return closedLoad(ctx, "bare loop", clients, d, nil, func(context.Context, *http.Client, int, int) error { return one() }), nil
}
