// Package testserver runs a real caisse server for tests: a real database, the
// real handler behind httptest's real HTTP listener, a settable clock and a
// captured log. Every API test package starts its servers through it.
package testserver

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/server"
)

// Parallel lets up to n tests that call t.Parallel run at once in this test
// binary, unless the command line sets -parallel or fuzzes (-fuzz, where
// -parallel is the number of fuzzing workers); call it from TestMain before
// m.Run. go test's default, GOMAXPROCS, suits tests that compute; tests that
// mostly wait (on a payment answered a second later, a webhook retry, a
// browser, a process's restart) want more of them at once.
func Parallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		set = set || f.Name == "test.parallel" || f.Name == "test.fuzz" || f.Name == "test.fuzzworker"
	})
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic(err)
		}
	}
}

// Clock is a settable time source shared by the server under test: stopped
// at a set time, or following the wall clock at an offset.
type Clock struct {
	mu        sync.Mutex
	t         time.Time
	following bool
	offset    time.Duration
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.following {
		return time.Now().Add(c.offset).UTC()
	}
	return c.t
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t, c.following = t, false
	c.mu.Unlock()
}

// Follow makes the clock run with the wall clock, offset by d.
func (c *Clock) Follow(d time.Duration) {
	c.mu.Lock()
	c.following, c.offset = true, d
	c.mu.Unlock()
}

// LogBuffer collects the server's log lines.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Env is a real caisse server on a real database, reached over real HTTP at URL.
type Env struct {
	T      testing.TB
	Server *server.Server
	URL    string
	Clock  *Clock
	Logs   *LogBuffer
}

// Setup is what options may change before the server starts.
type Setup struct {
	Config  config.Config
	Options server.Options
	Jobs    bool // run River's workers and the expiry sweep
	SelfURL bool // CAISSE_PUBLIC_URL is the test server's own address (operators call back there)
}

// Option adjusts the setup before the server starts.
type Option func(*Setup)

// WithConfig changes the server's configuration.
func WithConfig(f func(*config.Config)) Option { return func(s *Setup) { f(&s.Config) } }

// WithJobs runs background work (River, the expiry sweep); webhook retries
// wait for the given schedule instead of notify's days-long one.
func WithJobs(retries ...time.Duration) Option {
	return func(s *Setup) { s.Jobs, s.Options.WebhookSchedule = true, retries }
}

// WithSelfURL makes the server's public URL its own listening address.
func WithSelfURL() Option { return func(s *Setup) { s.SelfURL = true } }

// Start builds a server on dbURL (see testdb), serves it, and stops it at cleanup.
// The clock starts at the current time and stays there until Set (or Follow).
func Start(t testing.TB, dbURL string, opts ...Option) *Env {
	t.Helper()
	setup := Setup{Config: config.Config{DatabaseURL: dbURL, PublicURL: "http://caisse.test", SecretKey: seal.NewKey()}}
	for _, o := range opts {
		o(&setup)
	}
	ts := httptest.NewUnstartedServer(nil)
	if setup.SelfURL {
		setup.Config.PublicURL = "http://" + ts.Listener.Addr().String()
	}
	e := &Env{T: t, Clock: &Clock{t: time.Now().UTC()}, Logs: &LogBuffer{}}
	if setup.Options.Log == nil { // an option may log elsewhere: a fuzz target's millions of requests would fill Logs
		setup.Options.Log = slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	setup.Options.Now = e.Clock.Now
	srv, err := server.New(context.Background(), setup.Config, setup.Options)
	if err != nil {
		ts.Close()
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	if setup.Jobs {
		if err := srv.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	e.Server, e.URL = srv, ts.URL
	return e
}

// Merchant creates a merchant accepting currencies (XOF when none) and returns
// its test and live secret keys.
func (e *Env) Merchant(currencies ...string) (testKey, liveKey string) {
	e.T.Helper()
	c, err := e.Server.Merchants.Create(context.Background(), "Boutique "+e.T.Name(), currencies, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return c.TestSecretKey, c.LiveSecretKey
}
