package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/store/pgstore"
	"github.com/caisse/caisse/internal/store/sqlitestore"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// rawDB is the database under a store, for reading rows as they are stored.
func rawDB(t *testing.T, s store.Store) *sql.DB {
	t.Helper()
	switch v := s.(type) {
	case *pgstore.Store:
		return v.Writer
	case *sqlitestore.Store:
		return v.Writer
	}
	t.Fatalf("no raw database for %T", s)
	return nil
}

// TestSecretsSealedAtRest creates test and live webhook endpoints under
// idempotency keys, then reads the raw rows: neither the endpoints table nor
// the stored responses hold a signing secret in clear, while a replay still
// gives the secret back and deliveries are signed with it (the lifecycle
// tests verify them with stripe-go).
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		l := newLifecycle(t, dbURL)
		_, live := l.env.Merchant()
		var secrets []string
		for _, key := range []string{l.key, live} {
			l.key = key
			form := url.Values{"url": {"https://8.8.8.8/hooks"}, "enabled_events[]": {"*"}}.Encode() // a public address: live endpoints need one
			first := l.callKey("POST", "/v1/webhook_endpoints", form, "endpoint-"+key[:8], http.StatusOK)
			again := l.callKey("POST", "/v1/webhook_endpoints", form, "endpoint-"+key[:8], http.StatusOK)
			secret, _ := first["secret"].(string)
			if !strings.HasPrefix(secret, "whsec_") || again["secret"] != secret {
				t.Fatalf("created secret %q, replayed %v", secret, again["secret"])
			}
			secrets = append(secrets, secret)
		}
		db := rawDB(t, l.env.Server.Store)
		for _, q := range []string{"SELECT secret FROM webhook_endpoints", "SELECT body FROM idempotency_keys"} {
			rows, err := db.QueryContext(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var v []byte
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				n++
				for _, secret := range secrets {
					if strings.Contains(string(v), secret) || strings.Contains(string(v), "whsec_") {
						t.Errorf("%s: a row holds a signing secret in clear: %.80s…", q, v)
					}
				}
			}
			rows.Close()
			if n < 2 {
				t.Errorf("%s: %d rows, want the two endpoints'", q, n)
			}
		}
	})
}

// TestLiveEndpointsNeedAKey: on PostgreSQL without CAISSE_SECRET_KEY a live
// endpoint is refused (503) rather than stored with a clear secret; a test
// endpoint is still accepted.
func TestLiveEndpointsNeedAKey(t *testing.T) {
	t.Parallel()
	l := newLifecycle(t, testdb.PostgresURL(t), testserver.WithConfig(func(c *config.Config) { c.SecretKey = "" }))
	form := url.Values{"url": {"https://shop.example/hooks"}, "enabled_events[]": {"*"}}.Encode()
	l.call("POST", "/v1/webhook_endpoints", form, http.StatusOK)
	_, l.key = l.env.Merchant()
	got := l.call("POST", "/v1/webhook_endpoints", form, http.StatusServiceUnavailable)
	if msg, _ := got["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "CAISSE_SECRET_KEY") {
		t.Errorf("refusal says %q", msg)
	}
}
