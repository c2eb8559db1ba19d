// Package testserver runs a real caisse server for tests: a real database, the
// real handler behind httptest's real HTTP listener, a settable clock and a
// captured log. Every API test package starts its servers through it.
package testserver

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/server"
)

// Clock is a settable time source shared by the server under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
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

// Option adjusts the server's configuration before it starts.
type Option func(*config.Config)

// Start builds a server on dbURL (see testdb), serves it, and stops it at cleanup.
// The clock starts at the current time.
func Start(t testing.TB, dbURL string, opts ...Option) *Env {
	t.Helper()
	cfg := config.Config{DatabaseURL: dbURL, PublicURL: "http://caisse.test"}
	for _, o := range opts {
		o(&cfg)
	}
	e := &Env{T: t, Clock: &Clock{t: time.Now().UTC()}, Logs: &LogBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg, server.Options{Log: log, Now: e.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
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
