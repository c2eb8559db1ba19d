package bench

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// floor is the least a retrieve can cost in Go on this machine: net/http's
// server and one pgx query of the session's row by its id (every column,
// decoded), written as a JSON array — no authentication, no middleware, no
// session object, nothing of caisse's. It runs in the bench's own process.
// caisse's retrieve does all of that and more on the same stack, so the
// floor over pgbench's primary-key SELECT is as far as any Go server could
// take that ratio here, and caisse over the floor is the share its own work
// leaves.
type floor struct {
	srv  *http.Server
	pool *pgxpool.Pool
	url  string
}

// startFloor serves the floor on a free port of 127.0.0.1, reading the
// sessions of the PostgreSQL database at dbURL.
func startFloor(ctx context.Context, dbURL string) (*floor, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = pgstore.MaxConns // as many connections as caisse's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pool.Close()
		return nil, err
	}
	f := &floor{pool: pool, url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/checkouts/{id}", f.retrieve)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln) //nolint:errcheck // ends with stop
	return f, nil
}

func (f *floor) retrieve(w http.ResponseWriter, r *http.Request) {
	rows, err := f.pool.Query(r.Context(), "SELECT "+sqldb.SessionColumns+" FROM sessions WHERE id = $1", r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var row []any
	for rows.Next() {
		row, err = rows.Values()
	}
	rows.Close()
	if err == nil {
		err = rows.Err()
	}
	if err != nil || row == nil {
		http.Error(w, "no such session", http.StatusNotFound)
		return
	}
	b, err := json.Marshal(row)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b) //nolint:errcheck // the client went away
}

// retrieveOp reads one of ids from the floor, as caisse's retrieveOp does.
func (f *floor) retrieveOp(ids *idPool) op {
	return func(ctx context.Context, client *http.Client, _, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/v1/checkouts/"+ids.pick(), nil)
		if err != nil {
			return err
		}
		return send(client, req, nil)
	}
}

func (f *floor) stop() {
	f.srv.Close()
	f.pool.Close()
}
