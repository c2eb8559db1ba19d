package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// sse is one server-sent event of GET /v1/events/stream.
type sse struct {
	id, typ string
	data    struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data struct {
			Object struct {
				ID     string `json:"id"`
				Object string `json:"object"`
			} `json:"object"`
		} `json:"data"`
	}
}

// openStream opens an event stream with key, resuming after lastID when set,
// and returns its events as they come; it ends with the test.
func openStream(t *testing.T, base, key, lastID string) <-chan sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events/stream", nil)
	req.SetBasicAuth(key, "")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sse, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var e sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.typ = line[7:]
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(line[6:]), &e.data) //nolint:errcheck // checked by the test through e.data
			case line == "" && e.id != "":
				out <- e
				e = sse{}
			}
		}
	}()
	return out
}

// next is the stream's next event; the test fails if none comes within 20 s.
func next(t *testing.T, events <-chan sse) sse {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no event came within 20 s")
		return sse{}
	}
}

// completeSession creates a session on base and walks it to completed with
// the test helper: four events.
func completeSession(t *testing.T, base, key string) string {
	t.Helper()
	id := createSession(t, base, key)
	if code, got := devCall(t, base, key, "POST", "/v1/test_helpers/checkout/sessions/"+id+"/complete", nil); code != http.StatusOK {
		t.Fatalf("complete: %d %v", code, got)
	}
	return id
}

// createSession creates a Stripe session of 5 000 XOF on base.
func createSession(t *testing.T, base, key string) string {
	t.Helper()
	form := url.Values{"mode": {"payment"}, "success_url": {"https://example.com/ok"},
		"line_items[0][price_data][currency]": {"xof"}, "line_items[0][price_data][unit_amount]": {"5000"},
		"line_items[0][price_data][product_data][name]": {"T-shirt"}, "line_items[0][quantity]": {"1"}}
	code, s := devCall(t, base, key, "POST", "/v1/checkout/sessions", form)
	if code != http.StatusOK {
		t.Fatalf("create: %d %v", code, s)
	}
	return s["id"].(string)
}

var completedTypes = []string{"checkout.session.pending", "checkout.session.processing",
	"checkout.session.completed", "checkout.session.async_payment_succeeded"}

// TestEventStream reads a session's events from a stream, resumes another
// stream after the first of them, and checks the stream's refusals.
func TestEventStream(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL)
		key, _ := env.Merchant()
		completeSession(t, env.URL, key) // events before the stream opens are not sent
		events := openStream(t, env.URL, key, "")
		id := completeSession(t, env.URL, key)
		var got []sse
		for _, typ := range completedTypes {
			e := next(t, events)
			if e.typ != typ || e.data.Type != typ || e.data.ID != e.id || e.data.Data.Object.ID != id ||
				e.data.Data.Object.Object != "checkout.session" {
				t.Fatalf("event %+v, want %s of %s", e, typ, id)
			}
			got = append(got, e)
		}
		resumed := openStream(t, env.URL, key, got[0].id)
		for _, want := range got[1:] {
			if e := next(t, resumed); e.id != want.id {
				t.Fatalf("resumed after %s: event %s (%s), want %s", got[0].id, e.id, e.typ, want.id)
			}
		}
		other, _ := env.Merchant()
		req, _ := http.NewRequest("GET", env.URL+"/v1/events/stream", nil)
		req.SetBasicAuth(other, "")
		req.Header.Set("Last-Event-ID", got[0].id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("another merchant resumed after this one's event: %d", resp.StatusCode)
		}
	})
}

// TestEventStreamLimit opens one stream more than a key may hold.
func TestEventStreamLimit(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, testdb.SQLiteURL(t))
	key, _ := env.Merchant()
	for range notify.MaxStreamsPerKey {
		openStream(t, env.URL, key, "")
	}
	code, body := devCall(t, env.URL, key, "GET", "/v1/events/stream", nil)
	if code != http.StatusTooManyRequests {
		t.Fatalf("stream past the limit: %d %v", code, body)
	}
}

// TestEventStreamTwoNodes streams from one server the events another
// server on the same database writes (they come by the fall-back poll).
func TestEventStreamTwoNodes(t *testing.T) {
	t.Parallel()
	dbURL := testdb.MigratedPostgresURL(t)
	a := testserver.Start(t, dbURL)
	b := testserver.Start(t, dbURL)
	key, _ := a.Merchant()
	events := openStream(t, a.URL, key, "")
	id := completeSession(t, b.URL, key)
	for _, typ := range completedTypes {
		if e := next(t, events); e.typ != typ || e.data.Data.Object.ID != id {
			t.Fatalf("event %+v, want %s of %s", e, typ, id)
		}
	}
}
