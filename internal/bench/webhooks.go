package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// eventsPerPayment is how many events a paid session writes: pending,
// processing, completed and async_payment_succeeded.
const eventsPerPayment = 4

// hookTarget is the webhook rows' baseline column: issue 14's target.
const hookTarget = "target p99 ≤ 500 ms, keeps up"

// hookPatience is how long the measurement waits for an event or a delivery
// before it counts those still missing as lost.
const hookPatience = 30 * time.Second

// webhooksPostgres measures webhook deliveries on a throw-away PostgreSQL database.
func (b *runner) webhooksPostgres(ctx context.Context, r *Report) error {
	srv, err := openPG(ctx, b.o.PostgresURL)
	if err != nil {
		return err
	}
	defer srv.close()
	name, err := srv.create(ctx, "_hooks")
	if err != nil {
		return err
	}
	defer srv.drop(name) //nolint:errcheck // best effort, reported by nobody
	rows, err := b.webhooks(ctx, "PostgreSQL", srv.dbURL(name))
	r.Rows = append(r.Rows, rows...)
	return err
}

// webhooksSQLite measures webhook deliveries on a new SQLite file.
func (b *runner) webhooksSQLite(ctx context.Context, r *Report) error {
	dir, err := os.MkdirTemp(b.o.Dir, "hooks-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows, err := b.webhooks(ctx, "SQLite", "sqlite:"+filepath.Join(dir, "caisse.db"))
	r.Rows = append(r.Rows, rows...)
	return err
}

// webhooks measures how soon events reach a webhook endpoint that answers at
// once: one `caisse serve` on database, a merchant with one test-mode
// endpoint (every event type) served by the bench itself on 127.0.0.1, and
// sessions created and confirmed through the API, which the test connector's
// operator approves a second later (four events each). First a burst: the
// Options.Webhooks sessions created and paid as fast as CreateClients
// clients back to back manage; then an open model for Duration, at
// OpenFraction of the rate the burst's events were written at, the test
// operator's answers included (in paid sessions a second). Each event's
// latency is the arrival of its first delivery, by the bench's clock, minus
// its created_at as the database holds it (the same machine's clock).
func (b *runner) webhooks(ctx context.Context, engine, database string) ([]Row, error) {
	m, err := makeMerchant(ctx, b.cmd, database)
	if err != nil {
		return nil, err
	}
	c, err := serveCaisse(ctx, b.cmd, database, b.o.Dir, m.TestSecretKey)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	recv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	defer recv.close()
	if err := c.addEndpoint(ctx, recv.url); err != nil {
		return nil, err
	}
	st, err := openStore(database)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	h := hookRun{runner: b, st: st, merchant: m.ID, recv: recv}

	// (a) A burst of paid sessions, back to back.
	n := b.o.Webhooks
	what := fmt.Sprintf("webhooks, %s, burst of %s paid sessions (%s events)", engine, thousands(int64(n)),
		thousands(int64(n*eventsPerPayment)))
	b.progress("%s: caisse, %d client(s)", what, b.o.CreateClients)
	var left atomic.Int64
	left.Store(int64(n))
	client := newClient(b.o.CreateClients)
	h.begin()
	paid := closedLoad(ctx, "caisse", b.o.CreateClients, time.Hour, client, c.payOp(&left))
	client.CloseIdleConnections()
	if paid.Errors > 0 {
		b.progress("  %d sessions not paid: %s", paid.Errors, paid.FirstError)
	}
	b.progress("  %s sessions paid in %s (%.0f/s); waiting for their events and deliveries", thousands(int64(paid.Ops)),
		paid.Elapsed.Round(time.Millisecond), paid.PerSecond)
	burst, err := h.measure(ctx, Row{Measurement: what}, paid.Ops*eventsPerPayment)
	if err != nil {
		return nil, err
	}
	rows := []Row{burst}

	// (b) An open model at a fraction of the rate the burst's events were
	// written at (outcomes included), in paid sessions per second.
	rate := max(float64(int(burst.EventRate/eventsPerPayment*b.o.OpenFraction+0.5)), 1)
	what = fmt.Sprintf("webhooks, %s, open model at %s paid sessions/s (%s events/s)", engine, thousands(int64(rate)),
		thousands(int64(rate*eventsPerPayment)))
	b.progress("%s: caisse, %s", what, b.o.Duration)
	client = newClient(256)
	h.begin()
	open := openLoad(ctx, "caisse", rate, b.o.Duration, client, c.payOp(nil))
	client.CloseIdleConnections()
	if open.Errors+open.Dropped > 0 {
		b.progress("  %d sessions not paid, %d not sent: %s", open.Errors, open.Dropped, open.FirstError)
	}
	paced, err := h.measure(ctx, Row{Measurement: what, Rate: rate}, open.Ops*eventsPerPayment)
	if err != nil {
		return rows, err
	}
	return append(rows, paced), nil
}

// hookRun is the state the webhook measurements of one server share.
type hookRun struct {
	*runner
	st       *benchDB
	merchant string
	recv     *hookReceiver
	seen     int64 // the highest event seq a measurement has counted
	before   int   // how many events had arrived when the measurement began
}

// begin marks the start of a measurement: what arrives from now on is its.
func (h *hookRun) begin() { h.before = h.recv.distinct() }

// measure waits until the merchant's events written since the previous
// measurement number want and each has reached the receiver (since begin,
// called before the load that writes them), or until neither has progressed
// for hookPatience; then it fills row with every event's latency and the
// rates.
func (h *hookRun) measure(ctx context.Context, row Row, want int) (Row, error) {
	row.Webhooks, row.Note = true, hookTarget
	db := h.st.db
	count := `SELECT count(*) FROM events WHERE merchant_id = $1 AND seq > $2`
	var events, delivered int
	progressed := time.Now()
	for events < want || delivered < events {
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		var n int
		if err := db.QueryRowContext(ctx, count, h.merchant, h.seen).Scan(&n); err != nil {
			return row, err
		}
		d := h.recv.distinct() - h.before
		if n != events || d != delivered {
			events, delivered, progressed = n, d, time.Now()
		}
		if time.Since(progressed) > hookPatience {
			h.progress("  nothing new for %s: %d of %d events written, %d delivered", hookPatience, events, want, delivered)
			break
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, id, `+h.st.micros("created_at")+` FROM events
		WHERE merchant_id = $1 AND seq > $2`, h.merchant, h.seen)
	if err != nil {
		return row, err
	}
	defer rows.Close()
	var latencies []time.Duration
	var first, last time.Time // of the events' creation
	missing := 0
	for rows.Next() {
		var seq, us int64
		var id string
		if err := rows.Scan(&seq, &id, &us); err != nil {
			return row, err
		}
		h.seen = max(h.seen, seq)
		created := time.UnixMicro(us)
		if first.IsZero() || created.Before(first) {
			first = created
		}
		if created.After(last) {
			last = created
		}
		at, ok := h.recv.first(id)
		if !ok {
			missing++
			continue
		}
		latencies = append(latencies, at.Sub(created))
	}
	if err := rows.Err(); err != nil {
		return row, err
	}
	from, to, dups := h.recv.span(h.before)
	s := newStats("caisse", latencies, missing, to.Sub(from))
	row.Caisse, row.Duplicates = &s, dups
	if span := last.Sub(first); span > 0 {
		row.EventRate = float64(s.Ops+s.Errors) / span.Seconds()
	}
	h.progress("  %s of %s delivered, %.0f/s for events written at %.0f/s: p50 %s, p99 %s, max %s",
		thousands(int64(s.Ops)), thousands(int64(s.Ops+s.Errors)), s.PerSecond, row.EventRate, ms(s.P50), ms(s.P99), ms(s.Max))
	return row, nil
}

// payOp creates a session and confirms it with a channel of the test
// connector, whose operator approves it a second later. With left, each call
// takes one from it first, and once none is left says errEnough.
func (c *caisse) payOp(left *atomic.Int64) op {
	return func(ctx context.Context, client *http.Client, _, _ int) error {
		if left != nil && left.Add(-1) < 0 {
			return errEnough
		}
		id, err := c.create(ctx, client)
		if err != nil {
			return err
		}
		if id == "" {
			return errors.New("POST /v1/checkouts: no session id in the answer")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/v1/checkouts/"+url.PathEscape(id)+"/confirm",
			strings.NewReader(`{"channel": "orange_money"}`))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		req.Header.Set("Content-Type", "application/json")
		return send(client, req, nil)
	}
}

// addEndpoint registers a test-mode webhook endpoint at target taking every
// event type (the Stripe dialect's POST /v1/webhook_endpoints).
func (c *caisse) addEndpoint(ctx context.Context, target string) error {
	form := url.Values{"url": {target}, "enabled_events[]": {"*"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/v1/webhook_endpoints", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(http.DefaultClient, req, nil)
}

// hookReceiver is the webhook endpoint the bench serves on 127.0.0.1: it
// answers 200 at once and records when each delivery arrived, by event id
// (the webhook-id header).
type hookReceiver struct {
	url      string
	srv      *http.Server
	mu       sync.Mutex
	arrivals map[string]time.Time // each event's first delivery
	order    []time.Time          // every delivery's arrival, in order
	dups     int                  // deliveries of an event that had arrived before
}

func startReceiver() (*hookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &hookReceiver{url: "http://" + ln.Addr().String() + "/webhooks", arrivals: map[string]time.Time{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln) //nolint:errcheck // ends with close
	return r, nil
}

// ServeHTTP records a delivery and answers 200.
func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	io.Copy(io.Discard, req.Body) //nolint:errcheck // only drained
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	if _, ok := r.arrivals[id]; ok {
		r.dups++
	} else {
		r.arrivals[id] = at
		r.order = append(r.order, at)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// distinct is how many events have arrived at least once.
func (r *hookReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order)
}

// first is when event id first arrived.
func (r *hookReceiver) first(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.arrivals[id]
	return at, ok
}

// span is when the earliest and the latest of the events that arrived after
// the first skip ones arrived, and how many deliveries repeated an earlier
// one since the previous call.
func (r *hookReceiver) span(skip int) (from, to time.Time, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	dups, r.dups = r.dups, 0
	for _, at := range r.order[min(skip, len(r.order)):] {
		if from.IsZero() || at.Before(from) {
			from = at
		}
		if at.After(to) {
			to = at
		}
	}
	return from, to, dups
}

func (r *hookReceiver) close() { r.srv.Close() }
