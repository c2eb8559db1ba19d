package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// benchEngines runs a benchmark on each engine, each with a server of its
// own (jobs off: only the request path is measured).
func benchEngines(b *testing.B, fn func(b *testing.B, env *testserver.Env, key string)) {
	for _, engine := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", testdb.SQLiteURL}, {"postgres", testdb.MigratedPostgresURL}} {
		b.Run(engine.name, func(b *testing.B) {
			env := testserver.Start(b, engine.url(b))
			key, _ := env.Merchant()
			fn(b, env, key)
		})
	}
}

// benchDo sends one API request and fails the benchmark on an unexpected status.
func benchDo(b *testing.B, client *http.Client, req *http.Request, want int) {
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // drained for keep-alive
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("%s %s: %d, want %d", req.Method, req.URL.Path, resp.StatusCode, want)
	}
}

// BenchmarkCreate creates sessions through the mobile-money API (a fresh
// idempotency key each), from 8 concurrent clients per CPU.
func BenchmarkCreate(b *testing.B) {
	benchEngines(b, func(b *testing.B, env *testserver.Env, key string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var n atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("POST", env.URL+"/v1/checkouts",
					strings.NewReader(`{"amount":5000,"currency":"XOF","user_phone":"+2250707000001","payment_id":"ORDER_1"}`))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n.Add(1)))
				benchDo(b, client, req, http.StatusCreated)
			}
		})
	})
}

// BenchmarkRetrieve reads one session through the mobile-money and the
// Stripe API, from 8 concurrent clients per CPU.
func BenchmarkRetrieve(b *testing.B) {
	benchEngines(b, func(b *testing.B, env *testserver.Env, key string) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		req, _ := http.NewRequest("POST", env.URL+"/v1/checkouts", strings.NewReader(`{"amount":5000,"currency":"XOF","user_phone":"+2250707000001"}`))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "bench-retrieve")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := strings.Split(strings.SplitN(string(body), `"id":"`, 2)[1], `"`)[0]
		for _, dialect := range []struct{ name, path string }{
			{"momo", "/v1/checkouts/"},
			{"stripe", "/v1/checkout/sessions/"},
		} {
			b.Run(dialect.name, func(b *testing.B) {
				b.SetParallelism(8)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						req, _ := http.NewRequest("GET", env.URL+dialect.path+id, nil)
						req.Header.Set("Authorization", "Bearer "+key)
						benchDo(b, client, req, http.StatusOK)
					}
				})
			})
		}
	})
}
