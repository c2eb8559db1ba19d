// Package server wires caisse together: it opens the store named by the
// configuration, builds the services, mounts every dialect on one mux, runs
// River, and serves HTTP until its context ends, then shuts down gracefully.
package server

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"
	"golang.org/x/net/netutil"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/hosted"
	"github.com/caisse/caisse/internal/httpapi"
	"github.com/caisse/caisse/internal/httpapi/connectorapi"
	"github.com/caisse/caisse/internal/httpapi/momoapi"
	"github.com/caisse/caisse/internal/httpapi/stripeapi"
	"github.com/caisse/caisse/internal/idempotency"
	"github.com/caisse/caisse/internal/jobs"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqlitestore"
)

// OpenStore opens the database a CAISSE_DATABASE_URL names, without migrating it.
func OpenStore(databaseURL string) (store.Store, error) {
	engine, target, err := config.ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if engine == config.EnginePostgres {
		return pgstore.Open(target)
	}
	return sqlitestore.Open(target)
}

// Server is a running caisse: store, services, HTTP handler and job client.
type Server struct {
	Config    config.Config
	Store     store.Store
	Merchants *merchant.Service
	Checkout  *checkout.Service
	Notify    *notify.Service
	// Connectors are the merchants' operator connectors (caisse connectors).
	Connectors *operator.Registry
	Jobs       *river.Client[*sql.Tx]
	log        *slog.Logger
	handler    http.Handler
	stripe     *stripeapi.API
	momo       *momoapi.API
	sweeping   sync.WaitGroup
	stopSweep  context.CancelFunc
}

// Options are the parts tests may replace.
type Options struct {
	Log *slog.Logger
	Now func() time.Time // the clock; time.Now by default
	// WebhookSchedule replaces notify.DefaultSchedule (tests retry in milliseconds).
	WebhookSchedule []time.Duration
	// SearchCountBound replaces checkout.DefaultCountBound (tests count past
	// a bound of a few sessions).
	SearchCountBound int64
	// Dev relaxes the server for local development and CI (caisse dev); nil,
	// as for caisse serve, keeps every rule.
	Dev *Dev
}

// Dev is what caisse dev changes of a server: any well-formed sk_test_ key
// is a merchant's, made on first use with every currency
// (merchant.Service.DevKeys), live keys are refused, and the test
// connector's operator answers after TestDelay instead of connector.TestDelay.
type Dev struct {
	TestDelay time.Duration
}

// JobTimeout is the longest a job may run unless its worker says otherwise
// (a webhook delivery takes notify.Timeout plus a margin, 12 s);
// RescueAfter is when a job still marked running is presumed orphaned by a
// dead node and retried, once it has also outlived its worker's timeout.
// River's rescuer looks every 30 s and its scheduler makes retried jobs
// available within 5 s, so such a job runs again at most about
// RescueAfter + 36 s after it was last attempted.
const (
	JobTimeout  = 12 * time.Second
	RescueAfter = 13 * time.Second
)

// JobPollInterval is how often each process looks for jobs of the default
// queue (payments, test outcomes, periodic jobs), and WebhookPollInterval for
// webhook deliveries (notify.Queue): River, on database/sql, polls rather than
// listens, so a job inserted by a commit starts within about this long.
const (
	JobPollInterval     = 200 * time.Millisecond
	WebhookPollInterval = 100 * time.Millisecond
)

// MaxHeaderBytes bounds a request's headers.
const MaxHeaderBytes = 64 << 10

// SweepInterval is how often each node expires overdue sessions: sessions
// expire within about this long of their deadline.
const SweepInterval = 250 * time.Millisecond

// New opens and migrates the database and builds a server; Close releases it.
func New(ctx context.Context, cfg config.Config, opts Options) (*Server, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st, err := OpenStore(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	s := &Server{Config: cfg, Store: st, log: opts.Log,
		Merchants: &merchant.Service{Store: st, Now: opts.Now},
		Checkout: &checkout.Service{Store: st, Now: opts.Now, PublicURL: cfg.PublicURL, Log: opts.Log,
			CountBound: opts.SearchCountBound, TestDelay: connector.TestDelay},
		stripe: &stripeapi.API{HostedURL: strings.TrimRight(cfg.PublicURL, "/") + "/pay/"},
		momo:   &momoapi.API{HostedURL: strings.TrimRight(cfg.PublicURL, "/") + "/pay/"},
	}
	if opts.Dev != nil {
		s.Merchants.DevKeys, s.Checkout.TestDelay = true, opts.Dev.TestDelay
	}
	box, err := SecretBox(cfg, opts.Log)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.Connectors = &operator.Registry{Store: st, Box: box, PublicURL: cfg.PublicURL, Timeout: cfg.OperatorTimeout,
		Default: liveConnector(cfg), Now: opts.Now}
	s.Checkout.Connectors = s.Connectors
	s.Notify = &notify.Service{Store: st, Now: opts.Now, Log: opts.Log, Schedule: opts.WebhookSchedule, Payload: s.payload, Box: box,
		NoPrivateTestTargets: cfg.WebhookNoPrivateTestTargets}
	s.Checkout.Notifier, s.Checkout.Changed = s.Notify, s.Notify.Wake
	keeper := &idempotency.Keeper{Store: st, Now: opts.Now, Takeover: cfg.IdempotencyTakeover, Box: box}
	s.Jobs, err = river.NewClient(st.JobDriver(), &river.Config{
		// Deliveries have a queue of their own, worked by more workers and
		// looked for more often (docs/operations.md, "Background jobs").
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 20},
			notify.Queue:       {MaxWorkers: cmp.Or(cfg.WebhookWorkers, config.DefaultWebhookWorkers), FetchPollInterval: WebhookPollInterval},
		},
		Workers: jobs.Workers(jobs.Deps{Keeper: keeper, Checkout: s.Checkout, Notify: s.Notify, Log: opts.Log,
			OperatorTimeout: cfg.OperatorTimeout}),
		PeriodicJobs:      jobs.Periodic(),
		FetchPollInterval: JobPollInterval,
		// A job left running by a dead node is retried once its attempt is
		// RescueAfter old (and past its worker's own timeout): see
		// docs/operations.md for the bound this gives.
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueAfter,
		Logger:               slog.New(levelFloor{opts.Log.Handler(), slog.LevelWarn}),
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("river: %w", err)
	}
	s.Checkout.Jobs, s.Notify.Jobs = s.Jobs, s.Jobs
	s.handler = s.routes(keeper)
	return s, nil
}

// SecretBox is the key that seals secrets at rest: CAISSE_SECRET_KEY, else
// the file CAISSE_SECRET_KEY_FILE, else, on SQLite, a key file next to the
// database (made on first start). On PostgreSQL without a key there is none:
// live webhook endpoints are then refused.
func SecretBox(cfg config.Config, log *slog.Logger) (*seal.Box, error) {
	switch {
	case cfg.SecretKey != "":
		return seal.Parse(cfg.SecretKey)
	case cfg.SecretKeyFile != "":
		return seal.Load(cfg.SecretKeyFile)
	}
	engine, target, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if engine != config.EngineSQLite {
		log.Warn("no CAISSE_SECRET_KEY: live webhook endpoints are refused, and test endpoints' secrets are stored unsealed")
		return nil, nil
	}
	path := target + ".key"
	box, created, err := seal.LoadOrCreate(path)
	if created {
		log.Info("generated the key that seals secrets at rest; keep it with the database", "path", path)
	}
	return box, err
}

// liveConnector is the operator connector the configuration names, if any.
func liveConnector(cfg config.Config) connector.Connector {
	if cfg.OperatorURL == "" {
		return nil
	}
	return &connector.HTTP{ConnectorName: cfg.OperatorName, BaseURL: cfg.OperatorURL, Secret: cfg.OperatorSecret, Timeout: cfg.OperatorTimeout,
		CallbackURL: strings.TrimRight(cfg.PublicURL, "/") + "/v1/connectors/" + cfg.OperatorName + "/callback"}
}

// payload renders an event for a webhook endpoint: Stripe's event object with
// the session in the endpoint's format.
func (s *Server) payload(format string, e store.Event, apiVersion string) ([]byte, error) {
	object := s.stripe.SessionObject(e.Session, apiVersion)
	if format == notify.FormatMobileMoney {
		object = s.momo.SessionObject(e.Session)
	}
	return json.Marshal(stripeapi.EventObject(e, apiVersion, object))
}

func (s *Server) routes(keeper *idempotency.Keeper) http.Handler {
	mux := http.NewServeMux()
	auth := &httpapi.Auth{Merchants: s.Merchants, Limiter: httpapi.NewLimiter(s.Config.RateLimit),
		Failures: httpapi.NewLimiter(s.Config.AuthFailureRate), Proxies: s.Config.TrustedProxies, Log: s.log}
	idem := &httpapi.Idempotency{Keeper: keeper, Log: s.log}
	s.momo.Checkout, s.momo.Auth, s.momo.Idem, s.momo.Log = s.Checkout, auth, idem, s.log
	s.momo.Register(mux)
	s.stripe.Checkout, s.stripe.Notify, s.stripe.Auth, s.stripe.Idem, s.stripe.Log = s.Checkout, s.Notify, auth, idem, s.log
	s.stripe.Register(mux)
	(&connectorapi.API{Checkout: s.Checkout, Log: s.log}).Register(mux)
	(&hosted.Page{Checkout: s.Checkout, Log: s.log, Secure: strings.HasPrefix(s.Config.PublicURL, "https://"), PublicURL: s.Config.PublicURL}).Register(mux)
	mux.HandleFunc("/v1/", stripeapi.UnrecognizedURL)
	mux.HandleFunc("GET /{$}", home)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeStatus(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", s.ready)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return httpapi.Observe(s.log, httpapi.NewMetrics(reg), momoapi.Render, httpapi.Deadline(s.Config.RequestTimeout, mux))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		s.log.Warn("readiness: database unreachable", "error", err)
		writeStatus(w, http.StatusServiceUnavailable, "database unreachable")
		return
	}
	writeStatus(w, http.StatusOK, "ok")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"status": status}) //nolint:errcheck // the client went away
}

// home answers GET /: what this server is and where to start, so that a
// browser or curl pointed at the bare address learns more than a 404.
func home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the client went away
		"name":    "caisse",
		"version": config.Version(),
		"apis": map[string]string{
			"mobile_money": "/v1/checkouts",
			"stripe":       "/v1/checkout/sessions",
			"wooshpay":     "/v1/checkout/sessions/list",
		},
		"hosted_pages": "/pay/{session id}",
		"health":       "/healthz",
		"readiness":    "/readyz",
		"metrics":      "/metrics",
		"docs":         "README.md and docs/ in caisse's source: docs/api-momo.md, docs/api-stripe.md, docs/webhooks.md",
	})
}

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// StartJobs starts River's workers, scheduler and leader election, and this
// node's expiry sweep. Cancelling ctx does not stop them (River would stop at
// once); Close stops them gracefully.
func (s *Server) StartJobs(ctx context.Context) error {
	if err := s.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopSweep = stop
	s.sweeping.Go(func() { s.sweep(sweepCtx) })
	return nil
}

// sweep expires overdue sessions every SweepInterval until ctx ends.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Checkout.Sweep(ctx, nil); err != nil && ctx.Err() == nil {
				s.log.Warn("expiry sweep", "error", err)
			}
		}
	}
}

// Close stops the sweep and the jobs (letting running ones finish for up to
// 10 s) and closes the store.
func (s *Server) Close() error {
	if s.stopSweep != nil {
		s.stopSweep()
		s.sweeping.Wait()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.Jobs.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.Jobs.StopAndCancel(context.Background())
	}
	return errors.Join(err, s.Store.Close())
}

// Serve listens on ln until ctx ends, then stops accepting, lets requests in
// flight finish (up to 15 s), stops the jobs and closes the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.StartJobs(ctx); err != nil {
		return err
	}
	srv := &http.Server{
		Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: s.Config.WriteTimeout, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.Config.MaxConnections > 0 {
		ln = netutil.LimitListener(ln, s.Config.MaxConnections)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("caisse listening", "addr", ln.Addr().String(), "public_url", s.Config.PublicURL,
		"database", config.Redact(s.Config.DatabaseURL))
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, s.Close())
}

// levelFloor drops records below a level: River is chatty at info.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(attrs), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
