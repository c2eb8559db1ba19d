package orange

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// notification is one notification the simulator posted to notif_url.
type notification struct {
	url  string
	body []byte
}

// env is a simulator behind an httptest server, and a server that records
// the notifications it posts.
type env struct {
	sim    *Simulator
	api    *httptest.Server
	notifs chan notification
	notif  *httptest.Server
	clock  *clock // the simulator's
}

func newEnv(t *testing.T, sim *Simulator) *env {
	t.Helper()
	e := &env{sim: sim, notifs: make(chan notification, 16), clock: newClock()}
	sim.Now = e.clock.Now
	e.api = httptest.NewServer(sim)
	e.notif = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.notifs <- notification{url: r.URL.String(), body: body}
	}))
	t.Cleanup(func() {
		sim.Close()
		e.api.Close()
		e.notif.Close()
	})
	return e
}

// creds are client credentials unique to the test, so that no token cached
// by another test is used.
func creds(t *testing.T, name string) map[string]string {
	return map[string]string{"client_id": t.Name() + "-" + name, "client_secret": "secret-" + t.Name() + "-" + name, "merchant_key": "mk-" + name}
}

func (e *env) connector(t *testing.T, c map[string]string, country string) *Connector {
	t.Helper()
	conn, err := Kind.New(connector.Config{
		ID: "conn_test", Kind: "orange_money", BaseURL: e.api.URL + "/orange-money-webpay/" + country + "/v1",
		Credentials: c, CallbackURL: e.notif.URL + "/v1/connectors/conn_test/callback", Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*Connector)
}

func payment(amount int64) connector.Payment {
	return connector.Payment{
		SessionID: "cs_" + rand.Text(), Attempt: strings.ToLower(rand.Text()), Livemode: true, Amount: amount, Currency: "XOF",
		Channel: "orange_money", Lang: "fr", ReturnURL: "https://caisse.example/pay/return",
		CallbackURL: "", // the connector's own
	}
}

// accepts is caisse's check of a notification: the SHA-256 of its Check
// against that of the payment's Started.Check.
func accepts(st connector.Started, res connector.Result) bool {
	return sha256.Sum256([]byte(st.Check)) == sha256.Sum256([]byte(res.Check))
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// pay plays the customer on the payment page: it loads it, then posts the
// form; it returns the answer's status code and Location (or body).
func pay(t *testing.T, paymentURL, phone, action string) (int, string) {
	t.Helper()
	resp, err := noRedirect.Get(paymentURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, id := range []string{`id="orange-phone"`, `id="orange-pay"`, `id="orange-cancel"`, `name="viewport"`} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), id) {
			t.Fatalf("payment page: %d, want 200 with %s:\n%s", resp.StatusCode, id, page)
		}
	}
	resp, err = noRedirect.PostForm(paymentURL, url.Values{"phone": {phone}, "otp": {"1234"}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	return resp.StatusCode, string(body)
}

// next waits for the next notification and interprets it.
func (e *env) next(t *testing.T, conn *Connector) (connector.Result, notification) {
	t.Helper()
	select {
	case n := <-e.notifs:
		res, err := conn.Callback(httptest.NewRequest(http.MethodPost, n.url, nil), n.body)
		if err != nil {
			t.Fatalf("callback %s %s: %v", n.url, n.body, err)
		}
		return res, n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	panic("unreachable")
}

func status(t *testing.T, conn *Connector, p connector.Payment, ref string) connector.Result {
	t.Helper()
	res, err := conn.Status(context.Background(), p, ref)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if res.SessionID != p.SessionID || res.Ref != ref {
		t.Fatalf("status about %q/%q, want %q/%q", res.SessionID, res.Ref, p.SessionID, ref)
	}
	return res
}

func start(t *testing.T, conn *Connector, p connector.Payment) connector.Started {
	t.Helper()
	st, err := conn.Initiate(context.Background(), p)
	if err != nil {
		t.Fatalf("initiate: %v", err)
	}
	if st.Ref == "" || st.Check == "" || !strings.HasSuffix(st.RedirectURL, "/payment/pay_token/"+st.Ref) {
		t.Fatalf("initiate: %+v", st)
	}
	return st
}

func TestOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name, phone, action string
		want                []connector.Result // the notifications' results, in order
	}{
		{name: "approve", phone: "+225 07 07 00 00 01", action: "pay", want: []connector.Result{{Status: connector.StatusSucceeded}}},
		{name: "any number approves", phone: "0707123456", action: "pay", want: []connector.Result{{Status: connector.StatusSucceeded}}},
		{name: "decline", phone: "0707000002", action: "pay", want: []connector.Result{{Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}}},
		{name: "reject", phone: "0707000003", action: "pay", want: []connector.Result{{Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}}},
		{name: "cancel button", phone: "", action: "cancel", want: []connector.Result{{Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}}},
		{name: "late success", phone: "0707000005", action: "pay", want: []connector.Result{
			{Status: connector.StatusFailed, FailureReason: connector.ReasonGenericDecline}, {Status: connector.StatusSucceeded}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, &Simulator{})
			conn := e.connector(t, creds(t, "a"), "dev")
			p := payment(5000)
			st := start(t, conn, p)
			if res := status(t, conn, p, st.Ref); res.Status != connector.StatusPending {
				t.Fatalf("before the page: %+v, want pending", res)
			}
			code, loc := pay(t, st.RedirectURL, tc.phone, tc.action)
			if code != http.StatusSeeOther || loc != p.ReturnURL {
				t.Fatalf("page answered %d %q, want 303 to %s", code, loc, p.ReturnURL)
			}
			for _, want := range tc.want {
				res, n := e.next(t, conn)
				q, _ := url.Parse(n.url)
				if q.Path != "/v1/connectors/conn_test/callback" || q.Query().Get("attempt") != p.Attempt {
					t.Errorf("notif_url %s, want the callback URL with the attempt", n.url)
				}
				want.SessionID, want.Check = p.SessionID, st.Check
				if res != want || !accepts(st, res) {
					t.Fatalf("notification %s: %+v, want %+v", n.body, res, want)
				}
			}
			last := tc.want[len(tc.want)-1]
			if res := status(t, conn, p, st.Ref); res.Status != last.Status || res.FailureReason != last.FailureReason {
				t.Fatalf("status %+v, want %+v", res, last)
			}
		})
	}
}

func TestNeverAnswersThenExpires(t *testing.T) {
	e := newEnv(t, &Simulator{Expiry: 10 * time.Minute})
	conn := e.connector(t, creds(t, "a"), "dev")
	p := payment(5000)
	st := start(t, conn, p)
	if code, _ := pay(t, st.RedirectURL, "0707000004", "pay"); code != http.StatusSeeOther {
		t.Fatalf("page answered %d", code)
	}
	if res := status(t, conn, p, st.Ref); res.Status != connector.StatusPending {
		t.Fatalf("status %+v, want pending", res)
	}
	e.clock.Add(10 * time.Minute)
	res := status(t, conn, p, st.Ref)
	if res.Status != connector.StatusFailed || res.FailureReason != connector.ReasonTimeout {
		t.Fatalf("status after expiry %+v, want failed timeout", res)
	}
	resp, err := noRedirect.PostForm(st.RedirectURL, url.Values{"phone": {"0707000001"}, "otp": {"1234"}})
	if err != nil || resp.StatusCode != http.StatusGone {
		t.Fatalf("an expired page answered %v %v, want 410", resp, err)
	}
	resp.Body.Close()
}

func TestSilentSuccess(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	p := payment(5000)
	st := start(t, conn, p)
	pay(t, st.RedirectURL, "0707000008", "pay")
	deadline := time.Now().Add(5 * time.Second)
	for status(t, conn, p, st.Ref).Status != connector.StatusSucceeded {
		if time.Now().After(deadline) {
			t.Fatal("the silent success never showed in the status")
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.sim.Close() // waits for the outcome to be played out
	if len(e.notifs) != 0 {
		t.Fatal("a silent success was notified")
	}
}

func TestStartStallsButMoneyTaken(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	conn.timeout = 200 * time.Millisecond
	p := payment(1906)
	_, err := conn.Initiate(context.Background(), p)
	if err == nil || errors.Is(err, connector.ErrRefused) {
		t.Fatalf("stalled initiate: %v, want an ambiguous error", err)
	}
	if _, err := conn.Status(context.Background(), p, ""); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("status without pay_token: %v, want ErrNoPayment", err)
	}
	st := start(t, conn, p) // caisse starts the attempt again: the same payment
	if res, _ := e.next(t, conn); res.Status != connector.StatusSucceeded || !accepts(st, res) {
		t.Fatalf("notification %+v", res)
	}
	if res := status(t, conn, p, st.Ref); res.Status != connector.StatusSucceeded {
		t.Fatalf("status %+v, want succeeded", res)
	}
	if n := count(e.sim.Requests(), "/webpayment"); n != 2 {
		t.Fatalf("%d webpayment requests, want 2", n)
	}
}

func TestStartDownIsAmbiguous(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	_, err := conn.Initiate(context.Background(), payment(2907))
	if err == nil || errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("initiate: %v, want an ambiguous error quoting 503", err)
	}
}

func TestRetrySameAttemptMakesOnePayment(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	p := payment(5000)
	first, second := start(t, conn, p), start(t, conn, p)
	if first != second {
		t.Fatalf("retry started %+v, then %+v", first, second)
	}
	p.Amount++
	if _, err := conn.Initiate(context.Background(), p); !errors.Is(err, connector.ErrRefused) {
		t.Fatalf("another payment under a used attempt: %v, want ErrRefused", err)
	}
}

func TestRefused(t *testing.T) {
	a := creds(t, "a")
	e := newEnv(t, &Simulator{Clients: []Client{{ID: a["client_id"], Secret: a["client_secret"], MerchantKey: "the-real-key"}}})
	conn := e.connector(t, a, "dev")
	_, err := conn.Initiate(context.Background(), payment(5000))
	if !errors.Is(err, connector.ErrRefused) || !strings.Contains(err.Error(), "400") {
		t.Fatalf("wrong merchant_key: %v, want ErrRefused quoting 400", err)
	}
	if strings.Contains(err.Error(), a["merchant_key"]) || strings.Contains(err.Error(), a["client_secret"]) {
		t.Fatalf("error shows a secret: %v", err)
	}

	p := payment(5000)
	p.Currency = "EUR"
	before := len(e.sim.Requests())
	if _, err := conn.Initiate(context.Background(), p); !errors.Is(err, connector.ErrRefused) {
		t.Fatalf("EUR: %v, want ErrRefused", err)
	}
	if len(e.sim.Requests()) != before {
		t.Fatal("a payment Orange cannot take was sent")
	}

	bad := creds(t, "wrong")
	if _, err := e.connector(t, bad, "dev").Initiate(context.Background(), payment(5000)); err == nil || errors.Is(err, connector.ErrRefused) {
		t.Fatalf("unknown client: %v, want an error that refuses nothing (no payment request was made)", err)
	}
}

func TestStatusWithoutRefAsksNothing(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	if _, err := conn.Status(context.Background(), payment(5000), ""); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("status: %v, want ErrNoPayment", err)
	}
	if r := e.sim.Requests(); len(r) != 0 {
		t.Fatalf("requests %v, want none", r)
	}
}

func TestStatusNotFound(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	p := payment(5000)
	st := start(t, conn, p)
	if _, err := conn.Status(context.Background(), p, st.Ref+"x"); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("unknown pay_token: %v, want ErrNoPayment", err)
	}
	// A wrong base URL is the gateway's 404 code 60: it says nothing of the payment.
	if _, err := e.connector(t, creds(t, "a"), "xx").Status(context.Background(), p, st.Ref); err == nil || errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("unknown route: %v, want an error other than ErrNoPayment", err)
	}
}

func TestCountryCurrency(t *testing.T) {
	e := newEnv(t, &Simulator{})
	p := payment(5000)
	start(t, e.connector(t, creds(t, "a"), "ci"), p) // XOF, as the payment says
	p.Attempt += "2"
	start(t, e.connector(t, creds(t, "a"), "dev"), p) // OUV in the sandbox
}

func TestForgedAndReplayedNotifications(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	pa, pb := payment(5000), payment(6000)
	sa, sb := start(t, conn, pa), start(t, conn, pb)
	pay(t, sa.RedirectURL, "0707000001", "pay")
	resA, n := e.next(t, conn)
	if !accepts(sa, resA) {
		t.Fatal("the genuine notification is refused")
	}

	callback := func(query string, body string) (connector.Result, error) {
		return conn.Callback(httptest.NewRequest(http.MethodPost, "/v1/connectors/conn_test/callback?"+query, nil), []byte(body))
	}
	for _, tc := range []struct {
		name, query, body string
		want              error
	}{
		{"no notif_token", "session=" + pb.SessionID, `{"status":"SUCCESS","txnid":"MP1"}`, connector.ErrSignature},
		{"empty notif_token", "session=" + pb.SessionID, `{"status":"SUCCESS","notif_token":"","txnid":"MP1"}`, connector.ErrSignature},
		{"not JSON", "session=" + pb.SessionID, `status=SUCCESS`, connector.ErrSignature},
		{"no session", "", `{"status":"SUCCESS","notif_token":"x"}`, connector.ErrMalformed},
		{"unknown status", "session=" + pb.SessionID, `{"status":"PAID","notif_token":"x"}`, connector.ErrMalformed},
		{"pending", "session=" + pb.SessionID, `{"status":"PENDING","notif_token":"x"}`, connector.ErrMalformed},
	} {
		if _, err := callback(tc.query, tc.body); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// A made-up token, or A's genuine notification replayed to B's notif_url:
	// well-formed, but caisse refuses them, their Check not being B's.
	for name, body := range map[string]string{
		"forged token": `{"status":"SUCCESS","notif_token":"guessed","txnid":"MP1"}`,
		"replay":       string(n.body),
	} {
		res, err := callback(url.Values{"session": {pb.SessionID}, "attempt": {pb.Attempt}}.Encode(), body)
		if err != nil || res.SessionID != pb.SessionID {
			t.Fatalf("%s: %+v, %v", name, res, err)
		}
		if accepts(sb, res) {
			t.Errorf("%s: caisse would accept it for session B", name)
		}
	}
}

func TestTokenCachedAndRefreshed(t *testing.T) {
	e := newEnv(t, &Simulator{TokenTTL: time.Hour})
	conn := e.connector(t, creds(t, "a"), "dev")
	connClock := newClock()
	conn.now = connClock.Now
	p := payment(5000)
	st := start(t, conn, p)
	status(t, conn, p, st.Ref)
	start(t, conn, payment(5000))
	if n := count(e.sim.Requests(), "/oauth/v3/token"); n != 1 {
		t.Fatalf("%d token requests for 3 calls, want 1", n)
	}

	// The simulator expires the token before the connector expects: a 401
	// code 42, a new token, the call again.
	e.clock.Add(time.Hour)
	status(t, conn, p, st.Ref)
	got := paths(e.sim.Requests()[4:])
	want := []string{"/orange-money-webpay/dev/v1/transactionstatus", "/oauth/v3/token", "/orange-money-webpay/dev/v1/transactionstatus"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("after the token expired: %v, want %v", got, want)
	}

	// The connector renews a token it knows is about to expire, unasked.
	e.clock.Add(59 * time.Minute)
	connClock.Add(59 * time.Minute)
	status(t, conn, p, st.Ref)
	got = paths(e.sim.Requests()[7:])
	want = []string{"/oauth/v3/token", "/orange-money-webpay/dev/v1/transactionstatus"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("near expiry: %v, want %v", got, want)
	}
}

func TestTwoMerchantsUseTheirOwnCredentials(t *testing.T) {
	a, b := creds(t, "a"), creds(t, "b")
	e := newEnv(t, &Simulator{Clients: []Client{
		{ID: a["client_id"], Secret: a["client_secret"], MerchantKey: a["merchant_key"]},
		{ID: b["client_id"], Secret: b["client_secret"], MerchantKey: b["merchant_key"]},
	}})
	ca, cb := e.connector(t, a, "dev"), e.connector(t, b, "dev")
	pa, pb := payment(5000), payment(7000)
	sa := start(t, ca, pa)
	start(t, cb, pb)
	status(t, ca, pa, sa.Ref)
	if _, err := cb.Status(context.Background(), pa, sa.Ref); !errors.Is(err, connector.ErrNoPayment) {
		t.Fatalf("B asking about A's payment: %v, want ErrNoPayment", err)
	}
	byClient := map[string][]string{}
	for _, r := range e.sim.Requests() {
		byClient[r.ClientID] = append(byClient[r.ClientID], r.Path)
	}
	if len(byClient) != 2 {
		t.Fatalf("requests by client: %v", byClient)
	}
	if got := strings.Join(byClient[a["client_id"]], " "); got != "/oauth/v3/token /orange-money-webpay/dev/v1/webpayment /orange-money-webpay/dev/v1/transactionstatus" {
		t.Fatalf("A's requests: %s", got)
	}
	if got := strings.Join(byClient[b["client_id"]], " "); got != "/oauth/v3/token /orange-money-webpay/dev/v1/webpayment /orange-money-webpay/dev/v1/transactionstatus" {
		t.Fatalf("B's requests: %s", got)
	}
}

func TestPaymentPage(t *testing.T) {
	e := newEnv(t, &Simulator{})
	conn := e.connector(t, creds(t, "a"), "dev")
	p := payment(5000)
	st := start(t, conn, p)
	for _, form := range []url.Values{
		{"phone": {"12"}, "otp": {"1234"}},
		{"phone": {"0707000001"}, "otp": {"12"}},
	} {
		resp, err := noRedirect.PostForm(st.RedirectURL, form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `id="orange-error"`) {
			t.Fatalf("%v: %d %s, want 422 with an error", form, resp.StatusCode, body)
		}
	}
	if res := status(t, conn, p, st.Ref); res.Status != connector.StatusPending {
		t.Fatalf("after bad input: %+v", res)
	}
	pay(t, st.RedirectURL, "0707000001", "pay")
	for page, want := range map[string]int{st.RedirectURL: http.StatusGone, e.api.URL + "/payment/pay_token/nope": http.StatusNotFound} {
		resp, err := noRedirect.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d", page, resp.StatusCode, want)
		}
	}
}

func TestErrorsMaskSecrets(t *testing.T) {
	c := creds(t, "a")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/v3/token" {
			w.Write([]byte(`{"token_type":"Bearer","access_token":"tok","expires_in":"7776000"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message":"bad merchant_key ` + c["merchant_key"] + ` for ` + c["client_secret"] + `"}`))
	}))
	defer srv.Close()
	conn, err := Kind.New(connector.Config{ID: "conn_x", BaseURL: srv.URL + "/orange-money-webpay/dev/v1", Credentials: c, CallbackURL: "https://caisse.example/cb"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Initiate(context.Background(), payment(5000))
	if !errors.Is(err, connector.ErrRefused) || strings.Contains(err.Error(), c["merchant_key"]) || strings.Contains(err.Error(), c["client_secret"]) {
		t.Fatalf("error %v: want ErrRefused with the secrets masked", err)
	}
}

func TestNew(t *testing.T) {
	c := creds(t, "a")
	for name, cfg := range map[string]connector.Config{
		"missing merchant_key": {BaseURL: "https://api.orange.com/orange-money-webpay/dev/v1", Credentials: map[string]string{"client_id": "i", "client_secret": "s"}},
		"unknown credential":   {BaseURL: "https://api.orange.com/orange-money-webpay/dev/v1", Credentials: map[string]string{"client_id": "i", "client_secret": "s", "merchant_key": "k", "pin": "1"}},
		"relative base URL":    {BaseURL: "/orange-money-webpay/dev/v1", Credentials: c},
		"base URL with query":  {BaseURL: "https://api.orange.com/orange-money-webpay/dev/v1?x=1", Credentials: c},
	} {
		if _, err := Kind.New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	conn, err := Kind.New(connector.Config{ID: "conn_1", BaseURL: "https://api.orange.com/orange-money-webpay/dev/v1/", Credentials: c})
	if err != nil || conn.Name() != "conn_1" || conn.Flow() != connector.FlowRedirect {
		t.Fatalf("New: %v, %v", conn, err)
	}
	if o := conn.(*Connector); o.tokenURL != "https://api.orange.com/oauth/v3/token" || !o.dev || o.api != "https://api.orange.com/orange-money-webpay/dev/v1" {
		t.Fatalf("New: %+v", o)
	}
}

func count(rs []Request, suffix string) int {
	n := 0
	for _, r := range rs {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func paths(rs []Request) []string {
	var ps []string
	for _, r := range rs {
		ps = append(ps, r.Path)
	}
	return ps
}
