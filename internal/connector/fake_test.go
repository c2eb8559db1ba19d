package connector_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

// send makes a request to the operator at base, signed with key at signedAt
// unless key is empty, and returns the response (closed when the test ends).
func send(t *testing.T, method, url, body, key string, signedAt time.Time) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		target := req.URL.EscapedPath()
		if req.URL.RawQuery != "" {
			target += "?" + req.URL.RawQuery
		}
		req.Header.Set("Caisse-Signature", connector.SignRequest(key, method, target, []byte(body), signedAt))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// newFake serves a FakeOperator that never calls back during the test.
func newFake(t *testing.T) *httptest.Server {
	t.Helper()
	fake := &connector.FakeOperator{Secret: secret, Delay: time.Hour}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	t.Cleanup(fake.Close)
	return srv
}

// fakeAttempt is paymentJSON's attempt.
const fakeAttempt = "5f0b6c3e-8d21-4a7f-b9e4-2c6d1a0e7f38"

// paymentJSON is a valid payment request with the fields in change replaced
// (removed where nil).
func paymentJSON(t *testing.T, change map[string]any) string {
	t.Helper()
	p := map[string]any{"reference": "cs_fake", "attempt": fakeAttempt, "amount": 2500, "currency": "XOF", "phone": "+2250707000001",
		"channel": "wave", "callback_url": "http://127.0.0.1:1/v1/connectors/fakeop/callback"}
	for k, v := range change {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFakeOperatorRefuses(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	now := time.Now()
	good := paymentJSON(t, nil)
	// bad is a request with one field changed, under a reference and an attempt
	// of its own so that a request accepted by mistake cannot turn the next ones
	// into 409s.
	n := 0
	bad := func(field string, v any) string {
		t.Helper()
		n++
		change := map[string]any{"reference": fmt.Sprintf("cs_bad_%d", n), "attempt": fmt.Sprintf("at_bad_%d", n)}
		change[field] = v
		return paymentJSON(t, change)
	}
	const unknown = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f" // an attempt nobody started
	cases := []struct {
		name       string
		method     string
		path, body string
		key        string
		signedAt   time.Time
		want       int
	}{
		{"unsigned", "POST", "/v1/payments", good, "", now, 401},
		{"wrong secret", "POST", "/v1/payments", good, "opsec_other", now, 401},
		{"stale signature", "POST", "/v1/payments", good, secret, now.Add(-6 * time.Minute), 401},
		{"future signature", "POST", "/v1/payments", good, secret, now.Add(6 * time.Minute), 401},
		{"invalid JSON", "POST", "/v1/payments", "{", secret, now, 400},
		{"no reference", "POST", "/v1/payments", bad("reference", nil), secret, now, 400},
		{"empty reference", "POST", "/v1/payments", bad("reference", ""), secret, now, 400},
		{"long reference", "POST", "/v1/payments", bad("reference", strings.Repeat("r", 256)), secret, now, 400},
		{"no attempt", "POST", "/v1/payments", bad("attempt", nil), secret, now, 400},
		{"empty attempt", "POST", "/v1/payments", bad("attempt", ""), secret, now, 400},
		{"long attempt", "POST", "/v1/payments", bad("attempt", strings.Repeat("a", 256)), secret, now, 400},
		{"zero amount", "POST", "/v1/payments", bad("amount", 0), secret, now, 400},
		{"negative amount", "POST", "/v1/payments", bad("amount", -5), secret, now, 400},
		{"fractional amount", "POST", "/v1/payments", bad("amount", 25.5), secret, now, 400},
		{"amount as string", "POST", "/v1/payments", bad("amount", "2500"), secret, now, 400},
		{"lower-case currency", "POST", "/v1/payments", bad("currency", "xof"), secret, now, 400},
		{"short currency", "POST", "/v1/payments", bad("currency", "XO"), secret, now, 400},
		{"phone without +", "POST", "/v1/payments", bad("phone", "2250707000001"), secret, now, 400},
		{"short phone", "POST", "/v1/payments", bad("phone", "+225"), secret, now, 400},
		{"unknown channel", "POST", "/v1/payments", bad("channel", "paypal"), secret, now, 400},
		{"no callback_url", "POST", "/v1/payments", bad("callback_url", nil), secret, now, 400},
		{"relative callback_url", "POST", "/v1/payments", bad("callback_url", "/cb"), secret, now, 400},
		{"ftp callback_url", "POST", "/v1/payments", bad("callback_url", "ftp://x/cb"), secret, now, 400},
		{"unsigned get", "GET", "/v1/payments/op_1", "", "", now, 401},
		{"unknown payment", "GET", "/v1/payments/op_1", "", secret, now, 404},
		{"unsigned attempt query", "GET", "/v1/payments?attempt=" + unknown, "", "", now, 401},
		{"unknown attempt", "GET", "/v1/payments?attempt=" + unknown, "", secret, now, 404},
		{"no attempt", "GET", "/v1/payments", "", secret, now, 400},
		{"empty attempt", "GET", "/v1/payments?attempt=", "", secret, now, 400},
		{"query by reference", "GET", "/v1/payments?reference=cs_1", "", secret, now, 400}, // protocol v1's query
		{"put", "PUT", "/v1/payments", good, secret, now, 405},
		{"delete", "DELETE", "/v1/payments/op_1", "", secret, now, 405},
		{"other path", "GET", "/v2/payments", "", secret, now, 404},
	}
	for _, c := range cases {
		resp := send(t, c.method, srv.URL+c.path, c.body, c.key, c.signedAt)
		msg := decodeError(t, resp)
		if resp.StatusCode != c.want || msg == "" {
			t.Errorf("%s: %d %q, want %d with an error message", c.name, resp.StatusCode, msg, c.want)
		}
		if strings.Contains(msg, secret) {
			t.Errorf("%s: answer %q contains the secret", c.name, msg)
		}
	}

	// The signature covers the query: one over the path alone is refused.
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v1/payments?attempt="+unknown, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Caisse-Signature", connector.SignRequest(secret, "GET", "/v1/payments", nil, now))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if msg := decodeError(t, resp); resp.StatusCode != 401 {
		t.Errorf("query signed without its query: %d %q, want 401", resp.StatusCode, msg)
	}
}

func TestFakeOperatorIdempotentByAttempt(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	state := func(resp *http.Response) (id, status string) {
		t.Helper()
		var s struct{ ID, Reference, Status string }
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatal(err)
		}
		if s.Reference != "cs_fake" {
			t.Errorf("reference = %q, want cs_fake", s.Reference)
		}
		return s.ID, s.Status
	}
	body := paymentJSON(t, nil)
	first := send(t, "POST", srv.URL+"/v1/payments", body, secret, time.Now())
	id, status := state(first)
	if first.StatusCode != 201 || !strings.HasPrefix(id, "op_") || status != "pending" {
		t.Fatalf("first request: %d %q %q, want 201 op_… pending", first.StatusCode, id, status)
	}
	again := send(t, "POST", srv.URL+"/v1/payments", body, secret, time.Now())
	if id2, status2 := state(again); again.StatusCode != 200 || id2 != id || status2 != "pending" {
		t.Errorf("same request again: %d %q %q, want 200 %q pending", again.StatusCode, id2, status2, id)
	}
	for _, change := range []map[string]any{
		{"amount": 2600},
		{"reference": "cs_other"},
		{"phone": "+2250707000002"},
		{"currency": "XAF"},
		{"channel": "mtn_momo"},
		{"callback_url": "http://127.0.0.1:2/cb"},
	} {
		other := send(t, "POST", srv.URL+"/v1/payments", paymentJSON(t, change), secret, time.Now())
		if msg := decodeError(t, other); other.StatusCode != 409 {
			t.Errorf("same attempt, other %v: %d %q, want 409", change, other.StatusCode, msg)
		}
	}

	// Another attempt at the same session is another payment, idempotent in turn.
	const second = "a1e2d3c4-b5a6-4978-8d9e-0f1a2b3c4d5e"
	secondBody := paymentJSON(t, map[string]any{"attempt": second})
	next := send(t, "POST", srv.URL+"/v1/payments", secondBody, secret, time.Now())
	id2, status2 := state(next)
	if next.StatusCode != 201 || !strings.HasPrefix(id2, "op_") || id2 == id || status2 != "pending" {
		t.Fatalf("second attempt: %d %q %q, want 201, a new op_… (not %q), pending", next.StatusCode, id2, status2, id)
	}
	nextAgain := send(t, "POST", srv.URL+"/v1/payments", secondBody, secret, time.Now())
	if id3, status3 := state(nextAgain); nextAgain.StatusCode != 200 || id3 != id2 || status3 != "pending" {
		t.Errorf("second attempt again: %d %q %q, want 200 %q pending", nextAgain.StatusCode, id3, status3, id2)
	}
	// Neither the 409s nor the second attempt changed the first one.
	firstAgain := send(t, "POST", srv.URL+"/v1/payments", body, secret, time.Now())
	if id3, status3 := state(firstAgain); firstAgain.StatusCode != 200 || id3 != id || status3 != "pending" {
		t.Errorf("first attempt again: %d %q %q, want 200 %q pending", firstAgain.StatusCode, id3, status3, id)
	}

	for path, want := range map[string]string{
		"/v1/payments/" + id:                  id,
		"/v1/payments?attempt=" + fakeAttempt: id,
		"/v1/payments/" + id2:                 id2,
		"/v1/payments?attempt=" + second:      id2,
	} {
		get := send(t, "GET", srv.URL+path, "", secret, time.Now())
		if id3, status3 := state(get); get.StatusCode != 200 || id3 != want || status3 != "pending" {
			t.Errorf("GET %s: %d %q %q, want 200 %q pending", path, get.StatusCode, id3, status3, want)
		}
	}
}
