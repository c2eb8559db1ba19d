package testserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Fuzz is a real server for a fuzz target, which sends it millions of
// requests, and a merchant's keys: it logs errors only, and Do serves each
// request in the caller's goroutine, so that an answer comes with the errors
// logged while serving it.
type Fuzz struct {
	*Env
	Key, LiveKey string // the merchant's test and live secret keys
	errs         bytes.Buffer
}

// StartFuzz starts a server on dbURL (see testdb) for a fuzz target, with a
// merchant accepting XOF; it stops at cleanup.
func StartFuzz(t testing.TB, dbURL string, opts ...Option) *Fuzz {
	t.Helper()
	z := &Fuzz{}
	quiet := func(s *Setup) {
		s.Options.Log = slog.New(slog.NewTextHandler(&z.errs, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	z.Env = Start(t, dbURL, append(opts, quiet)...)
	z.Key, z.LiveKey = z.Merchant()
	return z
}

// Do serves req through the server's handler and returns the answer. A 5xx
// (a panic is one) fails t, quoting the request, the answer and the errors
// the server logged.
func (z *Fuzz) Do(t *testing.T, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	z.errs.Reset()
	rec := httptest.NewRecorder()
	z.Server.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %q (query %q): %d %.500s\nserver log: %s", req.Method, req.URL.Path, req.URL.RawQuery,
			rec.Code, rec.Body.Bytes(), z.errs.String())
	}
	return rec
}
