package bench

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqldb"
)

// floor is the least a request can cost in Go on this machine: net/http's
// server and the baseline's own database work, nothing of caisse's — no
// authentication, no middleware, no validation, no session object. A
// retrieve is one pgx query of the session's row by its id (every column,
// decoded), written as a JSON array; a create decodes the JSON body and runs
// the baseline's minimal durable create (the two inserts of pgbench's script
// or of the bare SQLite loop, one transaction), and answers the new id. It
// runs in the bench's own process. caisse does all of that and more on the
// same stack, so the floor over the baseline is as far as any Go server
// could take that ratio here, and caisse over the floor is the share its own
// work leaves.
type floor struct {
	srv   *http.Server
	url   string
	close func()
}

// serveFloor serves mux on a free port of 127.0.0.1; stop calls closeFn once
// the server has closed.
func serveFloor(mux *http.ServeMux, closeFn func()) (*floor, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeFn()
		return nil, err
	}
	f := &floor{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, url: "http://" + ln.Addr().String(), close: closeFn}
	go f.srv.Serve(ln) //nolint:errcheck // ends with stop
	return f, nil
}

// floorPool is a pgx pool on dbURL with as many connections as caisse's.
func floorPool(ctx context.Context, dbURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = pgstore.MaxConns
	return pgxpool.NewWithConfig(ctx, cfg)
}

// startRetrieveFloor serves GET /v1/checkouts/{id} from the sessions of the
// PostgreSQL database at dbURL.
func startRetrieveFloor(ctx context.Context, dbURL string) (*floor, error) {
	pool, err := floorPool(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/checkouts/{id}", func(w http.ResponseWriter, r *http.Request) {
		rows, err := pool.Query(r.Context(), "SELECT "+sqldb.SessionColumns+" FROM sessions WHERE id = $1", r.PathValue("id"))
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
		floorJSON(w, http.StatusOK, row)
	})
	return serveFloor(mux, pool.Close)
}

// startPGCreateFloor serves POST /v1/checkouts into the baseline tables of
// the PostgreSQL database at dbURL: pgbench's two inserts sent in one round
// trip, as caisse sends a create's (a pgx batch, which PostgreSQL runs as
// one implicit transaction, all or none; pgbench's script makes four round
// trips: BEGIN, the inserts, END).
func startPGCreateFloor(ctx context.Context, dbURL string) (*floor, error) {
	pool, err := floorPool(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	insertSession, insertKey := insertSessionSQL("pg"), insertKeySQL("pg")
	insert := func(ctx context.Context, c baselineCreate) error {
		now := time.Now()
		b := &pgx.Batch{}
		b.Queue(insertSession, c.sessionArgs("pg", now)...)
		b.Queue(insertKey, c.keyArgs("pg", now)...)
		return pool.SendBatch(ctx, b).Close()
	}
	return serveFloor(createMux(insert), pool.Close)
}

// createMux routes POST /v1/checkouts to insert: the JSON body decoded, a
// session id drawn, a 201 with the session's fields.
func createMux(insert func(context.Context, baselineCreate) error) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/checkouts", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Amount      int64  `json:"amount"`
			Currency    string `json:"currency"`
			UserPhone   string `json:"user_phone"`
			Description string `json:"description"`
			PaymentID   string `json:"payment_id"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c := baselineCreate{id: randid.New("cs_test_"), key: r.Header.Get("Idempotency-Key"), amount: in.Amount,
			currency: in.Currency, phone: in.UserPhone, paymentID: in.PaymentID, description: in.Description}
		if err := insert(r.Context(), c); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		floorJSON(w, http.StatusCreated, map[string]any{"id": c.id, "status": "created", "amount": c.amount,
			"currency": c.currency, "user_phone": c.phone, "payment_id": c.paymentID, "description": c.description})
	})
	return mux
}

// floorJSON answers v as JSON with a Content-Length.
func floorJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // the client went away
}

// retrieveOp reads one of ids from the floor, as caisse's retrieveOp does.
func (f *floor) retrieveOp(ids *idPool) op {
	return (&caisse{url: f.url}).retrieveOp(ids, "/v1/checkouts/")
}

// createOp creates a session on the floor with caisse's request.
func (f *floor) createOp() op {
	return (&caisse{url: f.url}).createOp(nil)
}

func (f *floor) stop() {
	f.srv.Close()
	f.close()
}
