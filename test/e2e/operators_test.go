package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/connector/mtn"
	"github.com/caisse/caisse/internal/connector/orange"
	"github.com/caisse/caisse/internal/connector/wave"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/seal"
	"github.com/caisse/caisse/internal/server"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
)

// The operator scenarios' timings: simulators answer in opDelay, stalling
// start answers are held for opStall, past caisse's CAISSE_OPERATOR_TIMEOUT,
// and short-lived sessions expire opShortLife after they are created.
const (
	opDelay     = 150 * time.Millisecond
	opStall     = 4 * time.Second
	opTimeout   = "1s"
	opShortLife = 8 * time.Second
	opWait      = 20 * time.Second // the longest any awaited state may take
)

// TestOperatorConnectors drives `caisse serve` configured with `caisse
// connectors set` for MTN MoMo (push), Orange Money and Wave (redirect), each
// operator played by its simulator in this process: approvals, declines,
// customers who never answer, start requests that time out after the money
// was taken, forged and replayed callbacks, a silent MTN success, and two
// merchants with their own credentials at the same operator.
func TestOperatorConnectors(t *testing.T) {
	t.Parallel()
	testdb.EachEngineEmpty(t, func(t *testing.T, dbURL string) {
		e := newOpEnv(t, dbURL)
		m := e.main

		// MTN MoMo: a push flow; numbers' last 4 digits choose the scenario.
		t.Run("mtn/approve", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "mtn_momo", "+2250700000001", 5000)
			s := e.waitStatus(t, m, id, "completed")
			ref := s.OperatorReference
			if ref == "" || s.CompletedAt == nil {
				t.Fatalf("completed session lacks its operator reference or completed_at: %v", s)
			}
			if !slices.ContainsFunc(e.mtnSim.Requests(), func(r mtn.Request) bool {
				return r.Method == "POST" && r.ReferenceID == ref && r.APIUser == m.mtnUser
			}) {
				t.Errorf("MTN never received a request to pay with X-Reference-Id %s", ref)
			}
			if cbs := e.callbacks.to(m.mtnConn, "ref="+ref); len(cbs) != 1 || cbs[0].method != "PUT" {
				t.Errorf("MTN called back %d times for %s, want one PUT", len(cbs), ref)
			}
			e.wantEvents(t, m, id, "checkout.session.completed", 1)
		})
		t.Run("mtn/decline", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "mtn_momo", "+2250700000002", 5000)
			e.wantFailure(t, m, id, "insufficient_funds")
		})
		t.Run("mtn/no_answer_expires", func(t *testing.T) {
			t.Parallel()
			id, deadline := e.createShort(t, m, "+2250700000004")
			e.confirm(t, m, id, "mtn_momo", "+2250700000004")
			s := e.waitStatus(t, m, id, "expired")
			ref := s.OperatorReference
			if !e.mtnHTTP.sawAfter(deadline, func(h opHit) bool { return h.method == "GET" && strings.HasSuffix(h.path, "/requesttopay/"+ref) }) {
				t.Errorf("session %s expired without a status query after its deadline %s; MTN saw:\n%s", id, deadline.Format(time.RFC3339Nano), e.mtnHTTP.dump())
			}
			e.wantEvents(t, m, id, "checkout.session.expired", 1)
		})
		t.Run("mtn/start_timeout_money_taken", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "mtn_momo", "+2250700000006", 5000)
			s := e.waitStatus(t, m, id, "completed")
			e.wantStalledStart(t, e.mtnHTTP, func(h opHit) bool {
				return h.method == "POST" && h.header.Get("X-Reference-Id") == s.OperatorReference
			})
		})
		t.Run("mtn/silent_success", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "mtn_momo", "+2250700000008", 5000)
			s := e.waitStatus(t, m, id, "completed")
			if cbs := e.callbacks.to(m.mtnConn, "ref="+s.OperatorReference); len(cbs) != 0 {
				t.Errorf("MTN called back %d times for a silent success", len(cbs))
			}
		})
		t.Run("mtn/forged_and_replayed_callbacks", func(t *testing.T) { t.Parallel(); e.mtnForged(t) })

		// Orange Money: a redirect flow; the customer pays on Orange's page.
		t.Run("orange/approve", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "orange_money", "+2250700000001", 5000)
			e.customer(t, m, id, "+2250700000001", "pay")
			e.waitStatus(t, m, id, "completed")
			if n := len(e.callbacks.to(m.orangeConn, "session="+id)); n != 1 {
				t.Errorf("Orange notified caisse %d times about %s, want 1", n, id)
			}
			e.wantEvents(t, m, id, "checkout.session.completed", 1)
		})
		t.Run("orange/decline", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "orange_money", "+2250700000002", 5000)
			e.customer(t, m, id, "+2250700000002", "pay")
			e.wantFailure(t, m, id, "generic_decline") // Orange says only FAILED
		})
		t.Run("orange/no_answer_expires", func(t *testing.T) {
			t.Parallel()
			id, deadline := e.createShort(t, m, "+2250700000004")
			e.confirm(t, m, id, "orange_money", "+2250700000004")
			back := e.customer(t, m, id, "+2250700000004", "pay")
			ref := e.get(t, m, id).OperatorReference
			asked := func(h opHit) bool {
				return strings.HasSuffix(h.path, "/transactionstatus") && ref != "" && strings.Contains(string(h.body), ref)
			}
			// The return page asked Orange where the payment stands.
			if !slices.ContainsFunc(e.orangeHTTP.hits(), func(h opHit) bool { return back.during(h) && asked(h) }) {
				t.Errorf("caisse's return page did not ask Orange the status of %s", id)
			}
			e.waitStatus(t, m, id, "expired")
			if !e.orangeHTTP.sawAfter(deadline, asked) {
				t.Errorf("session %s expired without a status query after its deadline %s; Orange saw:\n%s", id, deadline.Format(time.RFC3339Nano), e.orangeHTTP.dump())
			}
		})
		t.Run("orange/start_timeout_money_taken", func(t *testing.T) {
			t.Parallel()
			// An amount ending in 906 stalls the start; Orange takes the money anyway.
			id := e.createConfirm(t, m, "orange_money", "+2250700000001", 1906)
			e.waitStatus(t, m, id, "completed")
			e.wantStalledStart(t, e.orangeHTTP, func(h opHit) bool {
				return strings.HasSuffix(h.path, "/webpayment") && strings.Contains(string(h.body), id)
			})
		})
		t.Run("orange/forged_and_replayed_notifications", func(t *testing.T) { t.Parallel(); e.orangeForged(t) })
		t.Run("orange/forged_before_start_answer", func(t *testing.T) { t.Parallel(); e.orangeForgedEarly(t) })

		// Wave: a redirect flow with signed webhooks.
		t.Run("wave/approve", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "wave", "+2250700000001", 5000)
			e.customer(t, m, id, "+2250700000001", "pay")
			e.waitStatus(t, m, id, "completed")
			e.wantEvents(t, m, id, "checkout.session.completed", 1)
		})
		t.Run("wave/decline", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "wave", "+2250700000002", 5000)
			e.customer(t, m, id, "+2250700000002", "pay")
			e.wantFailure(t, m, id, "insufficient_funds")
		})
		t.Run("wave/cancel", func(t *testing.T) {
			t.Parallel()
			id := e.createConfirm(t, m, "wave", "+2250700000001", 5000)
			e.customer(t, m, id, "+2250700000001", "cancel")
			e.wantFailure(t, m, id, "customer_rejected")
		})
		t.Run("wave/no_answer_expires", func(t *testing.T) {
			t.Parallel()
			id, deadline := e.createShort(t, m, "+2250700000004")
			e.confirm(t, m, id, "wave", "+2250700000004")
			e.customer(t, m, id, "+2250700000004", "pay")
			s := e.waitStatus(t, m, id, "expired")
			ref := s.OperatorReference
			if !e.waveHTTP.sawAfter(deadline, func(h opHit) bool { return h.method == "GET" && h.path == "/v1/checkout/sessions/"+ref }) {
				t.Errorf("session %s expired without a status query after its deadline %s; Wave saw:\n%s", id, deadline.Format(time.RFC3339Nano), e.waveHTTP.dump())
			}
			if !e.waveHTTP.sawAfter(deadline, func(h opHit) bool { return h.method == "POST" && h.path == "/v1/checkout/sessions/"+ref+"/expire" }) {
				t.Errorf("caisse expired %s without ending Wave's checkout session %s", id, ref)
			}
		})
		t.Run("wave/start_timeout_money_taken", func(t *testing.T) {
			t.Parallel()
			// 0006 as restrict_payer_mobile stalls the start; the customer pays anyway.
			id := e.createConfirm(t, m, "wave", "+2250700000006", 5000)
			e.waitStatus(t, m, id, "completed")
			e.wantStalledStart(t, e.waveHTTP, func(h opHit) bool {
				return h.method == "POST" && h.path == "/v1/checkout/sessions" && strings.Contains(string(h.body), id)
			})
		})
		t.Run("wave/forged_and_replayed_webhooks", func(t *testing.T) { t.Parallel(); e.waveForged(t) })

		t.Run("two_merchants_own_credentials", func(t *testing.T) { t.Parallel(); e.twoMerchants(t) })
	})
}

// TestReconcileFixesLostCallback kills `caisse serve` (SIGKILL) right after an
// MTN payment whose callback never comes got its operator reference, so that
// no status query settles it; `caisse reconcile`, run with the server down,
// asks MTN and completes the session, which the restarted server shows with
// its completed event.
func TestReconcileFixesLostCallback(t *testing.T) {
	t.Parallel()
	testdb.EachEngineEmpty(t, func(t *testing.T, dbURL string) {
		e := newOpEnv(t, dbURL)
		m := e.main
		id := e.createConfirm(t, m, "mtn_momo", "+2250700000008", 5000) // silent success: no callback
		var ref string
		e.waitFor(t, m, id, "an operator reference", func(s *client.Session) bool {
			ref = s.OperatorReference
			return ref != ""
		})
		e.kill(t)
		e.waitMTNSays(t, m, ref, "SUCCESSFUL")

		out := caisse(t, e.env, "reconcile", "--merchant", m.id, "--since", "1h", "--json")
		var findings []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var f map[string]any
			if err := json.Unmarshal([]byte(line), &f); err != nil {
				t.Fatalf("reconcile --json printed %q: %v", out, err)
			}
			findings = append(findings, f)
		}
		if len(findings) != 1 || findings[0]["session"] != id || findings[0]["was"] != "pending" ||
			findings[0]["operator"] != "succeeded" || findings[0]["now"] != "completed" || findings[0]["fixed"] != true {
			t.Fatalf("reconcile reported %s, want %s fixed from pending to completed", out, id)
		}

		e.startServe(t)
		s := e.get(t, m, id)
		if s.Status != "completed" || s.CompletedAt == nil {
			t.Fatalf("after reconcile and a restart the session is %v (completed_at %v)", s.Status, s.CompletedAt)
		}
		e.wantEvents(t, m, id, "checkout.session.completed", 1)
		if cbs := e.callbacks.to(m.mtnConn, "ref="+ref); len(cbs) != 0 {
			t.Errorf("MTN called back %d times for a silent success", len(cbs))
		}
	})
}

// opMerchant is a merchant with its live key and its operator credentials.
type opMerchant struct {
	id, key                       string
	mtnUser, mtnKey, mtnSub       string
	waveKey, waveSecret           string
	mtnConn, orangeConn, waveConn string // callback URLs
}

// opEnv is one engine's run: the simulators, the merchants, caisse serve.
type opEnv struct {
	base, addr string
	env        []string
	srv        *exec.Cmd
	client     *http.Client // the customer's browser: never follows a redirect by itself

	mtnSim                        *mtn.Simulator
	orangeSim                     *orange.Simulator
	waveSim                       *wave.Simulator
	mtnHTTP, orangeHTTP, waveHTTP *opServer
	callbacks                     *callbackLog

	orangeClient, orangeSecret, orangeMerchantKey string

	main, other *opMerchant
	creator     *server.Server // creates sessions whose deadline is opShortLife away
}

func newOpEnv(t *testing.T, dbURL string) *opEnv {
	t.Helper()
	e := &opEnv{addr: freeAddr(t), callbacks: &callbackLog{}}
	e.base = "http://" + e.addr
	secretKey := seal.NewKey()
	e.env = []string{"CAISSE_DATABASE_URL=" + dbURL, "CAISSE_ADDR=" + e.addr, "CAISSE_PUBLIC_URL=" + e.base,
		"CAISSE_SECRET_KEY=" + secretKey, "CAISSE_OPERATOR_TIMEOUT=" + opTimeout, "CAISSE_RATE_LIMIT=0", "CAISSE_LOG_LEVEL=error"}
	e.client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	notifier := &http.Client{Timeout: 5 * time.Second, Transport: e.callbacks}

	e.mtnSim = &mtn.Simulator{Delay: opDelay, Stall: opStall, Client: notifier, APIUsers: map[string]string{}}
	e.orangeSim = &orange.Simulator{Delay: opDelay, Stall: opStall, Client: notifier}
	e.waveSim = &wave.Simulator{Delay: opDelay, Stall: opStall, Client: notifier}
	e.mtnHTTP, e.orangeHTTP, e.waveHTTP = newOpServer(t, e.mtnSim), newOpServer(t, e.orangeSim), newOpServer(t, e.waveSim)
	t.Cleanup(e.mtnSim.Close) // before the servers close: it ends held answers
	t.Cleanup(e.orangeSim.Close)
	t.Cleanup(e.waveSim.Close)

	e.orangeClient, e.orangeSecret, e.orangeMerchantKey = "orange-client-"+randid.New(""), randid.New("ocs_"), randid.New("omk_")
	e.orangeSim.Clients = []orange.Client{{ID: e.orangeClient, Secret: e.orangeSecret, MerchantKey: e.orangeMerchantKey}}
	e.main = e.merchant(t, "Boutique", true)
	e.other = e.merchant(t, "Autre boutique", false)
	for _, m := range []*opMerchant{e.main, e.other} {
		e.mtnSim.APIUsers[m.mtnUser] = m.mtnKey
		e.mtnSim.SubscriptionKeys = append(e.mtnSim.SubscriptionKeys, m.mtnSub)
		e.waveSim.Merchants = append(e.waveSim.Merchants, wave.Merchant{APIKey: m.waveKey, WebhookURL: m.waveConn, WebhookSecret: m.waveSecret})
	}
	// The simulators' configuration is complete: they may serve.
	e.mtnHTTP.Start()
	e.orangeHTTP.Start()
	e.waveHTTP.Start()

	var err error
	e.creator, err = server.New(context.Background(), config.Config{DatabaseURL: dbURL, PublicURL: e.base, SecretKey: secretKey},
		server.Options{Now: func() time.Time { return time.Now().Add(opShortLife - checkout.MinExpiresIn*time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.creator.Close() })
	e.startServe(t)
	t.Cleanup(func() {
		if e.srv != nil {
			stopServe(t, e.srv)
		}
	})
	return e
}

// merchant creates a merchant and its live connectors: MTN and Wave with
// credentials of its own, and, with orange, the Orange one.
func (e *opEnv) merchant(t *testing.T, name string, withOrange bool) *opMerchant {
	t.Helper()
	var created struct {
		ID  string `json:"id"`
		Key string `json:"live_secret_key"`
	}
	if err := json.Unmarshal(caisse(t, e.env, "merchants", "create", "--name", name, "--json"), &created); err != nil {
		t.Fatal(err)
	}
	m := &opMerchant{id: created.ID, key: created.Key, mtnUser: uuid.NewString(), mtnKey: randid.New("mk_"), mtnSub: randid.New("sub_"),
		waveKey: randid.New("wave_ci_prod_"), waveSecret: randid.New("wave_ci_WHS_")}
	set := func(channel, baseURL string, creds ...string) string {
		args := []string{"connectors", "set", "--merchant", m.id, "--mode", "live", "--channel", channel, "--kind", channel, "--base-url", baseURL, "--json"}
		for _, c := range creds {
			args = append(args, "--credential", c)
		}
		var out struct {
			ID       string `json:"id"`
			Callback string `json:"callback_url"`
		}
		if err := json.Unmarshal(caisse(t, e.env, args...), &out); err != nil || !strings.HasPrefix(out.ID, "conn_") ||
			out.Callback != e.base+"/v1/connectors/"+out.ID+"/callback" {
			t.Fatalf("connectors set %s: %+v (%v)", channel, out, err)
		}
		return out.Callback
	}
	m.mtnConn = set("mtn_momo", e.mtnHTTP.url(), "subscription_key="+m.mtnSub, "api_user="+m.mtnUser, "api_key="+m.mtnKey, "target_environment=sandbox")
	m.waveConn = set("wave", e.waveHTTP.url(), "api_key="+m.waveKey, "webhook_secret="+m.waveSecret)
	if withOrange {
		m.orangeConn = set("orange_money", e.orangeHTTP.url()+"/orange-money-webpay/ci/v1",
			"client_id="+e.orangeClient, "client_secret="+e.orangeSecret, "merchant_key="+e.orangeMerchantKey)
	}
	return m
}

func (e *opEnv) startServe(t *testing.T) {
	t.Helper()
	e.srv, _ = startServe(t, e.env)
	waitReady(t, e.base+"/readyz")
}

// kill ends caisse serve with SIGKILL: nothing it had in flight is finished.
func (e *opEnv) kill(t *testing.T) {
	t.Helper()
	e.srv.Process.Kill()
	e.srv.Wait() //nolint:errcheck // killed
	e.srv = nil
}

// momo is the mobile-money API's client with m's live key.
func (e *opEnv) momo(m *opMerchant) *client.Client {
	return client.New(m.key, client.WithBaseURL(e.base))
}

func (e *opEnv) get(t *testing.T, m *opMerchant, id string) *client.Session {
	t.Helper()
	s, err := e.momo(m).Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *opEnv) confirm(t *testing.T, m *opMerchant, id, channel, phone string) {
	t.Helper()
	s, err := e.momo(m).Confirm(context.Background(), id, client.ConfirmParams{Channel: channel, UserPhone: phone})
	if err != nil {
		t.Fatalf("confirm %s with %s: %v", id, channel, err)
	}
	if s.Status != "pending" || s.Channel != channel {
		t.Fatalf("confirm %s with %s: status %v, channel %v", id, channel, s.Status, s.Channel)
	}
}

// createConfirm creates a live session through the API and confirms it.
func (e *opEnv) createConfirm(t *testing.T, m *opMerchant, channel, phone string, amount int64) string {
	t.Helper()
	s, err := e.momo(m).Create(context.Background(), client.CreateParams{Amount: amount, Currency: "XOF", UserPhone: phone, Description: "e2e " + channel})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.ID, "cs_live_") {
		t.Fatalf("a live key created %q", s.ID)
	}
	e.confirm(t, m, s.ID, channel, phone)
	return s.ID
}

// createShort creates a live session whose deadline is opShortLife away.
// The API takes expires_in of checkout.MinExpiresIn (300 s) at least, too
// long to wait for: the session is created through a server on the same
// database whose clock runs MinExpiresIn - opShortLife behind. It returns
// the session's exact deadline.
func (e *opEnv) createShort(t *testing.T, m *opMerchant, phone string) (string, time.Time) {
	t.Helper()
	p, err := e.creator.Merchants.Authenticate(context.Background(), m.key)
	if err != nil {
		t.Fatal(err)
	}
	// On SQLite this process is a second writer to serve's file: a write that
	// waited out the busy timeout is tried again.
	var s checkout.Session
	for tries := 1; ; tries++ {
		s, err = e.creator.Checkout.Create(context.Background(), p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: phone, ExpiresIn: checkout.MinExpiresIn})
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || tries == 5 {
			t.Fatalf("creating a short-lived session (try %d): %v", tries, err)
		}
	}
	if left := time.Until(s.ExpiresAt); left <= 0 || left > opShortLife {
		t.Fatalf("short-lived session %s expires in %s", s.ID, left)
	}
	return s.ID, s.ExpiresAt
}

// waitFor polls the session until ok says yes, failing after opWait.
func (e *opEnv) waitFor(t *testing.T, m *opMerchant, id, what string, ok func(*client.Session) bool) *client.Session {
	t.Helper()
	deadline := time.Now().Add(opWait)
	for {
		s := e.get(t, m, id)
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s never had %s within %s; it is %s", id, what, opWait, opJSON(s))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// waitStatus waits for the session to reach status, failing at once if it
// ends in another.
func (e *opEnv) waitStatus(t *testing.T, m *opMerchant, id, status string) *client.Session {
	t.Helper()
	s := e.waitFor(t, m, id, "status "+status, func(s *client.Session) bool {
		switch s.Status {
		case status:
			return true
		case "completed", "failed", "expired", "cancelled":
			t.Fatalf("session %s ended %v, want %s: %s", id, s.Status, status, opJSON(s))
		}
		return false
	})
	if status == "completed" && s.CompletedAt == nil {
		t.Errorf("completed session %s has no completed_at", id)
	}
	return s
}

func (e *opEnv) wantFailure(t *testing.T, m *opMerchant, id, reason string) {
	t.Helper()
	if s := e.waitStatus(t, m, id, "failed"); s.FailureReason == nil || *s.FailureReason != reason {
		t.Errorf("session %s failed with %s, want %s", id, opJSON(s.FailureReason), reason)
	}
}

// wantEvents checks that the merchant's live events hold n of type typ about id.
func (e *opEnv) wantEvents(t *testing.T, m *opMerchant, id, typ string, n int) {
	t.Helper()
	list, err := e.momo(m).ListEvents(context.Background(), client.EventListParams{Type: typ, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, ev := range list.Data {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(ev.Data.Object, &obj); err != nil {
			t.Fatal(err)
		}
		if obj.ID == id {
			got++
		}
	}
	if got != n {
		t.Errorf("%d %s events about %s, want %d", got, typ, id, n)
	}
}

// wantStalledStart waits for the operator to have held a start request (one
// matching is) past caisse's timeout, which caisse gave up on: a held
// request is noted when it is answered, possibly after the session settled.
func (e *opEnv) wantStalledStart(t *testing.T, op *opServer, is func(opHit) bool) {
	t.Helper()
	timeout, _ := time.ParseDuration(opTimeout)
	deadline := time.Now().Add(opWait)
	// Measured here, the hold is a little shorter than caisse's timeout;
	// an answer not held takes milliseconds.
	for !slices.ContainsFunc(op.hits(), func(h opHit) bool { return is(h) && h.took >= timeout/2 }) {
		if time.Now().After(deadline) {
			t.Fatalf("no start request was held past caisse's %s timeout; the operator saw:\n%s", opTimeout, op.dump())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// customer plays the customer of a redirect flow: it waits for the
// session's redirect_url, opens the operator's page, fills its form as a
// browser would (the phone, a payment code if the page asks for one) and
// presses pay or cancel, and follows the redirect back to caisse. It returns
// when the return page was being answered (zero if the customer did not come back).
func (e *opEnv) customer(t *testing.T, m *opMerchant, id, phone, button string) (back opSpan) {
	t.Helper()
	s := e.waitFor(t, m, id, "a redirect_url", func(s *client.Session) bool { return s.RedirectURL != "" })
	page := s.RedirectURL
	res, err := e.client.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", page, res.StatusCode, body)
	}
	form := formAction.FindSubmatch(body)
	if form == nil {
		t.Fatalf("no form on the operator's page %s:\n%s", page, body)
	}
	pageURL, _ := url.Parse(page)
	action, err := pageURL.Parse(html.UnescapeString(string(form[1])))
	if err != nil {
		t.Fatal(err)
	}
	values := url.Values{"action": {button}}
	for _, in := range inputName.FindAllSubmatch(body, -1) {
		switch name := string(in[1]); name {
		case "phone":
			values.Set(name, phone)
		case "otp":
			values.Set(name, "1234")
		default:
			t.Fatalf("the operator's page has a field %q the customer cannot fill", name)
		}
	}
	if !bytes.Contains(body, []byte(`name="action" value="`+button+`"`)) {
		t.Fatalf("the operator's page has no %s button:\n%s", button, body)
	}
	res, err = e.client.PostForm(action.String(), values)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	returnURL := res.Header.Get("Location")
	if button == "pay" && strings.HasSuffix(phone, "0004") && res.StatusCode == http.StatusOK {
		return opSpan{} // Wave: "approve the payment in your Wave app", which the customer never does
	}
	if res.StatusCode != http.StatusSeeOther || returnURL != e.base+"/pay/"+id+"/return" {
		t.Fatalf("%s on the operator's page: %d to %q, want 303 to caisse's return page %s/pay/%s/return; body:\n%s",
			button, res.StatusCode, returnURL, e.base, id, body)
	}
	// The browser comes back to caisse, whose return page asks the operator
	// where the payment stands, then shows the session's page.
	back.from = time.Now()
	res, err = e.client.Get(returnURL)
	back.to = time.Now()
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	backURL, _ := url.Parse(returnURL)
	next, err := backURL.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || err != nil || next.String() != e.base+"/pay/"+id+"?back" {
		t.Fatalf("GET %s: %d to %q, want 303 to /pay/%s?back; body:\n%s", returnURL, res.StatusCode, res.Header.Get("Location"), id, body)
	}
	res, err = e.client.Get(next.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", next, res.StatusCode, body)
	}
	return back
}

// opSpan is a stretch of time.
type opSpan struct{ from, to time.Time }

// during reports whether h arrived within s.
func (s opSpan) during(h opHit) bool { return !h.at.Before(s.from) && !h.at.After(s.to) }

var (
	formAction = regexp.MustCompile(`<form[^>]*method="post"[^>]*action="([^"]*)"`)
	inputName  = regexp.MustCompile(`<input[^>]*name="([^"]+)"`)
)

// mtnForged sends MTN callbacks caisse must not believe: an unsigned PUT
// claiming SUCCESSFUL for a payment MTN has pending (409, unchanged), and a
// genuine callback of another payment aimed at this one (refused,
// unchanged); the genuine callback replayed to its own payment changes nothing.
func (e *opEnv) mtnForged(t *testing.T) {
	m := e.main
	paid := e.createConfirm(t, m, "mtn_momo", "+2250700000001", 5000)
	paidRef := e.waitStatus(t, m, paid, "completed").OperatorReference
	pending := e.createConfirm(t, m, "mtn_momo", "+2250700000004", 5000) // MTN: PENDING for ever
	before := e.waitFor(t, m, pending, "an operator reference", func(s *client.Session) bool { return s.OperatorReference != "" })
	ref := before.OperatorReference
	e.waitMTNSays(t, m, ref, "PENDING")

	asked := func() int {
		n := 0
		for _, r := range e.mtnSim.Requests() {
			if r.Method == "GET" && strings.HasSuffix(r.Path, "/"+ref) {
				n++
			}
		}
		return n
	}
	queries := asked()
	forged := fmt.Sprintf(`{"financialTransactionId":"1234567890","externalId":%q,"amount":"5000","currency":"XOF",`+
		`"payer":{"partyIdType":"MSISDN","partyId":"2250700000004"},"payerMessage":"e2e","payeeNote":%q,"status":"SUCCESSFUL"}`, pending, pending)
	code, body := opSend(t, "PUT", m.mtnConn+"?ref="+ref, nil, forged)
	if code != http.StatusConflict || !strings.Contains(body, "callback_unconfirmed") {
		t.Errorf("a forged SUCCESSFUL callback for a pending payment: %d %s, want 409 callback_unconfirmed", code, body)
	}
	if asked() <= queries {
		t.Errorf("caisse answered a callback claim without asking MTN")
	}
	e.wantUnchanged(t, m, pending, before)

	cbs := e.callbacks.to(m.mtnConn, "ref="+paidRef)
	if len(cbs) != 1 {
		t.Fatalf("MTN called back %d times for the paid session", len(cbs))
	}
	genuine := cbs[0]
	code, body = opSend(t, genuine.method, m.mtnConn+"?ref="+ref, genuine.header, string(genuine.body))
	if code < 400 {
		t.Errorf("the paid session's genuine callback sent to another payment's URL: %d %s, want it refused", code, body)
	}
	e.wantUnchanged(t, m, pending, before)
	code, body = opSend(t, genuine.method, genuine.url, genuine.header, string(genuine.body))
	if code != http.StatusOK {
		t.Errorf("the genuine callback replayed: %d %s, want 200 (it changes nothing)", code, body)
	}
	e.wantEvents(t, m, paid, "checkout.session.completed", 1)
	e.wantEvents(t, m, pending, "checkout.session.completed", 0)
}

// orangeForged sends Orange notifications caisse must refuse: one with a
// made-up notif_token, one without, and a genuine notification of a paid
// session sent to another session's notification URL.
func (e *opEnv) orangeForged(t *testing.T) {
	m := e.main
	paid := e.createConfirm(t, m, "orange_money", "+2250700000001", 5000)
	e.customer(t, m, paid, "+2250700000001", "pay")
	e.waitStatus(t, m, paid, "completed")
	cbs := e.callbacks.to(m.orangeConn, "session="+paid)
	if len(cbs) != 1 {
		t.Fatalf("Orange notified caisse %d times about the paid session, want 1", len(cbs))
	}
	genuine := cbs[0]

	pending := e.createConfirm(t, m, "orange_money", "+2250700000001", 5000) // the customer never opens the page
	before := e.waitFor(t, m, pending, "a redirect_url", func(s *client.Session) bool { return s.RedirectURL != "" })
	notifURL := e.orangeNotifURL(t, pending)
	for name, body := range map[string]string{
		"a made-up notif_token":                  `{"status":"SUCCESS","notif_token":"` + strings.ToLower(randid.New("")) + `","txnid":"MP250101.1200.ABCDEF"}`,
		"no notif_token":                         `{"status":"SUCCESS","txnid":"MP250101.1200.ABCDEF"}`,
		"another session's genuine notification": string(genuine.body),
	} {
		code, answer := opSend(t, "POST", notifURL, genuine.header, body)
		if code != http.StatusUnauthorized {
			t.Errorf("a notification with %s: %d %s, want 401", name, code, answer)
		}
		e.wantUnchanged(t, m, pending, before)
	}
	e.wantEvents(t, m, pending, "checkout.session.completed", 0)
}

// orangeForgedEarly sends a notification with a made-up notif_token for a
// session whose start answer caisse has not got (Orange answers 503 to its
// start requests, amount ending in 907): caisse does not know the
// payment's notif_token yet, and must not take the notification on trust.
func (e *opEnv) orangeForgedEarly(t *testing.T) {
	m := e.main
	id := e.createConfirm(t, m, "orange_money", "+2250700000001", 2907)
	e.waitOrangeStart(t, id)
	before := e.get(t, m, id)
	if before.Status != "pending" || before.OperatorReference != "" {
		t.Fatalf("the session whose start Orange refused with 503 is %s", opJSON(before))
	}
	forged := `{"status":"SUCCESS","notif_token":"` + strings.ToLower(randid.New("")) + `","txnid":"MP250101.1200.ABCDEF"}`
	code, answer := opSend(t, "POST", m.orangeConn+"?"+url.Values{"session": {id}}.Encode(), nil, forged)
	if code < 400 {
		t.Errorf("a forged SUCCESS notification for a session whose notif_token caisse has not learnt: %d %s, want it refused", code, answer)
	}
	e.wantUnchanged(t, m, id, before)
}

// waitOrangeStart waits until Orange has received a start request for id.
func (e *opEnv) waitOrangeStart(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(opWait)
	for !slices.ContainsFunc(e.orangeHTTP.hits(), func(h opHit) bool {
		return strings.HasSuffix(h.path, "/webpayment") && strings.Contains(string(h.body), id)
	}) {
		if time.Now().After(deadline) {
			t.Fatalf("Orange never received a start request for %s", id)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// orangeNotifURL is the notif_url caisse sent Orange for session id.
func (e *opEnv) orangeNotifURL(t *testing.T, id string) string {
	t.Helper()
	for _, h := range e.orangeHTTP.hits() {
		var req struct {
			NotifURL  string `json:"notif_url"`
			Reference string `json:"reference"`
		}
		if strings.HasSuffix(h.path, "/webpayment") && json.Unmarshal(h.body, &req) == nil && req.Reference == id {
			return req.NotifURL
		}
	}
	t.Fatalf("Orange never received a start request for %s", id)
	return ""
}

// waveForged sends Wave webhooks caisse must refuse (401, session
// unchanged): unsigned, signed with another secret, signed with the right
// secret at a time more than 5 minutes off (a replay), and a paid session's
// genuine webhook replayed with an old timestamp.
func (e *opEnv) waveForged(t *testing.T) {
	m := e.main
	paid := e.createConfirm(t, m, "wave", "+2250700000001", 5000)
	e.customer(t, m, paid, "+2250700000001", "pay")
	e.waitStatus(t, m, paid, "completed")
	var genuine sentCallback
	for _, cb := range e.callbacks.to(m.waveConn, "") {
		if strings.Contains(string(cb.body), paid) {
			genuine = cb
		}
	}
	if genuine.body == nil {
		t.Fatalf("Wave never sent a webhook about %s", paid)
	}

	pending := e.createConfirm(t, m, "wave", "+2250700000001", 5000) // the customer never opens the page
	before := e.waitFor(t, m, pending, "a redirect_url", func(s *client.Session) bool { return s.RedirectURL != "" })
	// The paid session's webhook, made to say this session was paid.
	var ev map[string]any
	if err := json.Unmarshal(genuine.body, &ev); err != nil {
		t.Fatal(err)
	}
	data := ev["data"].(map[string]any)
	data["id"], data["client_reference"], data["wave_launch_url"] = before.OperatorReference, pending, before.RedirectURL
	forged, _ := json.Marshal(ev)
	now := time.Now()
	for name, c := range map[string]struct {
		sig  string
		body []byte
	}{
		"no signature":                       {"", forged},
		"another secret's signature":         {waveSign("wave_ci_WHS_"+randid.New(""), forged, now), forged},
		"a signature 6 minutes old":          {waveSign(m.waveSecret, forged, now.Add(-6*time.Minute)), forged},
		"a signature 6 minutes ahead":        {waveSign(m.waveSecret, forged, now.Add(6*time.Minute)), forged},
		"another session's signature":        {genuine.header.Get("Wave-Signature"), forged},
		"the genuine webhook, 6 minutes old": {waveSign(m.waveSecret, genuine.body, now.Add(-6*time.Minute)), genuine.body},
	} {
		h := http.Header{"Content-Type": {"application/json"}}
		if c.sig != "" {
			h.Set("Wave-Signature", c.sig)
		}
		code, answer := opSend(t, "POST", m.waveConn, h, string(c.body))
		if code != http.StatusUnauthorized {
			t.Errorf("a webhook with %s: %d %s, want 401", name, code, answer)
		}
		e.wantUnchanged(t, m, pending, before)
	}
	e.wantEvents(t, m, pending, "checkout.session.completed", 0)
	e.wantEvents(t, m, paid, "checkout.session.completed", 1)
}

// waveSign is Wave's webhook signature: t=<unix>,v1=<hex HMAC-SHA256 of the
// decimal timestamp followed by the body>.
func waveSign(secret string, body []byte, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// twoMerchants pays through MTN and Wave for two merchants at once, and
// checks that each payment's requests carried its own merchant's credentials.
func (e *opEnv) twoMerchants(t *testing.T) {
	type payment struct {
		m       *opMerchant
		channel string
		id, ref string
	}
	var pays []*payment
	for _, m := range []*opMerchant{e.main, e.other} {
		for _, ch := range []string{"mtn_momo", "wave"} {
			pays = append(pays, &payment{m: m, channel: ch})
		}
	}
	var wg sync.WaitGroup
	for _, p := range pays {
		wg.Go(func() {
			p.id = e.createConfirm(t, p.m, p.channel, "+2250700000001", 5000)
			if p.channel == "wave" {
				e.customer(t, p.m, p.id, "+2250700000001", "pay")
			}
			p.ref = e.waitStatus(t, p.m, p.id, "completed").OperatorReference
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	mtnReqs, waveReqs := e.mtnSim.Requests(), e.waveSim.Requests()
	for _, p := range pays {
		seen := 0
		switch p.channel {
		case "mtn_momo":
			for _, r := range mtnReqs {
				if r.ReferenceID != p.ref && !strings.HasSuffix(r.Path, "/"+p.ref) {
					continue
				}
				seen++
				if r.APIUser != p.m.mtnUser || r.SubscriptionKey != maskLast4(p.m.mtnSub) {
					t.Errorf("%s's MTN request %s %s carried API user %s and subscription key %s, want %s and %s",
						p.m.id, r.Method, r.Path, r.APIUser, r.SubscriptionKey, p.m.mtnUser, maskLast4(p.m.mtnSub))
				}
			}
		case "wave":
			// The start request names the session in its body, not its path:
			// find its Idempotency-Key in what the simulator's server received.
			starts := map[string]bool{}
			for _, h := range e.waveHTTP.hits() {
				if h.method == "POST" && h.path == "/v1/checkout/sessions" && strings.Contains(string(h.body), `"`+p.id+`"`) {
					starts[h.header.Get("Idempotency-Key")] = true
				}
			}
			for _, r := range waveReqs {
				if !starts[r.IdempotencyKey] && !strings.HasPrefix(r.Path, "/v1/checkout/sessions/"+p.ref) {
					continue
				}
				seen++
				if r.APIKey != maskWave(p.m.waveKey) {
					t.Errorf("%s's Wave request %s %s carried API key %s, want %s", p.m.id, r.Method, r.Path, r.APIKey, maskWave(p.m.waveKey))
				}
			}
			if len(e.callbacks.to(p.m.waveConn, "")) == 0 {
				t.Errorf("Wave sent no webhook to %s's callback URL", p.m.id)
			}
		}
		if seen == 0 {
			t.Errorf("%s's %s payment %s: the simulator saw none of its requests", p.m.id, p.channel, p.id)
		}
	}
	// No request mixed one merchant's credentials with the other's.
	for _, r := range mtnReqs {
		if r.APIUser == "" {
			continue
		}
		ok := slices.ContainsFunc([]*opMerchant{e.main, e.other}, func(m *opMerchant) bool {
			return r.APIUser == m.mtnUser && r.SubscriptionKey == maskLast4(m.mtnSub)
		})
		if !ok {
			t.Errorf("MTN request %s %s carried API user %s with subscription key %s", r.Method, r.Path, r.APIUser, r.SubscriptionKey)
		}
	}
}

// waitMTNSays asks the MTN simulator itself, with m's credentials, until it
// reports the payment ref in status.
func (e *opEnv) waitMTNSays(t *testing.T, m *opMerchant, ref, status string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.mtnHTTP.url()+"/collection/token/", nil)
	req.SetBasicAuth(m.mtnUser, m.mtnKey)
	req.Header.Set("Ocp-Apim-Subscription-Key", m.mtnSub)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := opDoJSON(req, &tok); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(opWait)
	for {
		req, _ := http.NewRequest("GET", e.mtnHTTP.url()+"/collection/v1_0/requesttopay/"+ref, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Ocp-Apim-Subscription-Key", m.mtnSub)
		req.Header.Set("X-Target-Environment", "sandbox")
		var res struct{ Status string }
		err := opDoJSON(req, &res)
		if err == nil && res.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("MTN never said %s for %s: %q %v", status, ref, res.Status, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// wantUnchanged checks that the session still reads as it did before.
func (e *opEnv) wantUnchanged(t *testing.T, m *opMerchant, id string, before *client.Session) {
	t.Helper()
	now := e.get(t, m, id)
	fields := func(s *client.Session) map[string]string {
		return map[string]string{"status": s.Status, "failure_reason": opJSON(s.FailureReason), "completed_at": opJSON(s.CompletedAt),
			"operator_reference": s.OperatorReference, "redirect_url": s.RedirectURL}
	}
	was, is := fields(before), fields(now)
	for k := range was {
		if is[k] != was[k] {
			t.Errorf("session %s: %s was %v, is now %v", id, k, was[k], is[k])
		}
	}
}

// opServer serves a simulator and notes what each request carried and
// when it arrived and was answered, which Requests() does not say.
type opServer struct {
	*httptest.Server
	mu  sync.Mutex
	log []opHit
}

type opHit struct {
	at, done     time.Time
	took         time.Duration
	method, path string
	header       http.Header
	body         []byte
}

func newOpServer(t *testing.T, h http.Handler) *opServer {
	s := &opServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
		done := time.Now()
		s.mu.Lock()
		s.log = append(s.log, opHit{at: at, done: done, took: done.Sub(at), method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

// url is the server's root, known before it starts.
func (s *opServer) url() string { return "http://" + s.Listener.Addr().String() }

func (s *opServer) hits() []opHit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// sawAfter reports whether a request matching is arrived after t.
func (s *opServer) sawAfter(t time.Time, is func(opHit) bool) bool {
	return slices.ContainsFunc(s.hits(), func(h opHit) bool { return h.at.After(t) && is(h) })
}

func (s *opServer) dump() string {
	var b strings.Builder
	for _, h := range s.hits() {
		fmt.Fprintf(&b, "  %s %s %s (%s)\n", h.at.Format("15:04:05.000"), h.method, h.path, h.took.Round(time.Millisecond))
	}
	return b.String()
}

// callbackLog is the simulators' HTTP transport: it notes every callback
// they send caisse, so that the test can replay genuine ones.
type callbackLog struct {
	mu   sync.Mutex
	sent []sentCallback
}

type sentCallback struct {
	method, url string
	header      http.Header
	body        []byte
}

func (c *callbackLog) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.mu.Lock()
	c.sent = append(c.sent, sentCallback{method: r.Method, url: r.URL.String(), header: r.Header.Clone(), body: body})
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// to lists the callbacks sent to a callback URL whose query contains query.
func (c *callbackLog) to(callbackURL, query string) []sentCallback {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []sentCallback
	for _, cb := range c.sent {
		u, q, _ := strings.Cut(cb.url, "?")
		if u == callbackURL && strings.Contains(q, query) {
			out = append(out, cb)
		}
	}
	return out
}

// opSend sends a raw request (a forged or replayed callback) and returns the
// answer's status and body.
func opSend(t *testing.T, method, target string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k != "Content-Length" {
			req.Header[k] = v
		}
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(answer))
}

func opDoJSON(req *http.Request, v any) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

func opStr(v any) string {
	s, _ := v.(string)
	return s
}

func opJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// maskLast4 is how the MTN simulator records a subscription key.
func maskLast4(s string) string { return strings.Repeat("*", len(s)-4) + s[len(s)-4:] }

// maskWave is how the Wave simulator records an API key.
func maskWave(key string) string {
	rest := strings.TrimPrefix(key, "wave_")
	return "wave_" + strings.Repeat("*", len(rest)-4) + rest[len(rest)-4:]
}
