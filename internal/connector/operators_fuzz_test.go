package connector_test

// A fuzz target for the callbacks of the operator connectors a merchant
// configures (`caisse connectors set`): mtn_momo, orange_money and wave, at
// POST|PUT /v1/connectors/{id}/callback, against a real server on SQLite with
// no jobs running.
//
// The merchant's three live connectors:
//   - mtn_momo points at an in-process MTN simulator (mtn.Simulator), so that
//     the status query by which caisse checks MTN's unsigned claims gets a
//     real answer. Its sessions pay from a number of the simulator's
//     no_answer scenario (…0004): the simulator holds every payment PENDING
//     for ever and never a successful one, so no MTN session may complete.
//     One of the two MTN sessions was started at the simulator (by
//     Checkout.Drive, as the payment job does); the other was not, so the
//     simulator answers 404 to its status query and caisse answers 503
//     operator_unavailable: the only 5xx accepted, and only from mtn_momo.
//   - orange_money and wave point at a closed port: their callbacks are
//     authenticated (the notif_token, the Wave-Signature) and never make
//     caisse ask the operator. One session of each has learnt its payment
//     (SessionSetStart: a pay_token and the hash of orangeToken for Orange, a
//     checkout session id for Wave); the other has not.
//
// An input is which (the connector, the session and the signature, see
// target), the method (PUT if put, else POST), the query string and the body.
// In the query and the body, {session} stands for the chosen session's id,
// {attempt} for its attempt, {ref} for its operator's payment id, and {other}
// for a session of another connector. The Wave-Signature is Wave's own
// (t=<unix>,v1=hex(HMAC-SHA256(secret, t + body))), with the webhook secret
// for half the values of which, else with another secret or an expired time.
//
// After each input: no panic; no 5xx but MTN's 503 operator_unavailable;
// a 200 is {"received": true, …}, anything else {"error": {code, message}};
// a session changes only with a 200 (or MTN's 409 callback_unconfirmed), at
// most one at a time; and a session completes only if the input was a
// genuine success for it: a Wave webhook signed with the secret whose
// data.client_reference is the session and data.payment_status succeeded, or
// an Orange notification to the session's notif URL (session=… in the
// query) with the right notif_token and status SUCCESS. A session that ended
// is replaced by a new pending one.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector/mtn"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// The fuzzed merchant's operator secrets.
const (
	waveWebhookSecret = "wave_ci_WHS_fuzz_0123456789abcdef"
	orangeToken       = "notif_fuzz_0123456789abcdef" // every Orange payment's notif_token
	closedPort        = "http://127.0.0.1:9"          // nothing listens: Orange and Wave are never asked
)

// The connectors, by their index in which%3.
const (
	kindMTN = iota
	kindOrange
	kindWave
)

// opSession is a live session paid through one of the connectors, as it last was.
type opSession struct {
	id, attempt, ref string
	status           checkout.Status
}

// opConnector is one of the merchant's connectors and its two sessions: slot
// 0 has its payment started at the operator, slot 1 not.
type opConnector struct {
	kind, id string // the kind is also the channel it pays
	phone    string
	sessions [2]opSession
}

// operatorsServer is a server whose one merchant has the three connectors.
type operatorsServer struct {
	*testserver.Fuzz
	p     merchant.Principal
	conns [3]*opConnector
	kinds map[string]int // every session ever made: its connector
}

func newOperatorsServer(t testing.TB, dbURL string) *operatorsServer {
	t.Helper()
	sim := &mtn.Simulator{} // any UUID API user with a key; sessions of …0004 stay PENDING
	simServer := httptest.NewServer(sim)
	t.Cleanup(func() { simServer.Close(); sim.Close() })
	z := &operatorsServer{Fuzz: testserver.StartFuzz(t, dbURL), kinds: map[string]int{}}
	ctx := context.Background()
	var err error
	if z.p, err = z.Server.Merchants.Authenticate(ctx, z.LiveKey); err != nil {
		t.Fatal(err)
	}
	for i, s := range []operator.Setting{
		kindMTN: {Kind: "mtn_momo", BaseURL: simServer.URL, Credentials: map[string]string{"subscription_key": "sub_fuzz_0123456789",
			"api_user": "0b9cd5a2-4f3e-4c59-9a51-2d6f0f8a7e11", "api_key": "key_fuzz_0123456789", "target_environment": "sandbox"}},
		kindOrange: {Kind: "orange_money", BaseURL: closedPort + "/orange-money-webpay/ci/v1",
			Credentials: map[string]string{"client_id": "client_fuzz", "client_secret": "secret_fuzz_0123456789", "merchant_key": "mk_fuzz_0123"}},
		kindWave: {Kind: "wave", BaseURL: closedPort, Credentials: map[string]string{"api_key": "wave_ci_prod_fuzz_0123456789abcdef",
			"webhook_secret": waveWebhookSecret}},
	} {
		s.MerchantID, s.Livemode, s.Channel = z.p.Merchant.ID, true, s.Kind
		c, err := z.Server.Connectors.Set(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		z.conns[i] = &opConnector{kind: s.Kind, id: c.ID, phone: "+2250707000001"}
	}
	z.conns[kindMTN].phone = "+2250707000004" // the MTN simulator's no_answer: PENDING for ever
	for i := range z.conns {
		for slot := range 2 {
			z.renew(t, i, slot)
		}
	}
	return z
}

// renew puts a new pending session in a connector's slot, its payment
// started at the operator in slot 0.
func (z *operatorsServer) renew(t testing.TB, i, slot int) {
	t.Helper()
	ctx := context.Background()
	c := z.conns[i]
	s, err := z.Server.Checkout.Create(ctx, z.p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: c.phone})
	if err != nil {
		t.Fatal(err)
	}
	if s, err = z.Server.Checkout.Confirm(ctx, z.p, s.ID, checkout.ConfirmParams{Channel: c.kind}); err != nil || s.Status != checkout.StatusPending {
		t.Fatalf("confirm with %s: %s, %v", c.kind, s.Status, err)
	}
	if slot == 0 {
		switch i {
		case kindMTN: // what the payment job does first: the request to pay
			if _, err = z.Server.Checkout.Drive(ctx, checkout.PaymentArgs{MerchantID: z.p.Merchant.ID, SessionID: s.ID}, z.Clock.Now()); err != nil {
				t.Fatal(err)
			}
		case kindOrange:
			sum := sha256.Sum256([]byte(orangeToken))
			err = z.Server.Store.SessionSetStart(ctx, s.Scope, s.ID, store.PaymentStart{Attempt: s.Attempt, Ref: "pt_" + s.ID,
				URL: "https://webpayment.orange-money.test/payment/pay_token/pt_" + s.ID, Check: hex.EncodeToString(sum[:])})
		case kindWave:
			err = z.Server.Store.SessionSetStart(ctx, s.Scope, s.ID, store.PaymentStart{Attempt: s.Attempt, Ref: "cos-" + s.ID,
				URL: "https://pay.wave.test/c/cos-" + s.ID})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	c.sessions[slot] = z.read(t, s.ID)
	if i == kindMTN && slot == 0 && c.sessions[slot].ref != c.sessions[slot].attempt {
		t.Fatalf("the MTN simulator did not take the request to pay of %s: ref %q", s.ID, c.sessions[slot].ref)
	}
	z.kinds[s.ID] = i
}

// read reads a session as it is now.
func (z *operatorsServer) read(t testing.TB, id string) opSession {
	t.Helper()
	s, err := z.Server.Store.SessionGet(context.Background(), z.p.Scope(), id)
	if err != nil {
		t.Fatal(err)
	}
	return opSession{id: s.ID, attempt: s.Attempt, ref: s.ConnectorRef, status: s.Status}
}

// input is one fuzzed callback, its placeholders replaced.
type input struct {
	kind, slot int
	signed     bool // with the webhook secret and a current time
	method     string
	query      string
	body       []byte
}

// target decodes which: the connector (which%3), then the session (slot 0
// or 1), then whether Wave's signature is right, else whether it is made
// with another secret or is too old.
func target(which byte) (kind, slot int, signed, stale bool) {
	rest := int(which) / 3
	return int(which) % 3, rest & 1, rest&2 == 0, rest&4 != 0
}

// waveSignature is Wave-Signature for body: t=<unix>,v1=hex(HMAC-SHA256(secret, t+body)).
func waveSignature(secret string, body []byte, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// answer is a callback's answer.
type answer struct {
	Received *bool
	Session  string
	Error    map[string]string
}

// send posts (or puts) the input to its connector's callback URL and checks
// the answer's shape.
func (z *operatorsServer) send(t *testing.T, in input, stale bool) (int, answer) {
	t.Helper()
	c := z.conns[in.kind]
	path := "/v1/connectors/" + c.id + "/callback"
	req := httptest.NewRequest(in.method, path, bytes.NewReader(in.body))
	req.URL.RawQuery, req.RequestURI = in.query, path+"?"+in.query
	req.Header.Set("Content-Type", "application/json")
	secret, at := waveWebhookSecret, z.Clock.Now()
	switch {
	case in.signed:
	case stale:
		at = at.Add(-time.Hour)
	default:
		secret = "wave_ci_WHS_another_0123456789abcdef"
	}
	req.Header.Set("Wave-Signature", waveSignature(secret, in.body, at))
	var rec *httptest.ResponseRecorder
	if in.kind == kindMTN { // its 503 operator_unavailable is an answer, which z.Do would refuse
		rec = httptest.NewRecorder()
		z.Server.Handler().ServeHTTP(rec, req)
	} else {
		rec = z.Do(t, req)
	}
	var a answer
	err := json.Unmarshal(rec.Body.Bytes(), &a)
	shape := len(a.Error) == 2 && a.Error["code"] != "" && a.Error["message"] != "" && a.Received == nil
	ok := err == nil && shape && rec.Code >= 400 && rec.Code < 500
	switch {
	case rec.Code == http.StatusOK:
		ok = err == nil && a.Received != nil && *a.Received && a.Error == nil
	case rec.Code == http.StatusServiceUnavailable:
		ok = err == nil && shape && in.kind == kindMTN && a.Error["code"] == "operator_unavailable"
	}
	if !ok {
		t.Fatalf("%s %s?%s (%s) %q: %d %.300s\nwant 200 {\"received\": true, …}, a 4xx {\"error\": {code, message}}, or mtn_momo's 503 operator_unavailable",
			in.method, path, in.query, c.kind, in.body, rec.Code, rec.Body.Bytes())
	}
	return rec.Code, a
}

// genuineSuccess says whether in is a success the operator really reports
// for session id of connector kind: never for MTN (its simulator holds no
// successful payment); for Orange, a notification to that session's notif
// URL with the notif_token and status SUCCESS; for Wave, a webhook signed
// with the secret about a checkout session of that session that succeeded.
func genuineSuccess(in input, kind int, id string) bool {
	if in.kind != kind {
		return false
	}
	switch kind {
	case kindOrange:
		var n struct {
			Status     string `json:"status"`
			NotifToken string `json:"notif_token"`
		}
		q, _ := url.ParseQuery(in.query)
		return json.Unmarshal(in.body, &n) == nil && q.Get("session") == id && n.NotifToken == orangeToken &&
			strings.ToUpper(strings.TrimSpace(n.Status)) == "SUCCESS"
	case kindWave:
		var e struct {
			Data struct {
				ClientReference *string `json:"client_reference"`
				PaymentStatus   string  `json:"payment_status"`
			} `json:"data"`
		}
		_ = json.Unmarshal(in.body, &e) // the connector refuses a body with a type error; this oracle may accept it
		return in.signed && e.Data.ClientReference != nil && *e.Data.ClientReference == id && e.Data.PaymentStatus == "succeeded"
	}
	return false
}

// FuzzOperatorCallbacks sends fuzzed callbacks to the merchant's mtn_momo,
// orange_money and wave connectors (see the top of this file).
func FuzzOperatorCallbacks(f *testing.F) {
	const (
		mtn0, orange0, wave0 = 0, 1, 2        // slot 0 (payment started), signed
		mtn1, orange1, wave1 = 3, 4, 5        // slot 1 (not started), signed
		waveBadSecret        = kindWave + 3*2 // slot 0, another secret
		waveStale            = kindWave + 3*6 // slot 0, an expired signature time
		orangeQuery          = "session={session}&attempt={attempt}"
		mtnQuery             = "ref={attempt}"
	)
	orange := func(status string) string {
		return `{"status":"` + status + `","notif_token":"` + orangeToken + `","txnid":"MP260101.0000.A00001"}`
	}
	wave := func(typ, checkoutStatus, paymentStatus, extra string) string {
		return `{"id":"AE_1","type":"` + typ + `","data":{"id":"{ref}","amount":"5000","currency":"XOF","client_reference":"{session}",` +
			`"checkout_status":"` + checkoutStatus + `","payment_status":"` + paymentStatus + `"` + extra + `,"when_created":"2026-01-01T00:00:00Z"}}`
	}
	mtnBody := func(status, extra string) string {
		return `{"amount":"5000","currency":"XOF","financialTransactionId":"1234567890","externalId":"{session}",` +
			`"payer":{"partyIdType":"MSISDN","partyId":"2250707000004"},"status":"` + status + `"` + extra + `}`
	}
	for _, s := range []struct {
		which       byte
		put         bool
		query, body string
	}{
		// MTN: claims, checked by a status query that says PENDING (slot 0) or knows no payment (slot 1: 503).
		{mtn0, true, mtnQuery, mtnBody("SUCCESSFUL", "")},
		{mtn0, true, mtnQuery, mtnBody("FAILED", `,"reason":"NOT_ENOUGH_FUNDS"`)},
		{mtn0, false, mtnQuery, mtnBody("FAILED", `,"reason":{"code":"APPROVAL_REJECTED","message":"no"}`)},
		{mtn0, true, mtnQuery, mtnBody("PENDING", "")},
		{mtn0, true, "", mtnBody("SUCCESSFUL", `,"referenceId":"{attempt}"`)},
		{mtn0, true, "ref=0b9cd5a2-4f3e-4c59-9a51-2d6f0f8a7e11", mtnBody("SUCCESSFUL", "")},
		{mtn0, true, mtnQuery, mtnBody("BOGUS", "")},
		{mtn0, true, mtnQuery, `{"externalId":"{other}","status":"SUCCESSFUL"}`},
		{mtn0, true, mtnQuery, `{"externalId":"\u0000","status":"SUCCESSFUL"}`},
		{mtn0, true, mtnQuery, `{"externalId":"cs_live_unknown","status":"SUCCESSFUL"}`},
		{mtn0, true, mtnQuery, `{"status":"SUCCESSFUL"}`},
		{mtn1, true, mtnQuery, mtnBody("SUCCESSFUL", "")},
		{mtn1, false, "", mtnBody("FAILED", `,"reason":"EXPIRED"`)},
		// Orange: the notif_token is the proof; the session is in the query.
		{orange0, false, orangeQuery, orange("SUCCESS")},
		{orange0, false, orangeQuery, orange("FAILED")},
		{orange0, false, orangeQuery, orange("EXPIRED")},
		{orange0, false, orangeQuery, orange(" success ")},
		{orange0, false, orangeQuery, orange("PENDING")},
		{orange0, true, orangeQuery, orange("INITIATED")},
		{orange0, false, orangeQuery, `{"status":"SUCCESS","notif_token":"wrong","txnid":"x"}`},
		{orange0, false, orangeQuery, `{"status":"SUCCESS","txnid":"x"}`},
		{orange0, false, "attempt={attempt}", orange("SUCCESS")},
		{orange0, false, "session={other}", orange("SUCCESS")},
		{orange0, false, "session=%00", orange("SUCCESS")},
		{orange0, false, "session=cs_live_unknown", orange("SUCCESS")},
		{orange0, false, "session={session}&session={other}", orange("SUCCESS")},
		{orange0, false, "session={session};x", orange("SUCCESS")},
		{orange0, false, orangeQuery, `{"status":"SUCCESS","notif_token":"` + orangeToken + `","NOTIF_TOKEN":"x"}`},
		{orange1, false, orangeQuery, orange("SUCCESS")},
		{orange1, false, orangeQuery, orange("FAILED")},
		// Wave: signed webhooks, their checkout session's outcome.
		{wave0, false, "", wave("checkout.session.completed", "complete", "succeeded", "")},
		{wave0, false, "", wave("checkout.session.payment_failed", "open", "processing", `,"last_payment_error":{"code":"insufficient-funds","message":"x"}`)},
		{wave0, false, "", wave("checkout.session.payment_failed", "expired", "processing", "")},
		{wave0, false, "", wave("checkout.session.payment_failed", "open", "cancelled", "")},
		{wave0, false, "", wave("checkout.session.completed", "complete", "processing", "")},
		{wave0, false, "", wave("checkout.session.completed", "open", "processing", "")},
		{wave0, false, "", wave("checkout.session.completed", "complete", "succeeded", `,"amount":5000`)},
		{wave0, false, "", strings.ReplaceAll(wave("checkout.session.completed", "complete", "succeeded", ""), "{ref}", "cos-another")},
		{wave0, false, "", strings.ReplaceAll(wave("checkout.session.completed", "complete", "succeeded", ""), "{session}", "{other}")},
		{wave0, false, "", strings.ReplaceAll(wave("checkout.session.completed", "complete", "succeeded", ""), "{session}", `\u0000`)},
		{wave0, false, "", wave("merchant.payment_received", "complete", "succeeded", "")},
		{wave0, false, "", `{"type":"checkout.session.completed","data":{"id":"{ref}","client_reference":null,"payment_status":"succeeded"}}`},
		{wave1, false, "", strings.ReplaceAll(wave("checkout.session.completed", "complete", "succeeded", ""), "{ref}", "cos-new")},
		{wave1, false, "", wave("checkout.session.payment_failed", "open", "processing", `,"last_payment_error":{"code":"blocked-account","message":"x"}`)},
		{waveBadSecret, false, "", wave("checkout.session.completed", "complete", "succeeded", "")},
		{waveStale, false, "", wave("checkout.session.completed", "complete", "succeeded", "")},
		// Anything, to each.
		{mtn0, false, "", ``}, {orange0, false, orangeQuery, ``}, {wave0, false, "", ``},
		{mtn0, true, "%zz", `[]`}, {orange0, true, "%zz", `null`}, {wave0, true, "%zz", `"x"`},
		{mtn0, false, mtnQuery, `{"externalId":"{session}\ud800","status":"SUCCESSFUL"}`},
		{orange0, false, "session={session}%ff", orange("SUCCESS")},
	} {
		f.Add(s.which, s.put, s.query, []byte(s.body))
	}
	z := newOperatorsServer(f, testdb.FuzzURL(f))
	f.Fuzz(func(t *testing.T, which byte, put bool, query string, body []byte) {
		if _, err := url.ParseRequestURI("/x?" + query); err != nil || strings.ContainsAny(query, " \t\r\n") {
			return // not a request line an HTTP server would read
		}
		kind, slot, signed, stale := target(which)
		cur := z.conns[kind].sessions[slot]
		fill := strings.NewReplacer("{session}", cur.id, "{attempt}", cur.attempt, "{ref}", cur.ref,
			"{other}", z.conns[(kind+1)%3].sessions[slot].id)
		in := input{kind: kind, slot: slot, signed: signed, method: http.MethodPost,
			query: fill.Replace(query), body: []byte(fill.Replace(string(body)))}
		if put {
			in.method = http.MethodPut
		}
		code, a := z.send(t, in, stale)
		if a.Session != "" {
			if k, ok := z.kinds[a.Session]; !ok || k != kind {
				t.Fatalf("%s %q: %d names session %s, not one of connector %s's", in.query, in.body, code, a.Session, z.conns[kind].kind)
			}
		}
		changed := 0
		for i, c := range z.conns {
			for s, before := range c.sessions {
				now := z.read(t, before.id)
				c.sessions[s] = now // its ref may be new
				if now.status == before.status {
					continue
				}
				changed++
				switch {
				case changed > 1:
					t.Fatalf("%s?%s %q (%s): more than one session changed", in.method, in.query, in.body, z.conns[kind].kind)
				case code != http.StatusOK && !(code == http.StatusConflict && a.Error["code"] == "callback_unconfirmed"):
					t.Fatalf("%s?%s %q (%s): answered %d %v, yet session %s (%s) went from %s to %s",
						in.method, in.query, in.body, z.conns[kind].kind, code, a.Error, now.id, c.kind, before.status, now.status)
				case now.status == checkout.StatusCompleted && !genuineSuccess(in, i, now.id):
					t.Fatalf("%s?%s %q (%s, signed %v): session %s (%s) went from %s to completed without a genuine success for it",
						in.method, in.query, in.body, z.conns[kind].kind, in.signed, now.id, c.kind, before.status)
				}
				if now.status != checkout.StatusPending && now.status != checkout.StatusProcessing {
					z.renew(t, i, s) // it ended: the next inputs get a pending one
				}
			}
		}
	})
}

// TestOrangeSessionNotStorable sends, on both engines, Orange notifications
// with the right notif_token whose notif URL names a session by an id no
// database can hold (a NUL character, bytes that are not UTF-8): each is a
// 404, as no session is like that; PostgreSQL once refused the lookup (500).
func TestOrangeSessionNotStorable(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		z := newOperatorsServer(t, dbURL)
		id := z.conns[kindOrange].sessions[0].id
		body := []byte(`{"status":"SUCCESS","notif_token":"` + orangeToken + `","txnid":"MP260101.0000.A00001"}`)
		for _, query := range []string{"session=%00", "session=" + id + "%00", "session=" + id + "%ff", "session=%c3%28"} {
			if code, _ := z.send(t, input{kind: kindOrange, method: http.MethodPost, query: query, body: body}, false); code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", query, code)
			}
		}
		if s := z.read(t, id); s.status != checkout.StatusPending {
			t.Errorf("after them, session %s is %s, want pending", id, s.status)
		}
	})
}
