package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// TestTwoNodesDeliverAndExpireOnce runs two `caisse serve` processes on one
// PostgreSQL database: 200 sessions are paid through the test connector and
// 200 expire by themselves, and every event reaches each of two webhook
// endpoints exactly once.
func TestTwoNodesDeliverAndExpireOnce(t *testing.T) {
	t.Parallel()
	const paid, expiring = 200, 200
	dbURL := testdb.PostgresURL(t)
	var m struct {
		ID            string `json:"id"`
		TestSecretKey string `json:"test_secret_key"`
	}
	if err := json.Unmarshal(caisse(t, []string{"CAISSE_DATABASE_URL=" + dbURL}, "merchants", "create", "--name", "Two nodes", "--json"), &m); err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for range 2 {
		addr := freeAddr(t)
		cmd, _ := startServe(t, []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + addr, "CAISSE_LOG_LEVEL=error"})
		t.Cleanup(func() { stopServe(t, cmd) })
		waitReady(t, "http://"+addr+"/readyz")
		nodes = append(nodes, "http://"+addr)
	}
	rcv := testserver.NewReceiver(t)
	for _, path := range []string{"/a", "/b"} {
		call(t, nodes[0], m.TestSecretKey, "POST", "/v1/webhook_endpoints", url.Values{"url": {rcv.URL + path}, "enabled_events[]": {"*"}}.Encode())
	}

	// Sessions that expire in 5 s: created through a third server on the same
	// database whose clock runs 295 s behind (300 s is the shortest expires_in).
	creator, err := server.New(context.Background(), config.Config{DatabaseURL: dbURL, PublicURL: "http://caisse.test"},
		server.Options{Now: func() time.Time { return time.Now().Add(-295 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	defer creator.Close()
	p, err := creator.Merchants.Authenticate(context.Background(), m.TestSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	for range expiring {
		if _, err := creator.Checkout.Create(context.Background(), p, checkout.CreateParams{Amount: 1000, Currency: "XOF", ExpiresIn: checkout.MinExpiresIn}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	clients := []*client.Client{client.New(m.TestSecretKey, client.WithBaseURL(nodes[0])), client.New(m.TestSecretKey, client.WithBaseURL(nodes[1]))}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < paid; i += 4 {
				s, err := clients[i%2].Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000001"})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := clients[(i+1)%2].Confirm(ctx, s.ID, client.ConfirmParams{Channel: "orange_money"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Each paid session writes pending, processing, completed and
	// async_payment_succeeded; each expired one writes expired.
	const events = paid*4 + expiring
	got := rcv.Wait(t, 2*events, 3*time.Minute)
	time.Sleep(3 * time.Second) // a duplicate would have arrived by now
	got = rcv.Deliveries()
	seen := map[string]int{}
	for _, d := range got {
		seen[d.Path+" "+d.Header.Get("webhook-id")]++
	}
	if len(got) != 2*events || len(seen) != 2*events {
		t.Fatalf("%d deliveries of %d distinct (endpoint, event) pairs, want %d of each", len(got), len(seen), 2*events)
	}

	list, err := creator.Store.EventList(context.Background(), p.Scope(), store.EventFilter{Limit: events + 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	perType := map[checkout.EventType]int{}
	perSession := map[string]int{}
	for _, e := range list {
		perType[e.Type]++
		perSession[string(e.Type)+" "+e.Session.ID]++
		for _, path := range []string{"/a", "/b"} {
			if seen[path+" "+e.ID] != 1 {
				t.Errorf("event %s reached %s %d times", e.ID, path, seen[path+" "+e.ID])
			}
		}
	}
	want := map[checkout.EventType]int{checkout.EventPending: paid, checkout.EventProcessing: paid, checkout.EventCompleted: paid,
		checkout.EventAsyncSucceeded: paid, checkout.EventExpired: expiring}
	if diff := cmp.Diff(want, perType); diff != "" {
		t.Errorf("events by type (-want +got):\n%s", diff)
	}
	if len(list) != events {
		t.Errorf("%d events in all, want %d", len(list), events)
	}
	for k, n := range perSession {
		if n != 1 {
			t.Errorf("%s written %d times", k, n)
		}
	}
}

// call makes an authenticated API request with a JSON or form body (an
// idempotency key on each) and decodes the JSON answer. A failed call is
// reported with t.Error and gives nil, so that goroutines may use it.
func call(t *testing.T, base, key, method, path, body string) map[string]any {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", randid.New("e2e_"))
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if res.StatusCode >= 300 || json.Unmarshal(raw, &out) != nil {
		t.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		return nil
	}
	return out
}

// stopServe stops a serve process with SIGTERM and waits for it.
func stopServe(t *testing.T, cmd *exec.Cmd) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Error(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Error("serve did not stop within 30 s of SIGTERM")
	}
}
