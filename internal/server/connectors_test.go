package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/connector/mtn"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/operator"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// waveMerchant is a merchant paid by a Wave connector of its own.
type waveMerchant struct {
	p       merchant.Principal
	conn    store.Connector
	apiKey  string
	webhook string // the webhook secret
}

// newWaveMerchant makes a merchant with a live Wave connector whose secrets
// carry tag.
func newWaveMerchant(t *testing.T, env *testserver.Env, tag string) waveMerchant {
	t.Helper()
	ctx := context.Background()
	_, live := env.Merchant()
	p, err := env.Server.Merchants.Authenticate(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	m := waveMerchant{p: p, apiKey: "wave_ci_prod_" + tag + "_0123456789abcdef", webhook: "wave_ci_WHS_" + tag + "_0123456789abcdef"}
	m.conn, err = env.Server.Connectors.Set(ctx, operator.Setting{MerchantID: p.Merchant.ID, Livemode: true, Channel: "wave",
		Kind: "wave", BaseURL: "https://api.wave.com", Credentials: map[string]string{"api_key": m.apiKey, "webhook_secret": m.webhook}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// waveWebhook posts a checkout.session.completed webhook about session id
// (Wave's checkout session cos-1), signed with secret as Wave signs
// (t=…,v1=HMAC-SHA256(t + body)), to the callback URL of connector conn, and
// returns the answer's status code.
func waveWebhook(t *testing.T, env *testserver.Env, conn, secret, session string, at time.Time) int {
	t.Helper()
	return waveWebhookFor(t, env, conn, secret, session, "cos-1", at)
}

// waveWebhookFor is waveWebhook about Wave's checkout session cos.
func waveWebhookFor(t *testing.T, env *testserver.Env, conn, secret, session, cos string, at time.Time) int {
	t.Helper()
	body := fmt.Sprintf(`{"id":"AE_1","type":"checkout.session.completed","data":{"id":%q,"amount":"5000","currency":"XOF",`+
		`"client_reference":%q,"checkout_status":"complete","payment_status":"succeeded","when_created":"2026-01-01T00:00:00Z"}}`, cos, session)
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + body))
	req, err := http.NewRequest("POST", env.URL+"/v1/connectors/"+conn+"/callback", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Wave-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestConnectorsKeepTenantsApart: a merchant's connector cannot settle
// another merchant's session, even with a notification its own secret signs
// correctly; the session's own connector can. Credentials are sealed at
// rest and masked when listed.
func TestConnectorsKeepTenantsApart(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL) // no jobs: nothing but the webhooks moves the session
		ctx := context.Background()
		a, b := newWaveMerchant(t, env, "AAAA"), newWaveMerchant(t, env, "BBBB")
		s, err := env.Server.Checkout.Create(ctx, a.p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250707000001"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Server.Checkout.Confirm(ctx, a.p, s.ID, checkout.ConfirmParams{Channel: "wave"}); err != nil {
			t.Fatal(err)
		}
		now := env.Clock.Now()
		for _, c := range []struct {
			name, conn, secret string
			at                 time.Time
			want               int
		}{
			{"another merchant's connector, its own secret", b.conn.ID, b.webhook, now, http.StatusNotFound},
			{"the session's connector, another merchant's secret", a.conn.ID, b.webhook, now, http.StatusUnauthorized},
			{"the session's connector, a stale signature", a.conn.ID, a.webhook, now.Add(-time.Hour), http.StatusUnauthorized},
			{"an unknown connector", "conn_unknown", a.webhook, now, http.StatusNotFound},
		} {
			if got := waveWebhook(t, env, c.conn, c.secret, s.ID, c.at); got != c.want {
				t.Errorf("%s: %d, want %d", c.name, got, c.want)
			}
			if cur, err := env.Server.Store.SessionGet(ctx, a.p.Scope(), s.ID); err != nil || cur.Status != checkout.StatusPending {
				t.Fatalf("after %s: session %q (%v), want pending", c.name, cur.Status, err)
			}
		}
		if got := waveWebhook(t, env, a.conn.ID, a.webhook, s.ID, now); got != http.StatusOK {
			t.Fatalf("the session's own connector and secret: %d, want 200", got)
		}
		if cur, _ := env.Server.Store.SessionGet(ctx, a.p.Scope(), s.ID); cur.Status != checkout.StatusCompleted {
			t.Errorf("after the genuine webhook: %q, want completed", cur.Status)
		}

		var stored string
		if err := rawDB(t, env.Server.Store).QueryRowContext(ctx, "SELECT credentials FROM connectors WHERE id = $1", a.conn.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, a.apiKey) || strings.Contains(stored, a.webhook) || strings.Contains(stored, "AAAA") {
			t.Errorf("credentials stored in clear: %s", stored)
		}
		list, err := env.Server.Connectors.List(ctx, a.p.Merchant.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v, %v", list, err)
		}
		for name, v := range list[0].Credentials {
			if strings.Contains(v, "AAAA") || !strings.HasPrefix(v, "••••") {
				t.Errorf("listed credential %s = %q: want it masked", name, v)
			}
		}
	})
}

// TestSuccessOfAnEarlierAttempt: a session retried after a failure does not
// take a success reported for its earlier attempt's payment: the answer is 409
// attempt_replaced, the session is unchanged, and an error is logged for a
// person to reconcile (the customer may have paid twice).
func TestSuccessOfAnEarlierAttempt(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		env := testserver.Start(t, dbURL)
		ctx := context.Background()
		m := newWaveMerchant(t, env, "CCCC")
		s, err := env.Server.Checkout.Create(ctx, m.p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250707000001"})
		if err != nil {
			t.Fatal(err)
		}
		first, err := env.Server.Checkout.Confirm(ctx, m.p, s.ID, checkout.ConfirmParams{Channel: "wave"})
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(env.Server.Store.SessionSetStart(ctx, m.p.Scope(), s.ID, store.PaymentStart{Attempt: first.Attempt, Ref: "cos-old"}))
		_, err = env.Server.Store.SessionChangeStatus(ctx, m.p.Scope(), store.StatusChange{ID: s.ID, From: "pending", To: "failed",
			At: env.Clock.Now(), FailureReason: "insufficient_funds"})
		must(err)
		second, err := env.Server.Checkout.Confirm(ctx, m.p, s.ID, checkout.ConfirmParams{Channel: "wave", UserPhone: "+2250707000003"})
		must(err)
		must(env.Server.Store.SessionSetStart(ctx, m.p.Scope(), s.ID, store.PaymentStart{Attempt: second.Attempt, Ref: "cos-new"}))

		if got := waveWebhookFor(t, env, m.conn.ID, m.webhook, s.ID, "cos-old", env.Clock.Now()); got != http.StatusConflict {
			t.Errorf("the earlier attempt's success: %d, want 409", got)
		}
		if cur, _ := env.Server.Store.SessionGet(ctx, m.p.Scope(), s.ID); cur.Status != checkout.StatusPending || cur.ConnectorRef != "cos-new" {
			t.Errorf("after it: %q with ref %q, want pending with cos-new", cur.Status, cur.ConnectorRef)
		}
		if !strings.Contains(env.Logs.String(), "earlier payment attempt") {
			t.Error("no error logged for the earlier attempt's success")
		}
		if got := waveWebhookFor(t, env, m.conn.ID, m.webhook, s.ID, "cos-new", env.Clock.Now()); got != http.StatusOK {
			t.Errorf("the current attempt's success: %d, want 200", got)
		}
	})
}

// TestReconcileJob: the periodic reconcile_payments job finds a payment the
// operator took but nobody told caisse of (no payment job follows it, no
// callback came), and completes its session with the completed event.
func TestReconcileJob(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		sim := &mtn.Simulator{Delay: 10 * time.Millisecond}
		op := httptest.NewServer(sim)
		t.Cleanup(func() { sim.Close(); op.Close() })
		env := testserver.Start(t, dbURL, testserver.WithJobs(time.Second))
		env.Clock.Follow(0)
		ctx := context.Background()
		_, live := env.Merchant()
		p, err := env.Server.Merchants.Authenticate(ctx, live)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := env.Server.Connectors.Set(ctx, operator.Setting{MerchantID: p.Merchant.ID, Livemode: true, Channel: "mtn_momo",
			Kind: "mtn_momo", BaseURL: op.URL, Credentials: map[string]string{"subscription_key": "sub-key-reconcile",
				"api_user": "5f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a4b", "api_key": "api-key-reconcile", "target_environment": "sandbox"}})
		if err != nil {
			t.Fatal(err)
		}
		// A pending session whose payment the operator holds, written to the
		// store directly: no operator_payment job follows it.
		s, err := env.Server.Checkout.Create(ctx, p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000008"})
		if err != nil {
			t.Fatal(err)
		}
		const attempt = "0b6f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b"
		if _, err := env.Server.Store.SessionChangeStatus(ctx, p.Scope(), store.StatusChange{ID: s.ID, From: "created", To: "pending",
			At: env.Clock.Now(), Channel: "mtn_momo", Attempt: attempt}); err != nil {
			t.Fatal(err)
		}
		c, err := env.Server.Connectors.ByID(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		// ...0008: MTN takes the money and sends no callback.
		if _, err := c.Initiate(ctx, connector.Payment{SessionID: s.ID, Attempt: attempt, Livemode: true, Amount: 5000, Currency: "XOF",
			Phone: "+2250700000008", Channel: "mtn_momo", CallbackURL: env.Server.Connectors.CallbackURL(conn.ID)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // the simulator settles it after its delay
		if cur, _ := env.Server.Store.SessionGet(ctx, p.Scope(), s.ID); cur.Status != checkout.StatusPending {
			t.Fatalf("before reconciling: %q, want pending", cur.Status)
		}
		if _, err := env.Server.Jobs.Insert(ctx, checkout.ReconcileArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			cur, err := env.Server.Store.SessionGet(ctx, p.Scope(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Status == checkout.StatusCompleted {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("30 s after the reconcile job was queued the session is %q, want completed", cur.Status)
			}
		}
		events, err := env.Server.Store.EventList(ctx, p.Scope(), store.EventFilter{Types: []store.EventType{checkout.EventCompleted}, Limit: 10}, nil)
		if err != nil || len(events) != 1 || events[0].Session.ID != s.ID {
			t.Errorf("completed events: %v (%v), want one for the session", events, err)
		}
	})
}
