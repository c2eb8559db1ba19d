package mtn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

const (
	user1 = "6f1c1c4e-2b43-4c55-9f57-0f5d4b1e0a01"
	user2 = "9a3e0b6d-7c21-4f0e-8d1a-2b6c5e4f0a02"
	key1  = "k1-0123456789abcdef0123456789abcd"
	key2  = "k2-fedcba9876543210fedcba98765432"
	sub   = "sub-5f0c2a4b7d9e41a3b6c8d0e2f4a6b8c0"

	stubToken = "tok-3f9a1c7e"
)

// callback is one callback the test's caisse received.
type callback struct {
	method string
	header http.Header
	r      *http.Request
	body   []byte
}

// harness is a simulator behind httptest, and a caisse callback endpoint.
type harness struct {
	sim   *Simulator
	url   string
	cbURL string
	calls chan callback
}

func newHarness(t *testing.T, sim *Simulator) *harness {
	t.Helper()
	if sim.Delay == 0 {
		sim.Delay = 5 * time.Millisecond
	}
	h := &harness{sim: sim, calls: make(chan callback, 16)}
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.calls <- callback{method: r.Method, header: r.Header.Clone(), r: r.Clone(context.Background()), body: body}
	}))
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close(); cb.Close() })
	h.url, h.cbURL = srv.URL, cb.URL+"/v1/connectors/conn_1/callback"
	return h
}

// connect makes a connector to h's simulator with the API user and key.
func (h *harness) connect(t *testing.T, user, key string, timeout time.Duration, now func() time.Time) *Collection {
	t.Helper()
	c, err := Kind.New(connector.Config{
		ID: "conn_" + user[:4], Kind: Kind.Name, Livemode: true, BaseURL: h.url, CallbackURL: h.cbURL,
		Credentials: map[string]string{"subscription_key": sub, "api_user": user, "api_key": key, "target_environment": "sandbox"},
		Timeout:     timeout, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Collection)
}

// callback waits for the next callback.
func (h *harness) callback(t *testing.T) callback {
	t.Helper()
	select {
	case cb := <-h.calls:
		return cb
	case <-time.After(5 * time.Second):
		t.Fatal("no callback")
	}
	return callback{}
}

// closeAndCount closes the simulator (its payments are then over) and
// returns how many more callbacks caisse received.
func (h *harness) closeAndCount() int {
	h.sim.Close()
	return len(h.calls)
}

func payment(phone string) connector.Payment {
	b := []byte(connector.RandomHex(16))
	b[12] = '4'
	return connector.Payment{
		SessionID: "cs_" + connector.RandomHex(8), Attempt: string(b[:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32]),
		Livemode: true, Amount: 500, Currency: "XOF", Phone: phone, Channel: "mtn_momo", Description: "Commande n°12 d'essai", Lang: "fr",
	}
}

// settled asks Status until it reports want (the simulator plays outcomes in
// the background), failing after 5 s.
func settled(t *testing.T, c *Collection, p connector.Payment, ref, want string) connector.Result {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		res, err := c.Status(context.Background(), p, ref)
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		if res.Status == want || time.Now().After(deadline) {
			if res.Status != want || res.SessionID != p.SessionID || res.Ref != p.Attempt {
				t.Fatalf("status = %+v, want %s for session %s ref %s", res, want, p.SessionID, p.Attempt)
			}
			return res
		}
	}
}

func start(t *testing.T, c *Collection, p connector.Payment) {
	t.Helper()
	st, err := c.Initiate(context.Background(), p)
	if err != nil {
		t.Fatalf("initiate: %v", err)
	}
	if st.Ref != p.Attempt || st.RedirectURL != "" {
		t.Fatalf("started = %+v, want Ref %s and no redirect", st, p.Attempt)
	}
}

func TestApprove(t *testing.T) {
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000001")
	start(t, c, p)

	cb := h.callback(t)
	if cb.method != http.MethodPut || cb.header.Get("Authorization") != "" || !strings.HasPrefix(cb.r.URL.Path, "/v1/connectors/conn_1/callback") {
		t.Errorf("callback %s %s with headers %v: want an unsigned PUT to the callback URL", cb.method, cb.r.URL, cb.header)
	}
	res, err := c.Callback(cb.r, cb.body)
	want := connector.Result{Claim: true, SessionID: p.SessionID, Ref: p.Attempt, Status: connector.StatusSucceeded}
	if err != nil || res != want {
		t.Errorf("callback = %+v, %v; want %+v", res, err, want)
	}
	settled(t, c, p, p.Attempt, connector.StatusSucceeded)

	// What MTN received: amount a string, partyId digits without +, the session as externalId.
	h.sim.mu.Lock()
	got := h.sim.payments[p.Attempt].res
	h.sim.mu.Unlock()
	if got.Amount != "500" || got.Currency != "XOF" || got.Payer != (party{"MSISDN", "2250707000001"}) ||
		got.ExternalID != p.SessionID || got.PayerMessage != "Commande n 12 d essai" || got.FinancialTransactionID == "" {
		t.Errorf("MTN holds %+v", got)
	}
	if n := h.closeAndCount(); n != 0 {
		t.Errorf("%d more callbacks, want exactly one", n)
	}
}

func TestFailures(t *testing.T) {
	cases := []struct{ phone, reason string }{
		{"+2250707000002", connector.ReasonInsufficientFunds},
		{"+2250707000003", connector.ReasonCustomerRejected},
		{"+46733123450", connector.ReasonGenericDecline},
		{"+46733123451", connector.ReasonCustomerRejected},
		{"+46733123452", connector.ReasonTimeout},
		{"+46733123455", connector.ReasonPayerNotFound},
		{"+46733123456", connector.ReasonLimitExceeded},
		{"+46733123463", connector.ReasonTimeout},
	}
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	for _, tc := range cases {
		p := payment(tc.phone)
		start(t, c, p)
		if res := settled(t, c, p, "", connector.StatusFailed); res.FailureReason != tc.reason {
			t.Errorf("%s: status failure reason %q, want %q", tc.phone, res.FailureReason, tc.reason)
		}
		cb := h.callback(t)
		res, err := c.Callback(cb.r, cb.body)
		if err != nil || !res.Claim || res.SessionID != p.SessionID || res.Status != connector.StatusFailed || res.FailureReason != tc.reason {
			t.Errorf("%s: callback = %+v, %v", tc.phone, res, err)
		}
	}
}

func TestNeverAnswers(t *testing.T) {
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	for _, phone := range []string{"+2250707000004", "+46733123454"} {
		p := payment(phone)
		start(t, c, p)
		time.Sleep(4 * h.sim.Delay) // past the outcome: it stays pending
		settled(t, c, p, p.Attempt, connector.StatusPending)
	}
	if n := h.closeAndCount(); n != 0 {
		t.Errorf("%d callbacks for payments nobody answered", n)
	}
}

// The start answer is held past caisse's timeout, but MTN took the payment:
// Initiate is ambiguous, Status by the attempt finds it succeeded, and a
// repeated Initiate starts nothing new.
func TestStartStallsButMoneyTaken(t *testing.T) {
	h := newHarness(t, &Simulator{Stall: 5 * time.Second})
	c := h.connect(t, user1, key1, 300*time.Millisecond, nil)
	p := payment("+2250707000006")
	if _, err := c.Initiate(context.Background(), p); err == nil || errors.Is(err, connector.ErrRefused) {
		t.Fatalf("initiate = %v, want an ambiguous error", err)
	}
	settled(t, c, p, "", connector.StatusSucceeded)
	start(t, c, p) // 409: the payment exists
	h.sim.mu.Lock()
	n := len(h.sim.payments)
	h.sim.mu.Unlock()
	if n != 1 {
		t.Errorf("MTN holds %d payments, want 1", n)
	}
}

func TestSilentSuccess(t *testing.T) {
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000008")
	start(t, c, p)
	settled(t, c, p, p.Attempt, connector.StatusSucceeded)
	if n := h.closeAndCount(); n != 0 {
		t.Errorf("%d callbacks, want none", n)
	}
}

// MTN reports the payment failed (its one callback says so), then succeeded:
// only a status query shows the success.
func TestLateSuccess(t *testing.T) {
	h := newHarness(t, &Simulator{Late: 50 * time.Millisecond})
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000010")
	start(t, c, p)
	cb := h.callback(t)
	if res, err := c.Callback(cb.r, cb.body); err != nil || res.Status != connector.StatusFailed || res.FailureReason != connector.ReasonTimeout {
		t.Errorf("callback = %+v, %v; want failed, timeout", res, err)
	}
	settled(t, c, p, p.Attempt, connector.StatusSucceeded)
	if n := h.closeAndCount(); n != 0 {
		t.Errorf("%d more callbacks, want exactly one", n)
	}
}

// MTN's callbacks are unsigned: a forged or replayed one is only a claim,
// which caisse checks with Status.
func TestCallbackIsOnlyAClaim(t *testing.T) {
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000002")
	start(t, c, p)
	real := h.callback(t)
	settled(t, c, p, p.Attempt, connector.StatusFailed)

	forged := []byte(`{"externalId":"` + p.SessionID + `","amount":"500","currency":"XOF","status":"SUCCESSFUL","financialTransactionId":"1"}`)
	req := httptest.NewRequest(http.MethodPost, h.cbURL+"?ref="+p.Attempt, strings.NewReader(string(forged)))
	res, err := c.Callback(req, forged)
	if err != nil || !res.Claim || res.Status != connector.StatusSucceeded || res.SessionID != p.SessionID {
		t.Errorf("forged callback = %+v, %v; want a claim", res, err)
	}
	for range 2 { // replayed
		if res, err := c.Callback(real.r, real.body); err != nil || !res.Claim {
			t.Errorf("replayed callback = %+v, %v; want a claim", res, err)
		}
	}
	settled(t, c, p, p.Attempt, connector.StatusFailed) // what caisse settles from

	for _, body := range []string{`not json`, `{"status":"SUCCESSFUL"}`, `[]`} {
		if _, err := c.Callback(req, []byte(body)); !errors.Is(err, connector.ErrMalformed) {
			t.Errorf("callback %s = %v, want ErrMalformed", body, err)
		}
	}
	if res, err := c.Callback(req, []byte(`{"externalId":"cs_1","status":"WHATEVER"}`)); err != nil || res.Status != "" || !res.Claim {
		t.Errorf("unknown status: %+v, %v; want a claim with no status", res, err)
	}
}

func tokenRequests(s *Simulator) (n int) {
	for _, r := range s.Requests() {
		if r.Path == pathToken {
			n++
		}
	}
	return n
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestTokenCachedAndRenewed(t *testing.T) {
	clk := &clock{t: time.Now()}
	h := newHarness(t, &Simulator{Now: clk.now})
	c := h.connect(t, user1, key1, 0, clk.now)
	p := payment("+2250707000001")
	start(t, c, p)
	settled(t, c, p, "", connector.StatusSucceeded)
	if n := tokenRequests(h.sim); n != 1 {
		t.Fatalf("%d token requests, want 1 (cached)", n)
	}

	clk.add(DefaultTokenTTL - tokenMargin) // renewed before it expires
	settled(t, c, p, "", connector.StatusSucceeded)
	if n := tokenRequests(h.sim); n != 2 {
		t.Fatalf("%d token requests, want 2 (renewed before expiry)", n)
	}

	h.sim.mu.Lock()
	clear(h.sim.tokens) // MTN forgets the token: 401, a new token, the same request again
	h.sim.mu.Unlock()
	settled(t, c, p, "", connector.StatusSucceeded)
	if n := tokenRequests(h.sim); n != 3 {
		t.Fatalf("%d token requests, want 3 (renewed on 401)", n)
	}
	forgotten := 0
	for _, r := range h.sim.Requests() {
		if r.APIUser == "" {
			forgotten++ // the request with the token MTN forgot
		} else if r.APIUser != user1 {
			t.Errorf("request %+v: want api user %s", r, user1)
		}
		if strings.Contains(r.SubscriptionKey, sub[:8]) || !strings.HasSuffix(r.SubscriptionKey, sub[len(sub)-4:]) {
			t.Errorf("request %+v: want the subscription key masked", r)
		}
	}
	if forgotten != 1 {
		t.Errorf("%d requests with an unknown token, want 1", forgotten)
	}
}

// Two merchants' connectors each use their own credentials, and cannot see
// each other's payments.
func TestTwoMerchants(t *testing.T) {
	h := newHarness(t, &Simulator{APIUsers: map[string]string{user1: key1, user2: key2}, SubscriptionKeys: []string{sub}})
	c1, c2 := h.connect(t, user1, key1, 0, nil), h.connect(t, user2, key2, 0, nil)
	p1, p2 := payment("+2250707000001"), payment("+2250707000001")
	start(t, c1, p1)
	start(t, c2, p2)
	for _, r := range h.sim.Requests() {
		want := map[string]string{p1.Attempt: user1, p2.Attempt: user2}[r.ReferenceID]
		if r.ReferenceID != "" && r.APIUser != want {
			t.Errorf("request %+v carried %s's credentials, want %s's", r, r.APIUser, want)
		}
	}
	settled(t, c2, p2, "", connector.StatusSucceeded)
	if _, err := c2.Status(context.Background(), p1, p1.Attempt); !errors.Is(err, connector.ErrNoPayment) {
		t.Errorf("merchant 2 asking about merchant 1's payment: %v, want ErrNoPayment", err)
	}
}

func TestRefused(t *testing.T) {
	h := newHarness(t, &Simulator{APIUsers: map[string]string{user1: key1}})
	bad := h.connect(t, user1, "wrong-key", 0, nil)
	if _, err := bad.Initiate(context.Background(), payment("+2250707000001")); !errors.Is(err, connector.ErrRefused) || strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("bad api key: %v, want ErrRefused without the key", err)
	}
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000001")
	p.Attempt = "not-a-uuid"
	if _, err := c.Initiate(context.Background(), p); !errors.Is(err, connector.ErrRefused) {
		t.Errorf("bad attempt: %v, want ErrRefused", err)
	}
}

func TestNoPayment(t *testing.T) {
	h := newHarness(t, &Simulator{})
	c := h.connect(t, user1, key1, 0, nil)
	p := payment("+2250707000001") // never started
	for _, ref := range []string{"", p.Attempt} {
		if _, err := c.Status(context.Background(), p, ref); !errors.Is(err, connector.ErrNoPayment) {
			t.Errorf("status of an unknown payment (ref %q): %v, want ErrNoPayment", ref, err)
		}
	}
}

// stub is an MTN that grants tokens and answers every other request with
// code and body.
func stub(t *testing.T, code int, body string) *Collection {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == pathToken {
			connector.WriteJSON(w, http.StatusOK, map[string]any{"access_token": stubToken, "token_type": "access_token", "expires_in": 3600})
			return
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(connector.Config{ID: "conn_stub", BaseURL: srv.URL,
		Credentials: map[string]string{"subscription_key": sub, "api_user": user1, "api_key": key1, "target_environment": "mtncameroon"}})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Collection)
}

func TestInitiateAnswers(t *testing.T) {
	p := payment("+2250707001234")
	echo := `{"code":"PAYER_NOT_FOUND","message":"` + strings.TrimPrefix(p.Phone, "+") + ` ` + key1 + ` ` + sub + ` ` + stubToken + `"}`
	cases := []struct {
		code    int
		refused bool
		started bool
	}{
		{http.StatusAccepted, false, true},
		{http.StatusConflict, false, true},
		{http.StatusBadRequest, true, false},
		{http.StatusForbidden, true, false},
		{http.StatusTooManyRequests, false, false},
		{http.StatusInternalServerError, false, false},
		{http.StatusServiceUnavailable, false, false},
	}
	for _, tc := range cases {
		st, err := stub(t, tc.code, echo).Initiate(context.Background(), p)
		if tc.started {
			if err != nil || st.Ref != p.Attempt {
				t.Errorf("%d: %+v, %v; want started", tc.code, st, err)
			}
			continue
		}
		if err == nil || errors.Is(err, connector.ErrRefused) != tc.refused {
			t.Errorf("%d: %v; want an error, refused %v", tc.code, err, tc.refused)
			continue
		}
		for _, secret := range []string{"2250707001234", key1, sub, stubToken} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%d: error %q shows %q", tc.code, err, secret)
			}
		}
	}
}

func TestStatusAnswers(t *testing.T) {
	p := payment("+2250707000001")
	ok := func(extra string) string {
		return `{"amount":"500","currency":"XOF","externalId":"` + p.SessionID + `","payer":{"partyIdType":"MSISDN","partyId":"2250707000001"}` + extra + `}`
	}
	cases := []struct {
		name, body string
		code       int
		want       connector.Result
		noPayment  bool
	}{
		{"reason object", ok(`,"status":"FAILED","reason":{"code":"PAYER_LIMIT_REACHED","message":"limit"}`), 200,
			connector.Result{SessionID: p.SessionID, Ref: p.Attempt, Status: connector.StatusFailed, FailureReason: connector.ReasonLimitExceeded}, false},
		{"reason string", ok(`,"status":"FAILED","reason":"TRANSACTION_CANCELED"`), 200,
			connector.Result{SessionID: p.SessionID, Ref: p.Attempt, Status: connector.StatusFailed, FailureReason: connector.ReasonCustomerRejected}, false},
		{"unknown reason", ok(`,"status":"FAILED"`), 200,
			connector.Result{SessionID: p.SessionID, Ref: p.Attempt, Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}, false},
		{"unknown status", ok(`,"status":"CREATED"`), 200, connector.Result{}, false},
		{"other session", strings.Replace(ok(`,"status":"SUCCESSFUL"`), p.SessionID, "cs_other", 1), 200, connector.Result{}, false},
		{"other amount", strings.Replace(ok(`,"status":"SUCCESSFUL"`), `"500"`, `"50"`, 1), 200, connector.Result{}, false},
		{"not found", `{"code":"RESOURCE_NOT_FOUND","message":"Requested resource was not found."}`, 404, connector.Result{}, true},
		{"a proxy's 404", `<html>not found</html>`, 404, connector.Result{}, false},
		{"server error", `{"code":"INTERNAL_PROCESSING_ERROR"}`, 500, connector.Result{}, false},
	}
	for _, tc := range cases {
		res, err := stub(t, tc.code, tc.body).Status(context.Background(), p, "")
		switch {
		case tc.want.Status != "" && (err != nil || res != tc.want):
			t.Errorf("%s: %+v, %v; want %+v", tc.name, res, err, tc.want)
		case tc.want.Status == "" && (err == nil || errors.Is(err, connector.ErrNoPayment) != tc.noPayment):
			t.Errorf("%s: %+v, %v; want an error, ErrNoPayment %v", tc.name, res, err, tc.noPayment)
		}
	}
}

// The sandbox provisioning API makes an API user and key that then work.
func TestProvisioning(t *testing.T) {
	h := newHarness(t, &Simulator{APIUsers: map[string]string{user1: key1}})
	do := func(method, path, ref, body string) *http.Response {
		req, _ := http.NewRequest(method, h.url+path, strings.NewReader(body))
		req.Header.Set("Ocp-Apim-Subscription-Key", sub)
		if ref != "" {
			req.Header.Set("X-Reference-Id", ref)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := do(http.MethodPost, "/v1_0/apiuser", user2, `{"providerCallbackHost":"caisse.example"}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("create api user: %d", r.StatusCode)
	}
	if r := do(http.MethodPost, "/v1_0/apiuser", user2, `{"providerCallbackHost":"caisse.example"}`); r.StatusCode != http.StatusConflict {
		t.Errorf("create it again: %d, want 409", r.StatusCode)
	}
	r := do(http.MethodPost, "/v1_0/apiuser/"+user2+"/apikey", "", "")
	var k struct {
		APIKey string `json:"apiKey"`
	}
	if err := json.NewDecoder(r.Body).Decode(&k); r.StatusCode != http.StatusCreated || err != nil || k.APIKey == "" {
		t.Fatalf("create api key: %d, %v", r.StatusCode, err)
	}
	c := h.connect(t, user2, k.APIKey, 0, nil)
	p := payment("+2250707000001")
	start(t, c, p)
	settled(t, c, p, "", connector.StatusSucceeded)
}

func TestNew(t *testing.T) {
	good := map[string]string{"subscription_key": sub, "api_user": user1, "api_key": key1, "target_environment": "sandbox"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for name, cfg := range map[string]connector.Config{
		"no api key":    {BaseURL: "https://sandbox.momodeveloper.mtn.com", Credentials: with("api_key", "")},
		"unknown cred":  {BaseURL: "https://sandbox.momodeveloper.mtn.com", Credentials: with("secret", "x")},
		"user not uuid": {BaseURL: "https://sandbox.momodeveloper.mtn.com", Credentials: with("api_user", "bob")},
		"bad base URL":  {BaseURL: "sandbox.momodeveloper.mtn.com", Credentials: good},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if c, err := Kind.New(connector.Config{ID: "conn_x", BaseURL: "https://sandbox.momodeveloper.mtn.com", Credentials: good}); err != nil || c.Flow() != connector.FlowPush || c.Name() != "conn_x" {
		t.Errorf("New = %v, %v", c, err)
	}
}

func TestAmounts(t *testing.T) {
	for _, tc := range []struct {
		minor  int64
		digits int
		s      string
	}{{500, 0, "500"}, {1250, 2, "12.50"}, {5, 2, "0.05"}} {
		if got := formatAmount(tc.minor, tc.digits); got != tc.s {
			t.Errorf("formatAmount(%d, %d) = %q, want %q", tc.minor, tc.digits, got, tc.s)
		}
		if n, ok := parseAmount(tc.s, tc.digits); !ok || n != tc.minor {
			t.Errorf("parseAmount(%q) = %d, %v", tc.s, n, ok)
		}
	}
	if n, ok := parseAmount("12.5", 2); !ok || n != 1250 {
		t.Errorf("parseAmount(12.5) = %d, %v", n, ok)
	}
	for _, bad := range []string{"", "0", "-5", "1.234", "1e3", ".5", "5."} {
		if _, ok := parseAmount(bad, 2); ok && bad != "5." {
			t.Errorf("parseAmount(%q) accepted", bad)
		}
	}
}
