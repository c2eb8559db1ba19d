package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
	"github.com/caisse/caisse/internal/webhook"
)

const operatorSecret = "opsec_shared_with_caisse"

// TestLivePathThroughTheOperator pays a live-mode session through the HTTP
// operator connector against the fake operator, which calls back signed; then
// forged, stale and repeated callbacks are refused or change nothing.
func TestLivePathThroughTheOperator(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		fake := &connector.FakeOperator{Secret: operatorSecret, Delay: 50 * time.Millisecond}
		op := httptest.NewServer(fake)
		t.Cleanup(func() { fake.Close(); op.Close() })
		l := newLifecycle(t, dbURL, testserver.WithSelfURL(), testserver.WithConfig(func(c *config.Config) {
			c.OperatorName, c.OperatorURL, c.OperatorSecret = "operator", op.URL, operatorSecret
		}))
		_, l.key = l.env.Merchant()
		ctx := context.Background()
		p, err := l.env.Server.Merchants.Authenticate(ctx, l.key)
		if err != nil {
			t.Fatal(err)
		}

		paid := l.session("+2250700000001", true)
		waitStatus(t, l, paid, checkout.StatusCompleted)
		s, err := l.env.Server.Store.SessionGet(ctx, p.Scope(), paid)
		if err != nil || !strings.HasPrefix(s.ConnectorRef, "op_") || s.Channel != "orange_money" {
			t.Fatalf("paid live session: ref %q, channel %q (%v)", s.ConnectorRef, s.Channel, err)
		}

		waiting := l.session("+2250700000004", true) // the operator never answers
		var w store.Session
		for start := time.Now(); w.ConnectorRef == "" && time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
			if w, err = l.env.Server.Store.SessionGet(ctx, p.Scope(), waiting); err != nil {
				t.Fatal(err)
			}
		}
		if w.ConnectorRef == "" {
			t.Fatal("no operator ref on the waiting session: the payment job never asked the operator")
		}
		body := fmt.Sprintf(`{"id": %q, "reference": %q, "status": "succeeded"}`, w.ConnectorRef, waiting)
		now := time.Now()
		for _, c := range []struct {
			name, signature string
			want            int
		}{
			{"wrong secret", webhook.Sign("opsec_guessed", []byte(body), now), http.StatusUnauthorized},
			{"no signature", "", http.StatusUnauthorized},
			{"stale timestamp", webhook.Sign(operatorSecret, []byte(body), now.Add(-10*time.Minute)), http.StatusUnauthorized},
			{"other connector", webhook.Sign(operatorSecret, []byte(body), now), http.StatusNotFound},
		} {
			path := "/v1/connectors/operator/callback"
			if c.name == "other connector" {
				path = "/v1/connectors/mtn/callback"
			}
			if got := callback(t, l.env.URL+path, body, c.signature); got != c.want {
				t.Errorf("%s: %d, want %d", c.name, got, c.want)
			}
			if s, _ := l.env.Server.Store.SessionGet(ctx, p.Scope(), waiting); s.Status != checkout.StatusPending {
				t.Fatalf("after a %s callback the session is %s", c.name, s.Status)
			}
		}
		for range 2 { // the operator repeats itself: the second changes nothing
			if got := callback(t, l.env.URL+"/v1/connectors/operator/callback", body, webhook.Sign(operatorSecret, []byte(body), time.Now())); got != http.StatusOK {
				t.Fatalf("signed callback: %d", got)
			}
		}
		waitStatus(t, l, waiting, checkout.StatusCompleted)
		events, err := l.env.Server.Store.EventList(ctx, p.Scope(), store.EventFilter{Types: []checkout.EventType{checkout.EventCompleted}, Limit: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 {
			t.Fatalf("%d completed events for two paid sessions", len(events))
		}
	})
}

// callback posts an operator callback and returns the status code.
func callback(t *testing.T, url, body, signature string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Operator-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// waitStatus waits for the session to reach status, read through the momo API.
func waitStatus(t *testing.T, l *lifecycle, id string, status checkout.Status) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second) // River's scheduler and a loaded machine may each add seconds
	for {
		got := l.must(l.momo().Get(context.Background(), id)).Status
		if got == string(status) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %v, want %s", id, got, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
