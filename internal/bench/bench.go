// Package bench is `caisse bench` and `caisse seed`: it measures caisse side
// by side with the floor of what it does, in one run on one machine — caisse
// served by its own binary on a throw-away database against pgbench running
// the minimal durable SQL of an idempotent searchable session store, a bare
// Go loop of the same inserts on SQLite, and stripe-mock when present — and
// it loads realistic sessions into a store fast, for measurements at scale.
// Load is its own HTTP client on 127.0.0.1: closed model (workers back to
// back) and open model (Poisson arrivals at a mean rate, each latency
// measured from its scheduled send time); percentiles are exact, from every sample.
package bench

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are what a bench run measures and how long.
type Options struct {
	// Executable is the caisse binary served as a child process (os.Executable).
	Executable string
	// Env is added to the child processes' environment.
	Env []string
	// PostgresURL is a PostgreSQL server's administrative database: the bench
	// creates its throw-away databases there and drops them at the end.
	PostgresURL string
	// Engines are the engines measured: "postgres", "sqlite" (default both).
	Engines []string
	// Duration bounds each measurement (default 10 s).
	Duration time.Duration
	// OpenFraction is the open model's rate as a fraction of caisse's
	// closed-model create throughput (default 0.5).
	OpenFraction float64
	// SQLiteClients are the SQLite create measurements' client counts (default 1, 4, 16).
	SQLiteClients []int
	// RetrieveClients are the retrieve measurements' client counts (default 16, 50).
	RetrieveClients []int
	// CreateClients is the PostgreSQL closed-model create's client count (default 16).
	CreateClients int
	// Command is the command line, for the report.
	Command string
	// Dir is where temporary files go (default a new directory under os.TempDir).
	Dir string
	// Progress receives a line as each measurement starts; nil for none.
	Progress io.Writer
	// Notes are added to the report's notes, first.
	Notes []string
	// Expiry is how many sessions the expiry measurements make due at once
	// (default 10 000; negative: none), within ExpiryWindow (default a minute).
	Expiry       int
	ExpiryWindow time.Duration
	// ExpiryOnly, ListsOnly and WebhooksOnly run those measurements alone
	// (several of them: those together), without the create and retrieve rows.
	ExpiryOnly bool
	// Lists is how many sessions of one merchant the list measurements seed
	// (default 1 000 000; negative: no list measurement); they time the
	// mobile-money list and searches at page 1 and deep (listsDeep) with
	// ListsClients clients (default 4).
	Lists        int
	ListsClients int
	ListsOnly    bool
	// Webhooks is how many sessions the webhook measurements' burst creates
	// and pays (default 2 000, four events each; negative: no webhook
	// measurement).
	Webhooks     int
	WebhooksOnly bool
}

// Report is a bench run: its settings and every measurement.
type Report struct {
	// Command is the command line that ran.
	Command string `json:"command"`
	// Version is `git describe` of the working tree, or the binary's VCS revision.
	Version string `json:"version"`
	// Commit is the short commit the working tree is at.
	Commit string `json:"commit"`
	// GoVersion is the Go release the binary was built with.
	GoVersion string `json:"go_version"`
	// CPUs is the number of logical CPUs.
	CPUs int `json:"cpus"`
	// LoadBefore and LoadAfter are /proc/loadavg's 1, 5, 15-minute averages.
	LoadBefore string `json:"load_before"`
	LoadAfter  string `json:"load_after"`
	// Started is when the run began.
	Started time.Time `json:"started"`
	// Duration is each measurement's bound.
	Duration time.Duration `json:"duration_ns"`
	// Notes are facts about the setup (PostgreSQL settings, what was absent).
	Notes []string `json:"notes,omitempty"`
	// Rows are the measurements, in the order of the table.
	Rows []Row `json:"rows"`
}

// Row is one line of the table: caisse and its baseline in the same run.
type Row struct {
	// Measurement names what was measured.
	Measurement string `json:"measurement"`
	// Caisse is caisse's side; nil when it did not run.
	Caisse *Stats `json:"caisse,omitempty"`
	// Baseline is the baseline's side; nil when it did not run (see Note).
	Baseline *Stats `json:"baseline,omitempty"`
	// ByLatency makes the ratio caisse's p99 over the baseline's (open model)
	// instead of caisse's throughput over the baseline's.
	ByLatency bool `json:"by_latency,omitempty"`
	// Rate is the open model's arrival rate, per second.
	Rate float64 `json:"rate,omitempty"`
	// Note stands in for a missing side ("stripe-mock: not present").
	Note string `json:"note,omitempty"`
	// Expiry makes caisse's side lateness percentiles, the largest, and how
	// many of the sessions expired (Errors: those that did not).
	Expiry bool `json:"expiry,omitempty"`
	// Webhooks makes caisse's side event → delivery latency percentiles, the
	// largest, deliveries per second, and how many of the events reached the
	// receiver (Errors: those that did not); EventRate is how fast the events
	// were written, Duplicates how many deliveries repeated one already made.
	Webhooks   bool    `json:"webhooks,omitempty"`
	EventRate  float64 `json:"event_rate,omitempty"`
	Duplicates int     `json:"duplicates,omitempty"`
}

func (o *Options) defaults() {
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.OpenFraction <= 0 {
		o.OpenFraction = 0.5
	}
	if len(o.Engines) == 0 {
		o.Engines = []string{"postgres", "sqlite"}
	}
	if len(o.SQLiteClients) == 0 {
		o.SQLiteClients = []int{1, 4, 16}
	}
	if len(o.RetrieveClients) == 0 {
		o.RetrieveClients = []int{16, 50}
	}
	if o.CreateClients <= 0 {
		o.CreateClients = 16
	}
	if o.Expiry == 0 {
		o.Expiry = 10_000
	}
	if o.ExpiryWindow <= 0 {
		o.ExpiryWindow = time.Minute
	}
	if o.Lists == 0 {
		o.Lists = 1_000_000
	}
	if o.ListsClients <= 0 {
		o.ListsClients = 4
	}
	if o.Webhooks == 0 {
		o.Webhooks = 2000
	}
}

// Run measures what o asks for and returns the report. Every measurement
// stops by itself after o.Duration (plus a warm-up of a fifth of it, at most
// a second, for caisse's); the databases and processes it started are gone
// when it returns.
func Run(ctx context.Context, o Options) (Report, error) {
	o.defaults()
	r := Report{Command: o.Command, GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), Started: time.Now().UTC().Truncate(time.Second), Duration: o.Duration}
	r.Version, r.Commit = version()
	r.Notes = append(r.Notes, o.Notes...)
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "caisse-bench-")
		if err != nil {
			return r, err
		}
		defer os.RemoveAll(dir)
		o.Dir = dir
	}
	b := &runner{o: o, cmd: command{exe: o.Executable, env: o.Env}}
	only := o.ExpiryOnly || o.ListsOnly || o.WebhooksOnly
	main := !only
	expiry := o.Expiry > 0 && (!only || o.ExpiryOnly)
	lists := o.Lists > 0 && (!only || o.ListsOnly)
	hooks := o.Webhooks > 0 && (!only || o.WebhooksOnly)
	type step struct {
		on  bool
		run func(context.Context, *Report) error
	}
	for _, e := range o.Engines {
		var steps []step
		switch e {
		case "postgres":
			steps = []step{{main, b.postgres}, {expiry, b.expiryPostgres}, {lists, b.listsPostgres}, {hooks, b.webhooksPostgres}}
		case "sqlite":
			steps = []step{{main, b.sqlite}, {expiry, b.expirySQLite}, {lists, b.listsSQLite}, {hooks, b.webhooksSQLite}}
		default:
			return r, fmt.Errorf("unknown engine %q (postgres, sqlite)", e)
		}
		for _, s := range steps {
			if !s.on {
				continue
			}
			if err := s.run(ctx, &r); err != nil {
				return r, err
			}
		}
	}
	r.LoadAfter = loadAverage()
	return r, nil
}

type runner struct {
	o   Options
	cmd command
}

func (b *runner) progress(format string, args ...any) {
	if b.o.Progress != nil {
		fmt.Fprintf(b.o.Progress, "bench: "+format+"\n", args...)
	}
}

// warmup is the load a caisse measurement runs first, not counted.
func (b *runner) warmup() time.Duration { return min(b.o.Duration/5, time.Second) }

// measureClosed warms caisse up, then runs the closed model.
func (b *runner) measureClosed(ctx context.Context, what string, workers int, do op) Stats {
	b.progress("%s: caisse, %d client(s), %s", what, workers, b.o.Duration)
	client := newClient(workers)
	defer client.CloseIdleConnections()
	closedLoad(ctx, "caisse", workers, b.warmup(), client, do)
	return closedLoad(ctx, "caisse", workers, b.o.Duration, client, do)
}

func (b *runner) postgres(ctx context.Context, r *Report) error {
	pgbenchPath, err := findPgbench()
	if err != nil {
		return err
	}
	srv, err := openPG(ctx, b.o.PostgresURL)
	if err != nil {
		return err
	}
	defer srv.close()
	r.Notes = append(r.Notes, fmt.Sprintf("PostgreSQL %s: fsync=%s, synchronous_commit=%s, full_page_writes=%s, shared_buffers=%s",
		srv.setting(ctx, "server_version"), srv.setting(ctx, "fsync"), srv.setting(ctx, "synchronous_commit"),
		srv.setting(ctx, "full_page_writes"), srv.setting(ctx, "shared_buffers")))
	caisseDB, err := srv.create(ctx, "")
	if err != nil {
		return err
	}
	defer srv.drop(caisseDB) //nolint:errcheck // best effort, reported by nobody
	baseDB, err := srv.create(ctx, "_base")
	if err != nil {
		return err
	}
	defer srv.drop(baseDB) //nolint:errcheck
	if err := execAll(ctx, srv.dbURL(baseDB), baselineSchema("pg")); err != nil {
		return err
	}
	c, err := startCaisse(ctx, b.cmd, srv.dbURL(caisseDB), b.o.Dir)
	if err != nil {
		return err
	}
	defer c.stop()
	// pb runs pgbench, again after a pause when the server had no connection
	// to spare (other users of a shared server); a run that still fails is
	// the row's note, not the end of the bench.
	pb := func(run pgbenchRun) (*Stats, string) {
		b.progress("  pgbench, %d client(s), %s", run.clients, b.o.Duration)
		for attempt := 1; ; attempt++ {
			s, err := srv.pgbench(ctx, pgbenchPath, baseDB, b.o.Dir, run)
			if err == nil {
				return &s, ""
			}
			if attempt < 5 && strings.Contains(err.Error(), "too many clients") && ctx.Err() == nil {
				b.progress("  pgbench: the server has no connection to spare; again in 3 s")
				time.Sleep(3 * time.Second)
				continue
			}
			msg := err.Error()
			if i := strings.Index(msg, "FATAL:"); i >= 0 {
				msg = msg[i:]
			}
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			b.progress("  pgbench failed: %v", err)
			return nil, "pgbench failed: " + msg
		}
	}

	// (a) Create, closed model.
	ids := &idPool{}
	create := c.createOp(ids)
	what := fmt.Sprintf("PostgreSQL create, %d clients", b.o.CreateClients)
	cs := b.measureClosed(ctx, what, b.o.CreateClients, create)
	bs, note := pb(pgbenchRun{script: pgbenchCreate(), clients: b.o.CreateClients, d: b.o.Duration})
	r.Rows = append(r.Rows, Row{Measurement: what, Caisse: &cs, Baseline: bs, Note: note})
	// The Go floor of a create, beside pgbench and beside caisse.
	fl, err := startPGCreateFloor(ctx, srv.dbURL(baseDB))
	if err != nil {
		return err
	}
	fs := b.measureClosed(ctx, fmt.Sprintf("Go floor create, %d clients", b.o.CreateClients), b.o.CreateClients, fl.createOp())
	fl.stop()
	fs.Label = "Go floor"
	r.Rows = append(r.Rows,
		Row{Measurement: fmt.Sprintf("the Go floor of a PostgreSQL create (net/http, pgbench's inserts in one pgx round trip, no caisse code), %d clients, vs pgbench", b.o.CreateClients), Caisse: &fs, Baseline: bs, Note: note},
		Row{Measurement: what + ", vs the Go floor", Caisse: &cs, Baseline: &fs})

	// (b) Create, open model at a fraction of caisse's closed-model throughput.
	rate := float64(int(cs.PerSecond*b.o.OpenFraction + 0.5))
	if rate < 1 {
		rate = 1
	}
	what = fmt.Sprintf("PostgreSQL create, open model at %s/s", thousands(int64(rate)))
	b.progress("%s: caisse, %s", what, b.o.Duration)
	client := newClient(256)
	closedLoad(ctx, "caisse", b.o.CreateClients, b.warmup(), client, create)
	open := openLoad(ctx, "caisse", rate, b.o.Duration, client, create)
	client.CloseIdleConnections()
	bos, note := pb(pgbenchRun{script: pgbenchCreate(), clients: b.o.CreateClients, rate: rate, d: b.o.Duration})
	r.Rows = append(r.Rows, Row{Measurement: what, Caisse: &open, Baseline: bos, Note: note, ByLatency: true, Rate: rate})

	// (c) Retrieve, both dialects, against a primary-key SELECT.
	maxSeq, err := maxSeq(ctx, srv.dbURL(baseDB))
	if err != nil {
		return err
	}
	mock, mockNote := startStripeMock(ctx, b.o.Dir)
	defer mock.stop()
	for _, n := range b.o.RetrieveClients {
		momo := b.measureClosed(ctx, fmt.Sprintf("retrieve GET /v1/checkouts/{id}, %d clients", n), n, c.retrieveOp(ids, "/v1/checkouts/"))
		stripe := b.measureClosed(ctx, fmt.Sprintf("retrieve GET /v1/checkout/sessions/{id}, %d clients", n), n, c.retrieveOp(ids, "/v1/checkout/sessions/"))
		sel, note := pb(pgbenchRun{script: pgbenchRetrieve(), clients: n, d: b.o.Duration, defines: []string{"maxseq=" + strconv.FormatInt(maxSeq, 10)}})
		r.Rows = append(r.Rows,
			Row{Measurement: fmt.Sprintf("retrieve `GET /v1/checkouts/{id}`, %d clients, vs primary-key SELECT", n), Caisse: &momo, Baseline: sel, Note: note},
			Row{Measurement: fmt.Sprintf("retrieve `GET /v1/checkout/sessions/{id}`, %d clients, vs primary-key SELECT", n), Caisse: &stripe, Baseline: sel, Note: note})
		// (d) stripe-mock as a peer.
		row := Row{Measurement: fmt.Sprintf("retrieve `GET /v1/checkout/sessions/{id}`, %d clients, vs stripe-mock", n), Caisse: &stripe}
		if mock == nil {
			row.Note = mockNote
		} else {
			ms := b.measureClosed(ctx, fmt.Sprintf("stripe-mock retrieve, %d clients", n), n, mock.retrieveOp())
			ms.Label = "stripe-mock"
			row.Baseline = &ms
		}
		r.Rows = append(r.Rows, row)
		if n != b.o.RetrieveClients[0] {
			continue
		}
		// (e) The Go floor of a retrieve, beside pgbench and beside caisse.
		fl, err := startRetrieveFloor(ctx, srv.dbURL(caisseDB))
		if err != nil {
			return err
		}
		fs := b.measureClosed(ctx, fmt.Sprintf("Go floor retrieve, %d clients", n), n, fl.retrieveOp(ids))
		fl.stop()
		fs.Label = "Go floor"
		r.Rows = append(r.Rows,
			Row{Measurement: fmt.Sprintf("the Go floor of a retrieve (net/http and one pgx query, no caisse code), %d clients, vs primary-key SELECT", n), Caisse: &fs, Baseline: sel, Note: note},
			Row{Measurement: fmt.Sprintf("retrieve `GET /v1/checkouts/{id}`, %d clients, vs the Go floor", n), Caisse: &momo, Baseline: &fs})
	}
	return nil
}

func (b *runner) sqlite(ctx context.Context, r *Report) error {
	dir, err := os.MkdirTemp(b.o.Dir, "sqlite-")
	if err != nil {
		return err
	}
	c, err := startCaisse(ctx, b.cmd, "sqlite:"+filepath.Join(dir, "caisse.db"), b.o.Dir)
	if err != nil {
		return err
	}
	defer c.stop()
	for _, n := range b.o.SQLiteClients {
		what := "SQLite create, " + clients(n)
		cs := b.measureClosed(ctx, what, n, c.createOp(nil))
		b.progress("  bare loop, %d client(s), %s", n, b.o.Duration)
		bs, err := sqliteLoop(ctx, dir, n, b.o.Duration)
		if err != nil {
			return err
		}
		r.Rows = append(r.Rows, Row{Measurement: what, Caisse: &cs, Baseline: &bs})
		if n != b.o.SQLiteClients[0] {
			continue
		}
		// The Go floor of a create, beside the loop and beside caisse.
		fl, err := startSQLiteCreateFloor(ctx, dir)
		if err != nil {
			return err
		}
		fs := b.measureClosed(ctx, fmt.Sprintf("Go floor create, %d client(s)", n), n, fl.createOp())
		fl.stop()
		fs.Label = "Go floor"
		r.Rows = append(r.Rows,
			Row{Measurement: fmt.Sprintf("the Go floor of a SQLite create (net/http and the loop's transaction, no caisse code), %s, vs bare loop", clients(n)), Caisse: &fs, Baseline: &bs},
			Row{Measurement: what + ", vs the Go floor", Caisse: &cs, Baseline: &fs})
	}
	return nil
}

// idPool keeps the ids of sessions a create load made, for the retrieve loads.
type idPool struct {
	mu  sync.Mutex
	ids []string
}

const maxIDs = 50_000

func (p *idPool) add(id string) {
	p.mu.Lock()
	if len(p.ids) < maxIDs {
		p.ids = append(p.ids, id)
	}
	p.mu.Unlock()
}

func (p *idPool) pick() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return "cs_test_none"
	}
	return p.ids[rand.IntN(len(p.ids))]
}

var keySeq atomic.Int64

// createOp is POST /v1/checkouts with a fresh idempotency key each time.
func (c *caisse) createOp(ids *idPool) op {
	return func(ctx context.Context, client *http.Client, _, _ int) error {
		id, err := c.create(ctx, client)
		if err == nil && ids != nil && id != "" {
			ids.add(id)
		}
		return err
	}
}

// create is POST /v1/checkouts of a session the test connector's operator
// approves (the phone number's last four digits), with a fresh idempotency
// key; it returns the new session's id.
func (c *caisse) create(ctx context.Context, client *http.Client) (string, error) {
	n := keySeq.Add(1)
	body := `{"amount": 5000, "currency": "XOF", "user_phone": "+2250707987654", "description": "Commande ` +
		strconv.FormatInt(n, 10) + `", "payment_id": "ORDER_` + strconv.FormatInt(n, 10) + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url+"/v1/checkouts", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-"+strconv.FormatInt(n, 10))
	var resp []byte
	if err := send(client, req, &resp); err != nil {
		return "", err
	}
	id, _ := sessionID(resp)
	return id, nil
}

// sessionID finds the "id" of a session in a response without decoding it all.
func sessionID(body []byte) (string, bool) {
	s := string(body)
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		return "", false
	}
	s = s[i+6:]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return "", false
	}
	return s[:j], true
}

// retrieveOp is GET prefix+id of a session the create load made.
func (c *caisse) retrieveOp(ids *idPool, prefix string) op {
	return func(ctx context.Context, client *http.Client, _, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+prefix+ids.pick(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.key)
		return send(client, req, nil)
	}
}

// execAll runs stmts on the database at url.
func execAll(ctx context.Context, url string, stmts []string) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// maxSeq is the baseline's highest session seq (the retrieve script picks below it).
func maxSeq(ctx context.Context, url string) (int64, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(seq) FROM sessions").Scan(&n); err != nil {
		return 0, err
	}
	if !n.Valid || n.Int64 < 1 {
		return 0, errors.New("the baseline holds no session to read")
	}
	return n.Int64, nil
}

// findPgbench is pgbench on PATH, else in a Debian PostgreSQL directory.
func findPgbench() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(found) > 0 {
		slices.Sort(found)
		return found[len(found)-1], nil
	}
	return "", errors.New("pgbench is not on PATH (apt-get install postgresql-contrib, or --engines sqlite)")
}

// loadAverage is /proc/loadavg's three averages, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// version is the binary's VCS stamp when it has one (the commit it was
// built from), else git describe and the short commit of the working tree.
func version() (describe, commit string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		modified := false
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 7:
				commit = s.Value[:7]
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if commit != "" {
			describe = commit
			if modified {
				describe += "-dirty"
			}
			return describe, commit
		}
	}
	if out, err := exec.Command("git", "describe", "--always", "--dirty", "--tags").Output(); err == nil {
		describe = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	return cmp.Or(describe, "unknown"), cmp.Or(commit, "unknown")
}
