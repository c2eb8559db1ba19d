package connector_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/webhook"
	"github.com/google/uuid"
)

const (
	secret    = "opsec_4f9a1c7e2b" // shared by caisse and the fake operator in these tests
	testDelay = 50 * time.Millisecond
	quiet     = 300 * time.Millisecond // how long "nothing more happens" is watched
)

// receiver is caisse's side of callbacks: an HTTP server whose handler runs
// HTTP.Callback and records what it returns.
type receiver struct {
	mu       sync.Mutex
	requests int
	fail     int // answer 500 to this many requests first
	results  []connector.Result
	errs     []error
}

func (rc *receiver) handler(conn *connector.HTTP) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, err := conn.Callback(r, body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.requests++
		switch {
		case rc.fail > 0:
			rc.fail--
			w.WriteHeader(http.StatusInternalServerError)
		case err != nil:
			rc.errs = append(rc.errs, err)
			w.WriteHeader(http.StatusBadRequest)
		default:
			rc.results = append(rc.results, res)
		}
	})
}

// snapshot returns the results so far, the request count and the errors.
func (rc *receiver) snapshot() ([]connector.Result, int, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.results), rc.requests, slices.Clone(rc.errs)
}

// wait returns the results once there are n, failing the test after 5 s.
func (rc *receiver) wait(t *testing.T, n int) []connector.Result {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, _, errs := rc.snapshot()
		if len(errs) > 0 {
			t.Fatalf("callbacks refused: %v", errs)
		}
		if len(res) >= n {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d callbacks in 5 s, want %d: %+v", len(res), n, res)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rig is a fake operator, caisse's HTTP connector to it and a callback receiver.
type rig struct {
	fake *connector.FakeOperator
	conn *connector.HTTP
	rcv  *receiver
}

// newRig serves a FakeOperator (changed by tweak, if given) and a callback
// receiver; both stop, and the fake's callbacks end, when the test does.
func newRig(t *testing.T, tweak func(*connector.FakeOperator, *receiver)) *rig {
	t.Helper()
	fake := &connector.FakeOperator{Secret: secret, Delay: testDelay}
	rc := &receiver{}
	if tweak != nil {
		tweak(fake, rc)
	}
	op := httptest.NewServer(fake)
	t.Cleanup(op.Close)
	conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret}
	cb := httptest.NewServer(rc.handler(conn))
	t.Cleanup(cb.Close)
	conn.CallbackURL = cb.URL + "/v1/connectors/fakeop/callback"
	t.Cleanup(fake.Close) // runs first: no callback outlives the servers
	return &rig{fake: fake, conn: conn, rcv: rc}
}

// payment is a payment of session from phone, under an attempt of its own
// (a new UUID, as caisse makes at each confirm).
func payment(session, phone string) connector.Payment {
	return connector.Payment{SessionID: session, Attempt: uuid.NewString(), Livemode: true, Amount: 2500, Currency: "XOF",
		Phone: phone, Channel: "orange_money"}
}

func TestHTTPKind(t *testing.T) {
	t.Parallel()
	k := connector.HTTPKind
	if k.Name != "http" || k.Flow != connector.FlowPush {
		t.Errorf("HTTPKind is %s %s, want http push", k.Name, k.Flow)
	}
	if err := k.Check(map[string]string{"secret": secret}); err != nil {
		t.Errorf("Check with a secret: %v", err)
	}
	for _, c := range []map[string]string{nil, {"secret": ""}, {"secret": secret, "api_key": "k"}} {
		if err := k.Check(c); err == nil {
			t.Errorf("Check(%v): no error", c)
		}
	}
	client := &http.Client{}
	now := func() time.Time { return time.Unix(1_767_225_600, 0) }
	c, err := k.New(connector.Config{ID: "conn_1", Kind: "http", Livemode: true, BaseURL: "https://op.example",
		Credentials: map[string]string{"secret": secret}, CallbackURL: "https://caisse.example/v1/connectors/conn_1/callback",
		Timeout: time.Second, Client: client, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := c.(*connector.HTTP)
	if !ok {
		t.Fatalf("New = %T, want *connector.HTTP", c)
	}
	if h.Name() != "conn_1" || h.Flow() != connector.FlowPush || h.BaseURL != "https://op.example" || h.Secret != secret ||
		h.CallbackURL != "https://caisse.example/v1/connectors/conn_1/callback" || h.Timeout != time.Second ||
		h.Client != client || h.Now == nil || !h.Now().Equal(now()) {
		t.Errorf("New = %+v: not the configured connector", h)
	}
}

func TestHTTPScenarios(t *testing.T) {
	t.Parallel()
	cases := []struct {
		phone    string
		statuses []string // the callbacks, in order
		reason   string   // of a failed callback
		final    string   // what Status says afterwards
	}{
		{"+2250707000001", []string{connector.StatusProcessing, connector.StatusSucceeded}, "", connector.StatusSucceeded},
		{"+2250707000002", []string{connector.StatusFailed}, "insufficient_funds", connector.StatusFailed},
		{"+2250707000003", []string{connector.StatusFailed}, "customer_rejected", connector.StatusFailed},
		{"+2250707000004", nil, "", connector.StatusPending},
		{"+2250707000005", []string{connector.StatusProcessing}, "", connector.StatusProcessing},
		{"+2250707009999", []string{connector.StatusProcessing, connector.StatusSucceeded}, "", connector.StatusSucceeded},
	}
	for _, c := range cases {
		t.Run(connector.TestScenario(c.phone).Name+"_"+c.phone[len(c.phone)-4:], func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			session := "cs_" + c.phone[1:]
			p := payment(session, c.phone)
			started, err := r.conn.Initiate(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			ref := started.Ref
			if !regexp.MustCompile(`^op_[0-9a-f]{24}$`).MatchString(ref) || started != (connector.Started{Ref: ref}) {
				t.Errorf("Initiate = %+v, want op_ + 24 hex, no redirect, no check", started)
			}
			var want []connector.Result
			for _, s := range c.statuses {
				res := connector.Result{SessionID: session, Ref: ref, Status: s}
				if s == connector.StatusFailed {
					res.FailureReason = c.reason
				}
				want = append(want, res)
			}
			if len(want) == 0 {
				time.Sleep(testDelay) // nothing to wait for but the operator's delay
			}
			r.rcv.wait(t, len(want))
			time.Sleep(quiet) // and nothing more comes
			got, requests, _ := r.rcv.snapshot()
			if !slices.Equal(got, want) || requests != len(want) {
				t.Errorf("callbacks (%d requests) = %+v, want %+v", requests, got, want)
			}

			wantSt := connector.Result{SessionID: session, Ref: ref, Status: c.final, FailureReason: c.reason}
			for _, byRef := range []string{ref, ""} {
				st, err := r.conn.Status(t.Context(), p, byRef)
				if err != nil || st != wantSt {
					t.Errorf("Status(%q, %q, %q) = %+v, %v; want %+v", session, p.Attempt, byRef, st, err, wantSt)
				}
			}
		})
	}
}

func TestHTTPStatusAgainstFake(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(f *connector.FakeOperator, _ *receiver) { f.Delay = time.Hour })
	const session = "cs_pending 1/é&reference=cs_x" // echoed in JSON
	p := payment(session, "+2250707000001")
	p.Attempt = "at 1/é&attempt=x+y" // escaped in the query
	started, err := r.conn.Initiate(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	ref := started.Ref
	want := connector.Result{SessionID: session, Ref: ref, Status: connector.StatusPending}
	for _, byRef := range []string{ref, ""} {
		if st, err := r.conn.Status(t.Context(), p, byRef); err != nil || st != want {
			t.Errorf("Status(%q, %q, %q) = %+v, %v; want %+v", session, p.Attempt, byRef, st, err, want)
		}
	}

	for _, c := range []struct {
		p   connector.Payment
		ref string
	}{
		{p, "op_unknown"},
		{payment(session, "+2250707000001"), ""}, // another attempt at the same session, never started
		{payment("cs_unknown", "+2250707000001"), ""},
	} {
		st, err := r.conn.Status(t.Context(), c.p, c.ref)
		if !errors.Is(err, connector.ErrNoPayment) || !strings.Contains(err.Error(), "404") || st != (connector.Result{}) {
			t.Errorf("Status(%q, %q, %q) = %+v, %v; want ErrNoPayment quoting 404", c.p.SessionID, c.p.Attempt, c.ref, st, err)
		}
	}
	// The payment exists, but not for that session: no answer to trust, and not "no payment".
	other := p
	other.SessionID = "cs_other"
	for _, byRef := range []string{ref, ""} {
		if st, err := r.conn.Status(t.Context(), other, byRef); err == nil || errors.Is(err, connector.ErrNoPayment) ||
			!strings.Contains(err.Error(), `answered about "`+session+`"`) || st != (connector.Result{}) {
			t.Errorf("Status(%q) of another session's payment = %+v, %v; want a mismatch error", byRef, st, err)
		}
	}
	noSession, noAttempt := p, p
	noSession.SessionID, noAttempt.Attempt = "", ""
	for _, c := range []struct {
		p   connector.Payment
		ref string
	}{{noSession, ""}, {noSession, ref}, {noAttempt, ""}} {
		if _, err := r.conn.Status(t.Context(), c.p, c.ref); err == nil || errors.Is(err, connector.ErrNoPayment) {
			t.Errorf("Status(%q, %q, %q): %v, want an error (no session, or neither ref nor attempt)", c.p.SessionID, c.p.Attempt, c.ref, err)
		}
	}
	// A session confirmed before attempts existed has none: asked by its ref, it is found.
	if st, err := r.conn.Status(t.Context(), noAttempt, ref); err != nil || st.Ref != ref {
		t.Errorf("Status by ref without an attempt = %+v, %v; want the payment", st, err)
	}
}

func TestFakeOperatorRetriesCallbacks(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(_ *connector.FakeOperator, rc *receiver) { rc.fail = 2 })
	started, err := r.conn.Initiate(t.Context(), payment("cs_retry", "+2250707000002"))
	if err != nil {
		t.Fatal(err)
	}
	r.rcv.wait(t, 1)
	time.Sleep(quiet)
	got, requests, _ := r.rcv.snapshot()
	want := []connector.Result{{SessionID: "cs_retry", Ref: started.Ref, Status: connector.StatusFailed, FailureReason: "insufficient_funds"}}
	if !slices.Equal(got, want) || requests != 3 {
		t.Errorf("after two 500s: %d requests, callbacks %+v; want 3 requests, %+v", requests, got, want)
	}
}

func TestFakeOperatorCloseCancelsCallbacks(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	if _, err := r.conn.Initiate(t.Context(), payment("cs_close", "+2250707000001")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r.fake.Close()
	if d := time.Since(start); d > testDelay {
		t.Errorf("Close took %s", d)
	}
	time.Sleep(testDelay + quiet)
	if _, requests, _ := r.rcv.snapshot(); requests != 0 {
		t.Errorf("%d callbacks after Close, want 0", requests)
	}
	if _, err := r.conn.Initiate(t.Context(), payment("cs_after", "+2250707000001")); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Initiate after Close: %v, want an error quoting 503", err)
	}
}

// lockedBuffer is a bytes.Buffer that goroutines may write together.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestFakeOperatorLogsNoSecrets(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	r := newRig(t, func(f *connector.FakeOperator, rc *receiver) {
		f.Log = slog.New(slog.NewJSONHandler(&logs, nil))
		rc.fail = 1 // a failure and its error are logged too
	})
	if _, err := r.conn.Initiate(t.Context(), payment("cs_logs", "+2250707000001")); err != nil {
		t.Fatal(err)
	}
	r.rcv.wait(t, 2)
	if _, err := r.conn.Initiate(t.Context(), payment("cs_fault", "+2250707000007")); err == nil {
		t.Fatal("Initiate of a start_502 number: no error")
	}
	wrong := *r.conn
	wrong.Secret = "not-" + secret
	if _, err := wrong.Initiate(t.Context(), payment("cs_wrong", "+2250707000001")); err == nil {
		t.Fatal("Initiate with the wrong secret: no error")
	}
	r.fake.Close()
	out := logs.String()
	for _, bad := range []string{secret, "2250707000001", "0707000001", "0707000007"} {
		if strings.Contains(out, bad) {
			t.Errorf("logs contain %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`"phone":"+*********0001"`, `"scenario":"approve"`, "will retry", `"status":"succeeded"`, "refused request", `"fault":"start_502"`} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
}

func TestCallback(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_767_225_600, 0)
	conn := &connector.HTTP{ConnectorName: "fakeop", Secret: secret, Now: func() time.Time { return now }}
	body := []byte(`{"id":"op_1","reference":"cs_1","status":"failed","failure_reason":"insufficient_funds"}`)
	call := func(c *connector.HTTP, header string, b []byte) (connector.Result, error) {
		r := httptest.NewRequest(http.MethodPost, "/v1/connectors/fakeop/callback", bytes.NewReader(b))
		if header != "" {
			r.Header.Set("Operator-Signature", header)
		}
		return c.Callback(r, b)
	}

	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			name   string
			signed time.Time
			body   string
			want   connector.Result
		}{
			{"failed", now, string(body), connector.Result{SessionID: "cs_1", Ref: "op_1", Status: connector.StatusFailed, FailureReason: "insufficient_funds"}},
			{"5 minutes old", now.Add(-5 * time.Minute), string(body), connector.Result{SessionID: "cs_1", Ref: "op_1", Status: connector.StatusFailed, FailureReason: "insufficient_funds"}},
			{"processing", now, `{"id":"op_2","reference":"cs_2","status":"processing"}`, connector.Result{SessionID: "cs_2", Ref: "op_2", Status: connector.StatusProcessing}},
			{"reason only with failed", now, `{"id":"op_3","reference":"cs_3","status":"succeeded","failure_reason":"x"}`, connector.Result{SessionID: "cs_3", Ref: "op_3", Status: connector.StatusSucceeded}},
			{"unknown field", now, `{"id":"op_4","reference":"cs_4","status":"succeeded","fee":12}`, connector.Result{SessionID: "cs_4", Ref: "op_4", Status: connector.StatusSucceeded}},
		}
		for _, c := range cases {
			got, err := call(conn, webhook.Sign(secret, []byte(c.body), c.signed), []byte(c.body))
			if err != nil || got != c.want {
				t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
			}
		}
	})

	t.Run("bad signature", func(t *testing.T) {
		t.Parallel()
		tampered := bytes.Replace(body, []byte("failed"), []byte("succeeded"), 1)
		strict := *conn
		strict.Tolerance = time.Minute
		noSecret := *conn
		noSecret.Secret = ""
		cases := []struct {
			name   string
			conn   *connector.HTTP
			header string
			body   []byte
		}{
			{"wrong secret", conn, webhook.Sign("opsec_other", body, now), body},
			{"missing header", conn, "", body},
			{"tampered body", conn, webhook.Sign(secret, body, now), tampered},
			{"older than tolerance", conn, webhook.Sign(secret, body, now.Add(-5*time.Minute-time.Second)), body},
			{"too far in the future", conn, webhook.Sign(secret, body, now.Add(5*time.Minute+time.Second)), body},
			{"older than a set tolerance", &strict, webhook.Sign(secret, body, now.Add(-61*time.Second)), body},
			{"garbage header", conn, "t=soon,v1=zz", body},
			{"no v1", conn, "t=1767225600", body},
			{"connector without secret", &noSecret, webhook.Sign("", body, now), body},
		}
		for _, c := range cases {
			got, err := call(c.conn, c.header, c.body)
			if !errors.Is(err, connector.ErrSignature) || errors.Is(err, connector.ErrMalformed) || got != (connector.Result{}) {
				t.Errorf("%s: %+v, %v; want ErrSignature", c.name, got, err)
			}
		}
	})

	t.Run("bad body", func(t *testing.T) {
		t.Parallel()
		for _, b := range []string{
			`not json`,
			``,
			`{"id":"op_1","reference":"cs_1","status":"failed"} trailing`,
			`{"reference":"cs_1","status":"failed"}`,
			`{"id":"op_1","status":"failed"}`,
			`{"id":"op_1","reference":"cs_1"}`,
			`{"id":"op_1","reference":"cs_1","status":"pending"}`,
			`{"id":"op_1","reference":"cs_1","status":"paid"}`,
			`{"id":1,"reference":"cs_1","status":"failed"}`,
		} {
			got, err := call(conn, webhook.Sign(secret, []byte(b), now), []byte(b))
			if !errors.Is(err, connector.ErrMalformed) || errors.Is(err, connector.ErrSignature) || got != (connector.Result{}) {
				t.Errorf("%s: %+v, %v; want ErrMalformed, not ErrSignature", b, got, err)
			}
		}
	})
}

func TestHTTPWire(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_767_225_600, 0)
	type seen struct {
		method, target, contentType, body, signature string
	}
	var mu sync.Mutex
	var got []seen
	op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Header.Get("Content-Type"), string(body), r.Header.Get("Caisse-Signature")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"op/7 x","reference":"cs wire/1","status":"pending"}`)
			return
		}
		io.WriteString(w, `{"id":"op/7 x","reference":"cs wire/1","status":"failed","failure_reason":"customer_rejected"}`)
	}))
	t.Cleanup(op.Close)
	conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL + "/", Secret: secret,
		CallbackURL: "https://caisse.example/v1/connectors/fakeop/callback", Now: func() time.Time { return now }}
	p := payment("cs wire/1", "+2250707000003")
	p.Attempt = "at wire/1+é"        // a UUID in caisse; any text in the protocol, escaped in the query
	p.Amount = 9_007_199_254_740_993 // 2^53 + 1: exact only as an integer
	started, err := conn.Initiate(t.Context(), p)
	if err != nil || started != (connector.Started{Ref: "op/7 x"}) {
		t.Fatalf("Initiate = %+v, %v; want op/7 x", started, err)
	}
	ref := started.Ref
	want := connector.Result{SessionID: "cs wire/1", Ref: "op/7 x", Status: connector.StatusFailed, FailureReason: "customer_rejected"}
	for _, byRef := range []string{ref, ""} {
		if st, err := conn.Status(t.Context(), p, byRef); err != nil || st != want {
			t.Errorf("Status(%q) = %+v, %v; want %+v", byRef, st, err, want)
		}
	}

	// The documented signed content: method, space, escaped path (then ? and
	// the query as sent, if any), newline, body; pinned byte for byte.
	sign := func(content string) string { return webhook.Sign(secret, []byte(content), now) }
	post := `{"reference":"cs wire/1","attempt":"at wire/1+é","amount":9007199254740993,"currency":"XOF","phone":"+2250707000003","channel":"orange_money","callback_url":"https://caisse.example/v1/connectors/fakeop/callback"}`
	wantSeen := []seen{
		{"POST", "/v1/payments", "application/json", post, sign("POST /v1/payments\n" + post)},
		{"GET", "/v1/payments/op%2F7%20x", "", "", sign("GET /v1/payments/op%2F7%20x\n")},
		{"GET", "/v1/payments?attempt=at+wire%2F1%2B%C3%A9", "", "", sign("GET /v1/payments?attempt=at+wire%2F1%2B%C3%A9\n")},
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, wantSeen) {
		t.Errorf("operator saw\n%+v\nwant\n%+v", got, wantSeen)
	}
}

func TestHTTPOperatorErrors(t *testing.T) {
	t.Parallel()
	const phone = "+2250707000001"
	pad := strings.Repeat("x", 195)
	cases := []struct {
		name   string
		code   int
		answer string // %s is the request body, %k the secret
		want   string // in the error
	}{
		{"500 echoing everything", 500, "boom: secret %k got %s", "operator answered 500"},
		{"secret at the cut", 502, pad + "%k", "operator answered 502"},
		{"phone without plus", 400, `{"error":"bad msisdn 2250707000001"}`, "operator answered 400"},
		{"not JSON", 201, "<html>ok</html>", "operator answered 201"},
		{"no id", 201, `{"status":"pending"}`, "operator answered 201"},
		{"unknown status", 201, `{"id":"op_1","status":"queued"}`, "operator answered 201"},
		{"500 with valid JSON", 500, `{"id":"op_1","status":"pending"}`, "operator answered 500"},
		{"long answer", 503, strings.Repeat("y", 5000), "operator answered 503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				w.WriteHeader(c.code)
				io.WriteString(w, strings.NewReplacer("%k", secret, "%s", string(body)).Replace(c.answer))
			}))
			t.Cleanup(op.Close)
			conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret, CallbackURL: "http://127.0.0.1:1/cb"}
			started, err := conn.Initiate(t.Context(), payment("cs_err", phone))
			if err == nil || started != (connector.Started{}) {
				t.Fatalf("Initiate = %+v, %v; want an error and nothing started", started, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || len(msg) > 350 {
				t.Errorf("error %q (%d bytes): want %q in at most 350 bytes", msg, len(msg), c.want)
			}
			for _, bad := range []string{secret, secret[:8], "2250707000001"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error %q contains %q", msg, bad)
				}
			}
		})
	}

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		op := httptest.NewServer(http.NotFoundHandler())
		op.Close()
		conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret}
		_, err := conn.Initiate(t.Context(), payment("cs_err", phone))
		if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "0707000001") {
			t.Errorf("Initiate to a closed server: %v", err)
		}
	})
}

func TestHTTPStatusErrors(t *testing.T) {
	t.Parallel()
	op := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.RequestURI() {
		case "/v1/payments/op_other":
			io.WriteString(w, `{"id":"op_x","reference":"cs_1","status":"succeeded"}`)
		case "/v1/payments/op_paid":
			io.WriteString(w, `{"id":"op_paid","reference":"cs_1","status":"paid"}`)
		case "/v1/payments/op_noref":
			io.WriteString(w, `{"id":"op_noref","status":"succeeded"}`)
		case "/v1/payments/op_1", "/v1/payments?attempt=at_1":
			io.WriteString(w, `{"id":"op_1","reference":"cs_2","status":"succeeded"}`)
		case "/v1/payments?attempt=at_noid":
			io.WriteString(w, `{"reference":"cs_noid","status":"succeeded"}`)
		case "/v1/payments?attempt=at_html404":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<html>Not Found</html>")
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "down; key "+secret)
		}
	}))
	t.Cleanup(op.Close)
	conn := &connector.HTTP{ConnectorName: "fakeop", BaseURL: op.URL, Secret: secret}
	cases := []struct{ session, attempt, ref, want string }{
		{"cs_1", "at_1", "op_other", `answered about "op_x"`},
		{"cs_1", "at_1", "op_paid", `unknown status "paid"`},
		{"cs_1", "at_1", "op_noref", "no reference"},
		{"cs_1", "at_1", "op_1", `asked about session "cs_1", operator answered about "cs_2"`},
		{"cs_1", "at_1", "", `asked about session "cs_1", operator answered about "cs_2"`},
		{"cs_noid", "at_noid", "", "no id"},
		{"cs_html404", "at_html404", "", "operator answered 404"}, // a proxy's page, not the operator's word
		{"cs_1", "at_1", "op_down", `operator answered 503: "down; key [secret]"`},
		{"cs_down", "at_down", "", `operator answered 503: "down; key [secret]"`},
	}
	for _, c := range cases {
		p := payment(c.session, "+2250707000001")
		p.Attempt = c.attempt
		res, err := conn.Status(t.Context(), p, c.ref)
		if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, connector.ErrNoPayment) || res != (connector.Result{}) {
			t.Errorf("Status(%s, %s, %s) = %+v, %v; want an error with %s, not ErrNoPayment", c.session, c.attempt, c.ref, res, err, c.want)
		}
	}
}

// decodeError returns the "error" of an operator's JSON error answer.
func decodeError(t *testing.T, resp *http.Response) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("error answer: %v", err)
	}
	return e.Error
}
