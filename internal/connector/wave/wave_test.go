package wave

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/connector"
)

const (
	keyA    = "wave_sn_prod_merchantA_0000aaaa"
	keyB    = "wave_sn_prod_merchantB_0000bbbb"
	hookA   = "wave_sn_WHS_secretA"
	hookB   = "wave_sn_WHS_secretB"
	signing = "wave_sn_AKS_signing"
)

// clock is a settable time shared by a simulator and its connectors.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// hook is a webhook the test receiver got.
type hook struct {
	header http.Header
	body   []byte
}

// env is a simulator with merchants A and B, whose webhooks land in hooks.
type env struct {
	t     *testing.T
	sim   *Simulator
	srv   *httptest.Server
	clock *clock
	hooks chan hook
}

func newEnv(t *testing.T, configure ...func(*Simulator)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: time.Now()}, hooks: make(chan hook, 16)}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.hooks <- hook{r.Header.Clone(), body}
	}))
	t.Cleanup(receiver.Close)
	e.sim = &Simulator{
		Merchants: []Merchant{
			{APIKey: keyA, WebhookURL: receiver.URL, WebhookSecret: hookA},
			{APIKey: keyB, WebhookURL: receiver.URL, WebhookSecret: hookB},
		},
		Stall: 10 * time.Second, Now: e.clock.Now,
	}
	for _, f := range configure {
		f(e.sim)
	}
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(func() { e.sim.Close(); e.srv.Close() }) // Close first: it ends held answers
	return e
}

// connector returns a connector to the simulator with these credentials.
func (e *env) connector(creds map[string]string) *Connector {
	e.t.Helper()
	c, err := New(connector.Config{ID: "conn_test", Kind: "wave", BaseURL: e.srv.URL, Credentials: creds,
		Timeout: 2 * time.Second, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.(*Connector)
}

func (e *env) merchantA() *Connector {
	return e.connector(map[string]string{"api_key": keyA, "webhook_secret": hookA})
}

var seq struct {
	sync.Mutex
	n int
}

// payment returns a new payment of 1000 XOF from phone.
func payment(phone string) connector.Payment {
	seq.Lock()
	seq.n++
	n := seq.n
	seq.Unlock()
	id := "cs_test" + strings.Repeat("0", 4) + string(rune('a'+n%26)) + connector.RandomHex(4)
	return connector.Payment{SessionID: id, Attempt: "4b0e1c1e-0000-4000-8000-" + connector.RandomHex(6), Amount: 1000, Currency: "XOF",
		Phone: phone, Channel: "wave", ReturnURL: "https://caisse.example/pay/" + id + "/return"}
}

// start initiates p, failing the test on error.
func start(t *testing.T, c *Connector, p connector.Payment) connector.Started {
	t.Helper()
	st, err := c.Initiate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.Ref, "cos-") || !strings.HasSuffix(st.RedirectURL, "/c/"+st.Ref) {
		t.Fatalf("started %+v", st)
	}
	return st
}

// customer posts the payment page's form as a browser would, and returns
// the answer's code and Location.
func customer(t *testing.T, launchURL, phone, action string) (int, string) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(launchURL, url.Values{"phone": {phone}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

// callback waits for the next webhook and has c read it.
func (e *env) callback(c *Connector) connector.Result {
	e.t.Helper()
	select {
	case h := <-e.hooks:
		r := httptest.NewRequest(http.MethodPost, "/v1/connectors/conn_test/callback", nil)
		r.Header = h.header
		res, err := c.Callback(r, h.body)
		if err != nil {
			e.t.Fatalf("callback: %v", err)
		}
		return res
	case <-time.After(5 * time.Second):
		e.t.Fatal("no webhook came")
	}
	return connector.Result{}
}

func status(t *testing.T, c *Connector, p connector.Payment, ref string) connector.Result {
	t.Helper()
	res, err := c.Status(context.Background(), p, ref)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// eventually polls Status until it reports want (the simulator plays
// outcomes in the background), for at most 5 s.
func eventually(t *testing.T, c *Connector, p connector.Payment, ref, want string) connector.Result {
	t.Helper()
	for range 500 {
		if res, err := c.Status(context.Background(), p, ref); err == nil && res.Status == want {
			return res
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never became %s", want)
	return connector.Result{}
}

func want(t *testing.T, got connector.Result, p connector.Payment, ref, status, reason string) {
	t.Helper()
	if got.SessionID != p.SessionID || got.Ref != ref || got.Status != status || got.FailureReason != reason {
		t.Fatalf("got %+v, want session %s ref %s %s %q", got, p.SessionID, ref, status, reason)
	}
}

func TestApprove(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110001")
	st := start(t, c, p)
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusPending, "")

	page, err := http.Get(st.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	for _, id := range []string{`id="wave-phone"`, `id="wave-pay"`, `id="wave-cancel"`, `width=device-width`, "1000 XOF"} {
		if !strings.Contains(string(html), id) {
			t.Errorf("the payment page lacks %s", id)
		}
	}
	if strings.Contains(string(html), "<script") {
		t.Error("the payment page has JavaScript")
	}

	if code, to := customer(t, st.RedirectURL, "+221 76 111 0001", "pay"); code != http.StatusSeeOther || to != p.ReturnURL {
		t.Fatalf("pay answered %d to %q", code, to)
	}
	want(t, e.callback(c), p, st.Ref, connector.StatusSucceeded, "")
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusSucceeded, "")

	// The start request: Wave's fields, the attempt as Idempotency-Key.
	reqs := e.sim.Requests()
	if r := reqs[0]; r.Method != http.MethodPost || r.Path != "/v1/checkout/sessions" || r.IdempotencyKey != p.Attempt || r.APIKey != maskKey(keyA) {
		t.Errorf("start request %+v", r)
	}
	e.sim.mu.Lock()
	got := e.sim.byID[st.Ref].req
	e.sim.mu.Unlock()
	if got != (createRequest{Amount: "1000", Currency: "XOF", ClientReference: p.SessionID, SuccessURL: p.ReturnURL,
		ErrorURL: p.ReturnURL, RestrictPayerMobile: p.Phone}) {
		t.Errorf("create request %+v", got)
	}
}

func TestFailures(t *testing.T) {
	for _, tc := range []struct {
		name, payer, action, reason string
	}{
		{"decline", "+221761110002", "pay", connector.ReasonInsufficientFunds},
		{"reject", "+221761110003", "pay", connector.ReasonCustomerRejected},
		{"cancel button", "+221761110001", "cancel", connector.ReasonCustomerRejected},
		{"blocked", "+221761110011", "pay", connector.ReasonPayerNotFound},
		{"kyb limits", "+221761110012", "pay", connector.ReasonLimitExceeded},
		{"another wallet", "+221779990001", "pay", connector.ReasonPayerNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.merchantA()
			p := payment("+221761110001")
			if tc.name != "another wallet" {
				p.Phone = tc.payer
			}
			st := start(t, c, p)
			if code, to := customer(t, st.RedirectURL, tc.payer, tc.action); code != http.StatusSeeOther || to != p.ReturnURL {
				t.Fatalf("answered %d to %q", code, to)
			}
			want(t, e.callback(c), p, st.Ref, connector.StatusFailed, tc.reason)
			want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusFailed, tc.reason)
		})
	}
}

func TestNeverAnswersThenExpires(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110004")
	st := start(t, c, p)
	if code, _ := customer(t, st.RedirectURL, p.Phone, "pay"); code != http.StatusOK {
		t.Fatalf("pay answered %d", code)
	}
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusPending, "")
	e.clock.Add(SimExpiry)
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusFailed, connector.ReasonTimeout)
	if code, _ := customer(t, st.RedirectURL, "+221761110001", "pay"); code != http.StatusConflict {
		t.Fatalf("paying an expired session answered %d", code)
	}
	if _, err := c.Status(context.Background(), p, ""); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("status by reference of an expired session: %v, want ErrNoPayment", err)
	}
}

func TestStartStallsButMoneyTaken(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	c.timeout = 200 * time.Millisecond
	p := payment("+221761110006")
	_, err := c.Initiate(context.Background(), p)
	if err == nil || errors.Is(err, connector.ErrRefused) {
		t.Fatalf("initiate: %v, want an ambiguous error", err)
	}
	res := eventually(t, c, p, "", connector.StatusSucceeded)
	if res.SessionID != p.SessionID || !strings.HasPrefix(res.Ref, "cos-") {
		t.Fatalf("status %+v", res)
	}
	want(t, e.callback(c), p, res.Ref, connector.StatusSucceeded, "")

	// A retry of the start gets the same session at once: no second payment.
	c.timeout = 2 * time.Second
	if st := start(t, c, p); st.Ref != res.Ref {
		t.Fatalf("retry started %s, first was %s", st.Ref, res.Ref)
	}
	all, err := c.search(context.Background(), p)
	if err != nil || len(all) != 1 {
		t.Fatalf("%d sessions (%v), want 1", len(all), err)
	}
}

func TestLateSuccess(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110010")
	st := start(t, c, p)
	customer(t, st.RedirectURL, p.Phone, "pay")
	want(t, e.callback(c), p, st.Ref, connector.StatusFailed, connector.ReasonInsufficientFunds)
	want(t, e.callback(c), p, st.Ref, connector.StatusSucceeded, "")
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusSucceeded, "")
}

func TestSilentSuccess(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110008")
	st := start(t, c, p)
	if _, to := customer(t, st.RedirectURL, p.Phone, "pay"); to != p.ReturnURL {
		t.Fatalf("sent to %q", to)
	}
	eventually(t, c, p, st.Ref, connector.StatusSucceeded)
	e.sim.Close() // waits for the outcome to be played out
	if len(e.hooks) != 0 {
		t.Fatal("a webhook was sent")
	}
}

func TestCallbackAuthentication(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110001")
	st := start(t, c, p)
	customer(t, st.RedirectURL, p.Phone, "pay")
	h := <-e.hooks
	now := e.clock.Now()
	try := func(header string, body []byte) error {
		r := httptest.NewRequest(http.MethodPost, "/callback", nil)
		if header != "" {
			r.Header.Set(headerSignature, header)
		}
		_, err := c.Callback(r, body)
		return err
	}
	if err := try(h.header.Get(headerSignature), h.body); err != nil {
		t.Fatalf("Wave's own webhook: %v", err)
	}
	tampered := []byte(strings.Replace(string(h.body), `"amount":"1000"`, `"amount":"1"`, 1))
	rotated := sign(hookB, h.body, now) + "," + strings.Split(sign(hookA, h.body, now), ",")[1] // secrets being rotated
	if err := try(rotated, h.body); err != nil {
		t.Fatalf("one good v1 among several: %v", err)
	}
	for name, header := range map[string]string{
		"unsigned":        "",
		"other secret":    sign(hookB, h.body, now),
		"replayed":        sign(hookA, h.body, now.Add(-Tolerance-time.Second)),
		"from the future": sign(hookA, h.body, now.Add(Tolerance+time.Second)),
		"no timestamp":    strings.SplitN(sign(hookA, h.body, now), ",", 2)[1],
		"garbage":         "t=abc,v1=zz",
		"Stripe's dot":    sign(hookA, append([]byte("."), h.body...), now), // t + "." + body is not Wave's scheme
	} {
		if err := try(header, h.body); !errors.Is(err, connector.ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	if err := try(h.header.Get(headerSignature), tampered); !errors.Is(err, connector.ErrSignature) {
		t.Errorf("tampered body: %v, want ErrSignature", err)
	}
	other := []byte(`{"id":"EV_1","type":"merchant.payment_received","data":{"id":"T_1"}}`)
	if err := try(sign(hookA, other, now), other); !errors.Is(err, connector.ErrMalformed) {
		t.Errorf("another event type: %v, want ErrMalformed", err)
	}
}

func TestTwoMerchants(t *testing.T) {
	e := newEnv(t)
	a := e.merchantA()
	b := e.connector(map[string]string{"api_key": keyB, "webhook_secret": hookB})
	pa, pb := payment("+221761110001"), payment("+221761110001")
	sta, stb := start(t, a, pa), start(t, b, pb)
	status(t, a, pa, sta.Ref)
	status(t, b, pb, stb.Ref)
	for _, r := range e.sim.Requests() {
		mine := strings.Contains(r.Path, sta.Ref) || r.IdempotencyKey == pa.Attempt
		theirs := strings.Contains(r.Path, stb.Ref) || r.IdempotencyKey == pb.Attempt
		if (mine && r.APIKey != maskKey(keyA)) || (theirs && r.APIKey != maskKey(keyB)) {
			t.Errorf("request %+v carried the other merchant's key", r)
		}
	}
	if maskKey(keyA) == maskKey(keyB) || strings.Contains(maskKey(keyA), "merchantA") {
		t.Fatalf("masked keys %q, %q", maskKey(keyA), maskKey(keyB))
	}
	// Sessions belong to their wallet.
	if _, err := b.Status(context.Background(), pa, sta.Ref); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("B asking about A's session: %v, want ErrNoPayment", err)
	}
	// Each merchant's webhooks are signed with its own secret.
	customer(t, stb.RedirectURL, pb.Phone, "pay")
	h := <-e.hooks
	r := httptest.NewRequest(http.MethodPost, "/callback", nil)
	r.Header = h.header
	if _, err := a.Callback(r, h.body); !errors.Is(err, connector.ErrSignature) {
		t.Fatalf("A reading B's webhook: %v, want ErrSignature", err)
	}
	if res, err := b.Callback(r, h.body); err != nil || res.Ref != stb.Ref {
		t.Fatalf("B reading its webhook: %+v, %v", res, err)
	}
}

func TestRequestSigning(t *testing.T) {
	e := newEnv(t, func(s *Simulator) { s.Merchants[0].SigningSecret = signing })
	signed := e.connector(map[string]string{"api_key": keyA, "webhook_secret": hookA, "signing_secret": signing})
	p := payment("+221761110001")
	st := start(t, signed, p)
	status(t, signed, p, st.Ref)
	status(t, signed, p, "")
	for _, r := range e.sim.Requests() {
		if !r.Signed {
			t.Errorf("request %+v not signed", r)
		}
	}
	_, err := e.merchantA().Initiate(context.Background(), payment("+221761110001"))
	if !errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("unsigned start: %v, want ErrRefused with 401", err)
	}
}

func TestRefused(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110001")
	for name, cfg := range map[string]func(*Connector, *connector.Payment){
		"unknown key":  func(c *Connector, _ *connector.Payment) { c.apiKey = "wave_sn_prod_nobody_00000000" },
		"bad currency": func(_ *Connector, p *connector.Payment) { p.Currency = "EUR" },
		"bad phone":    func(_ *Connector, p *connector.Payment) { p.Phone = "0761110001" },
		"no return":    func(_ *Connector, p *connector.Payment) { p.ReturnURL = "" },
	} {
		c2, p2 := *c, p
		p2.Attempt += "-" + name
		cfg(&c2, &p2)
		if _, err := c2.Initiate(context.Background(), p2); !errors.Is(err, connector.ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", name, err)
		} else if strings.Contains(err.Error(), c2.apiKey) || strings.Contains(err.Error(), "761110001") {
			t.Errorf("%s: the error shows a secret or the phone: %v", name, err)
		}
	}
	// The same attempt with other fields is Wave's 409: ambiguous, not a refusal.
	start(t, c, p)
	p.Amount = 2000
	if _, err := c.Initiate(context.Background(), p); err == nil || errors.Is(err, connector.ErrRefused) {
		t.Fatalf("reused attempt: %v, want an ambiguous error", err)
	}
}

func TestNoPayment(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110001")
	ctx := context.Background()
	if _, err := c.Status(ctx, p, "cos-nothing"); !errors.Is(err, connector.ErrNoPayment) {
		t.Errorf("unknown ref: %v", err)
	}
	if _, err := c.Status(ctx, p, ""); !errors.Is(err, connector.ErrNoPayment) {
		t.Errorf("no session: %v", err)
	}
	if err := c.Expire(ctx, p, "cos-nothing"); !errors.Is(err, connector.ErrNoPayment) {
		t.Errorf("expire unknown: %v", err)
	}
	// A 404 that is not Wave's (a proxy's page) says nothing about the payment.
	proxy := httptest.NewServer(http.NotFoundHandler())
	defer proxy.Close()
	c.base = proxy.URL
	if _, err := c.Status(ctx, p, "cos-nothing"); err == nil || errors.Is(err, connector.ErrNoPayment) {
		t.Errorf("proxy 404: %v, want an error that is not ErrNoPayment", err)
	}
}

func TestStatusByReference(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	p := payment("+221761110001")
	first := start(t, c, p)
	e.clock.Add(time.Second)
	p2 := p
	p2.Attempt += "-2"
	second := start(t, c, p2)
	other := p2
	other.Attempt, other.Amount = p2.Attempt+"-3", 5000 // another amount: never chosen
	e.clock.Add(time.Second)
	start(t, c, other)

	if res := status(t, c, p2, ""); res.Ref != second.Ref || res.Status != connector.StatusPending {
		t.Fatalf("newest open: %+v, want %s", res, second.Ref)
	}
	customer(t, first.RedirectURL, p.Phone, "pay")
	if res := eventually(t, c, p2, "", connector.StatusSucceeded); res.Ref != first.Ref {
		t.Fatalf("a success wins: %+v, want %s", res, first.Ref)
	}
}

func TestExpire(t *testing.T) {
	e := newEnv(t)
	c := e.merchantA()
	ctx := context.Background()
	p := payment("+221761110001")
	st := start(t, c, p)
	if err := c.Expire(ctx, p, st.Ref); err != nil {
		t.Fatal(err)
	}
	if err := c.Expire(ctx, p, st.Ref); err != nil {
		t.Fatalf("again: %v", err)
	}
	want(t, status(t, c, p, st.Ref), p, st.Ref, connector.StatusFailed, connector.ReasonTimeout)
	if code, _ := customer(t, st.RedirectURL, p.Phone, "pay"); code != http.StatusConflict {
		t.Fatalf("paying an expired session answered %d", code)
	}

	// Without a ref: every open session of the caisse session.
	q := payment("+221761110001")
	a := start(t, c, q)
	q2 := q
	q2.Attempt += "-2"
	b := start(t, c, q2)
	if err := c.Expire(ctx, q, ""); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{a.Ref, b.Ref} {
		want(t, status(t, c, q, ref), q, ref, connector.StatusFailed, connector.ReasonTimeout)
	}
	if err := c.Expire(ctx, q, ""); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("nothing left open: %v, want ErrNoPayment", err)
	}
}

func TestNew(t *testing.T) {
	ok := map[string]string{"api_key": keyA, "webhook_secret": hookA}
	for name, cfg := range map[string]connector.Config{
		"no webhook secret": {BaseURL: "https://api.wave.com", Credentials: map[string]string{"api_key": keyA}},
		"unknown":           {BaseURL: "https://api.wave.com", Credentials: map[string]string{"api_key": keyA, "webhook_secret": hookA, "pin": "1"}},
		"no base URL":       {Credentials: ok},
		"relative base URL": {BaseURL: "api.wave.com", Credentials: ok},
	} {
		if _, err := Kind.New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Kind.New(connector.Config{BaseURL: "https://api.wave.com/", Credentials: ok}); err != nil {
		t.Fatal(err)
	}
}

func TestAnswerErrorMasks(t *testing.T) {
	c := &Connector{id: "conn_x", apiKey: keyA, webhookSecret: hookA}
	err := c.answerError("initiate", 400, []byte(`{"key":"`+keyA+`","mobile":"+221761110001","bare":"221761110001"}`), "+221761110001")
	for _, leak := range []string{keyA, "76111"} {
		if strings.Contains(err.Error(), leak) {
			t.Errorf("%v shows %s", err, leak)
		}
	}
	if !strings.Contains(err.Error(), "0001") {
		t.Errorf("%v lost the last 4 digits", err)
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{{1000, "XOF", "1000"}, {5, "XOF", "5"}, {1550, "GMD", "15.50"}, {99, "GMD", "0.99"}} {
		if got := formatAmount(tc.minor, tc.currency); got != tc.want {
			t.Errorf("%d %s: %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
	var s session
	if err := json.Unmarshal([]byte(`{"id":"cos-1","client_reference":null}`), &s); err != nil || s.reference() != "" {
		t.Fatal(s, err)
	}
}
