package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	stripe "github.com/stripe/stripe-go/v85"
	stripewebhook "github.com/stripe/stripe-go/v85/webhook"

	"github.com/caisse/caisse/client"
	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// lifecycle is a server running its background work, a merchant's test key,
// and a webhook receiver.
type lifecycle struct {
	t   *testing.T
	env *testserver.Env
	key string
	rcv *testserver.Receiver
}

func newLifecycle(t *testing.T, dbURL string, opts ...testserver.Option) *lifecycle {
	t.Helper()
	opts = append([]testserver.Option{testserver.WithJobs(50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond)}, opts...)
	env := testserver.Start(t, dbURL, opts...)
	env.Clock.Follow(0)
	key, _ := env.Merchant()
	return &lifecycle{t: t, env: env, key: key, rcv: testserver.NewReceiver(t)}
}

// momo is the mobile-money API's client, with key.
func (l *lifecycle) momo() *client.Client { return client.New(l.key, client.WithBaseURL(l.env.URL)) }

// must returns the session a mobile-money call answered, failing the test on its error.
func (l *lifecycle) must(s *client.Session, err error) *client.Session {
	l.t.Helper()
	if err != nil {
		l.t.Fatal(err)
	}
	return s
}

// call makes an API request with a form or JSON body and decodes the JSON answer.
func (l *lifecycle) call(method, path, body string, want int) map[string]any {
	l.t.Helper()
	key := ""
	if method == "POST" {
		key = fmt.Sprintf("%s-%d", l.t.Name(), time.Now().UnixNano())
	}
	return l.callKey(method, path, body, key, want)
}

// callKey is call with a given Idempotency-Key (none when empty).
func (l *lifecycle) callKey(method, path, body, idempotencyKey string, want int) map[string]any {
	l.t.Helper()
	req, err := http.NewRequest(method, l.env.URL+path, strings.NewReader(body))
	if err != nil {
		l.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+l.key)
	req.Header.Set("Stripe-Version", stripe.APIVersion)
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		l.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, raw, want)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		l.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
	}
	return out
}

// endpoint registers the receiver's path for the given event types and returns its secret.
func (l *lifecycle) endpoint(path string, events ...checkout.EventType) (id, secret string) {
	l.t.Helper()
	form := url.Values{"url": {l.rcv.URL + path}}
	for _, e := range events {
		form.Add("enabled_events[]", string(e))
	}
	ep := l.call("POST", "/v1/webhook_endpoints", form.Encode(), http.StatusOK)
	return ep["id"].(string), ep["secret"].(string)
}

// session creates a momo session for phone, due in 5 minutes, confirmed on Orange Money unless confirm is false.
func (l *lifecycle) session(phone string, confirm bool) string {
	l.t.Helper()
	ctx := context.Background()
	s := l.must(l.momo().Create(ctx, client.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: phone, ExpiresIn: 300}))
	if confirm {
		if c := l.must(l.momo().Confirm(ctx, s.ID, client.ConfirmParams{Channel: "orange_money"})); c.Status != "pending" {
			l.t.Fatalf("confirm: status %v, want pending", c.Status)
		}
	}
	return s.ID
}

// verified checks a delivery with stripe-go and with the Standard Webhooks
// library and returns the event stripe-go parsed.
func verified(t *testing.T, d testserver.Delivery, secret string) stripe.Event {
	t.Helper()
	ev, err := stripewebhook.ConstructEvent(d.Body, d.Header.Get("Stripe-Signature"), secret)
	if err != nil {
		t.Fatalf("stripe-go refuses the delivery: %v", err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(d.Body, d.Header); err != nil {
		t.Fatalf("Standard Webhooks refuses the delivery: %v", err)
	}
	if d.Header.Get("webhook-id") != ev.ID {
		t.Fatalf("webhook-id %q, want the event id %q", d.Header.Get("webhook-id"), ev.ID)
	}
	return ev
}

// types lists the event types of deliveries, sorted (deliveries run in
// parallel: their order is not the events' order), after checking each one's
// signatures and session.
func types(t *testing.T, got []testserver.Delivery, secret, session string) []checkout.EventType {
	t.Helper()
	var out []checkout.EventType
	for _, d := range got {
		ev := verified(t, d, secret)
		if ev.Data.Object["id"] != session {
			t.Fatalf("%s carries session %v, want %s", ev.Type, ev.Data.Object["id"], session)
		}
		out = append(out, checkout.EventType(ev.Type))
	}
	slices.Sort(out)
	return out
}

func TestPaidDeclinedAndExpiredSessionsDeliverEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		l := newLifecycle(t, dbURL)
		_, secret := l.endpoint("/hook", checkout.EventCompleted, checkout.EventAsyncSucceeded,
			checkout.EventAsyncFailed, checkout.EventExpired)

		paid := l.session("+2250700000001", true)
		got := l.rcv.Wait(t, 2, 20*time.Second)
		if ty := types(t, got, secret, paid); !slices.Equal(ty, []checkout.EventType{checkout.EventAsyncSucceeded, checkout.EventCompleted}) {
			t.Fatalf("paid session delivered %v", ty)
		}
		ev := verified(t, got[slices.IndexFunc(got, func(d testserver.Delivery) bool {
			return strings.Contains(string(d.Body), `"type":"`+string(checkout.EventCompleted))
		})], secret)
		if ev.Data.Object["status"] != "complete" || ev.Data.Object["payment_status"] != "paid" || ev.APIVersion != stripe.APIVersion {
			t.Fatalf("completed event: status %v, payment_status %v, api_version %s", ev.Data.Object["status"], ev.Data.Object["payment_status"], ev.APIVersion)
		}
		if s := l.must(l.momo().Get(context.Background(), paid)); s.Status != "completed" || s.CompletedAt == nil {
			t.Fatalf("paid session reads %v, completed_at %v", s.Status, s.CompletedAt)
		}

		declined := l.session("+2250700000002", true)
		got = l.rcv.Wait(t, 3, 20*time.Second)[2:]
		if ty := types(t, got, secret, declined); !slices.Equal(ty, []checkout.EventType{checkout.EventAsyncFailed}) {
			t.Fatalf("declined session delivered %v", ty)
		}
		if s := l.must(l.momo().Get(context.Background(), declined)); s.Status != "failed" || s.FailureReason == nil || *s.FailureReason != "insufficient_funds" {
			t.Fatalf("declined session reads %+v", s)
		}

		// A deadline 1.5 s away: created with the clock 298.5 s behind, as if 5 minutes (the least expires_in) had nearly passed.
		l.env.Clock.Follow(-298500 * time.Millisecond)
		expiring := l.session("+2250700000004", false)
		l.env.Clock.Follow(0)
		p, err := l.env.Server.Merchants.Authenticate(context.Background(), l.key)
		if err != nil {
			t.Fatal(err)
		}
		before, err := l.env.Server.Store.SessionGet(context.Background(), p.Scope(), expiring)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(before.ExpiresAt.Add(time.Second)))
		after, err := l.env.Server.Store.SessionGet(context.Background(), p.Scope(), expiring) // the store: no read-time expiry
		if err != nil || after.Status != checkout.StatusExpired {
			t.Fatalf("1 s after expires_at the stored session is %q (%v), want expired", after.Status, err)
		}
		got = l.rcv.Wait(t, 4, 20*time.Second)[3:]
		if ty := types(t, got, secret, expiring); !slices.Equal(ty, []checkout.EventType{checkout.EventExpired}) {
			t.Fatalf("expired session delivered %v", ty)
		}

		// Deliveries ran in a queue of their own, the test operator's answers in the default one.
		rows, err := rawDB(t, l.env.Server.Store).QueryContext(context.Background(),
			`SELECT DISTINCT kind, queue FROM river_job WHERE kind IN ('deliver_webhook', 'test_connector_outcome') ORDER BY kind`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var queues []string
		for rows.Next() {
			var kind, queue string
			if err := rows.Scan(&kind, &queue); err != nil {
				t.Fatal(err)
			}
			queues = append(queues, kind+" in "+queue)
		}
		if want := []string{"deliver_webhook in " + notify.Queue, "test_connector_outcome in default"}; !slices.Equal(queues, want) {
			t.Errorf("jobs ran in %v, want %v", queues, want)
		}
	})
}

func TestFailedDeliveriesAreRetriedAndListed(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		l := newLifecycle(t, dbURL)
		endpoint, secret := l.endpoint("/flaky", checkout.EventCompleted)
		l.rcv.Answer("/flaky", http.StatusInternalServerError, http.StatusInternalServerError)
		id := l.session("+2250700000001", false)
		l.call("POST", "/v1/test_helpers/checkout/sessions/"+id+"/complete", "", http.StatusOK)

		got := l.rcv.Wait(t, 3, 30*time.Second)
		time.Sleep(2 * time.Second) // long past the 50 ms retry schedule: a fourth delivery would have come
		got = l.rcv.Deliveries()
		if len(got) != 3 {
			t.Fatalf("received %d deliveries, want 3", len(got))
		}
		var event string
		for _, d := range got {
			ev := verified(t, d, secret)
			if event != "" && ev.ID != event {
				t.Fatalf("deliveries of different events %s and %s", event, ev.ID)
			}
			event = ev.ID
		}
		attempts := l.call("GET", "/v1/events/"+event+"/webhook_attempts", "", http.StatusOK)["data"].([]any)
		type outcome struct{ StatusCode, Succeeded any } // as decoded from JSON
		var outcomes []outcome
		for i, a := range attempts {
			a := a.(map[string]any)
			if a["webhook_endpoint"] != endpoint || a["event"] != event || a["attempt"] != float64(i+1) {
				t.Fatalf("attempt %d: %v", i, a)
			}
			outcomes = append(outcomes, outcome{a["status_code"], a["succeeded"]})
		}
		want := []outcome{{float64(500), false}, {float64(500), false}, {float64(200), true}}
		if diff := cmp.Diff(want, outcomes); diff != "" {
			t.Fatalf("attempts (-want +got):\n%s", diff)
		}
	})
}

func TestGoneEndpointIsDisabled(t *testing.T) {
	t.Parallel()
	l := newLifecycle(t, testdb.SQLiteURL(t))
	endpoint, _ := l.endpoint("/gone", "*")
	l.rcv.Answer("/gone", http.StatusGone)
	id := l.session("+2250700000001", false)
	l.must(l.momo().Cancel(context.Background(), id, client.CancelParams{}))
	l.rcv.Wait(t, 1, 20*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for l.call("GET", "/v1/webhook_endpoints/"+endpoint, "", http.StatusOK)["status"] != "disabled" {
		if time.Now().After(deadline) {
			t.Fatal("the endpoint that answered 410 is still enabled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if n := len(l.rcv.Deliveries()); n != 1 {
		t.Fatalf("a 410 endpoint got %d deliveries, want 1", n)
	}
}

func TestEveryTransitionWritesItsEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		l := newLifecycle(t, dbURL)
		p, err := l.env.Server.Merchants.Authenticate(context.Background(), l.key)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			act   func(id string)      // from created
			types []checkout.EventType // oldest first
		}{
			{"cancel", func(id string) { l.must(l.momo().Cancel(context.Background(), id, client.CancelParams{})) },
				[]checkout.EventType{checkout.EventCancelled}},
			{"expire", func(id string) { l.call("POST", "/v1/checkout/sessions/"+id+"/expire", "", http.StatusOK) },
				[]checkout.EventType{checkout.EventExpired}},
			{"force complete", func(id string) {
				l.call("POST", "/v1/test_helpers/checkout/sessions/"+id+"/complete", "", http.StatusOK)
			}, []checkout.EventType{checkout.EventPending, checkout.EventProcessing, checkout.EventCompleted, checkout.EventAsyncSucceeded}},
			{"force fail", func(id string) {
				l.call("POST", "/v1/test_helpers/checkout/sessions/"+id+"/fail", "failure_reason=card_declined", http.StatusOK)
			}, []checkout.EventType{checkout.EventPending, checkout.EventAsyncFailed}},
			{"customer rejects", func(id string) {
				l.must(l.momo().Confirm(context.Background(), id, client.ConfirmParams{Channel: "wave", UserPhone: "+2250700000003"}))
			}, []checkout.EventType{checkout.EventPending, checkout.EventAsyncFailed}},
			{"stuck in processing", func(id string) {
				l.must(l.momo().Confirm(context.Background(), id, client.ConfirmParams{Channel: "mtn_momo", UserPhone: "+2250700000005"}))
			}, []checkout.EventType{checkout.EventPending, checkout.EventProcessing}},
		}
		for _, c := range cases {
			id := l.session("+2250700000009", false)
			c.act(id)
			var got []checkout.EventType
			deadline := time.Now().Add(20 * time.Second)
			for len(got) < len(c.types) && time.Now().Before(deadline) {
				events, err := l.env.Server.Store.EventList(context.Background(), p.Scope(), store.EventFilter{Limit: 100}, nil)
				if err != nil {
					t.Fatal(err)
				}
				got = got[:0]
				for i := len(events) - 1; i >= 0; i-- {
					if events[i].Session.ID == id {
						got = append(got, events[i].Type)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !slices.Equal(got, c.types) {
				t.Errorf("%s: events %v, want %v", c.name, got, c.types)
			}
		}
	})
}

// specFields are the session and event fields stripespec.json (the Stripe
// dialect's generated data) lists for version.
func specFields(t *testing.T, version string) (session, event []string) {
	t.Helper()
	raw, err := os.ReadFile("../httpapi/stripeapi/stripespec.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Versions []struct {
			Version       string
			SessionFields []string `json:"session_fields"`
			EventFields   []string `json:"event_fields"`
		}
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for _, v := range spec.Versions {
		if v.Version == version {
			return v.SessionFields, v.EventFields
		}
	}
	t.Fatalf("stripespec.json lists no %s", version)
	return nil, nil
}

func TestDeliveriesHaveTheEndpointVersionsFields(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		l := newLifecycle(t, dbURL)
		// /old is pinned to 2024-06-20; /new takes stripe-go's version from its Stripe-Version header.
		versions := map[string]string{"/old": "2024-06-20", "/new": stripe.APIVersion}
		secrets := map[string]string{}
		for path, version := range versions {
			form := url.Values{"url": {l.rcv.URL + path}, "enabled_events[]": {string(checkout.EventCompleted)}}
			if path == "/old" {
				form.Set("api_version", version)
			}
			secrets[path] = l.call("POST", "/v1/webhook_endpoints", form.Encode(), http.StatusOK)["secret"].(string)
		}
		l.session("+2250700000001", true)
		events := map[string]map[string]any{}
		for _, d := range l.rcv.Wait(t, 2, 20*time.Second) {
			if err := stripewebhook.ValidatePayload(d.Body, d.Header.Get("Stripe-Signature"), secrets[d.Path]); err != nil {
				t.Fatalf("%s: %v", d.Path, err)
			}
			var ev map[string]any
			if err := json.Unmarshal(d.Body, &ev); err != nil {
				t.Fatal(err)
			}
			events[d.Path] = ev
		}
		for path, version := range versions {
			ev := events[path]
			if ev["api_version"] != version {
				t.Fatalf("%s: api_version %v, want %s", path, ev["api_version"], version)
			}
			sessionFields, eventFields := specFields(t, version)
			if got := slices.Sorted(maps.Keys(ev)); !slices.Equal(got, eventFields) {
				t.Errorf("%s: event fields %v, want %s's %v", path, got, version, eventFields)
			}
			object := ev["data"].(map[string]any)["object"].(map[string]any)
			want := slices.DeleteFunc(append(slices.Clone(sessionFields), "shipping"), func(f string) bool { return f == "line_items" })
			if got := slices.Sorted(maps.Keys(object)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
				t.Errorf("%s: session fields %v, want %s's %v", path, got, version, want)
			}
		}
		// Hand-checked: 2024-06-20 has shipping_details, the hosted ui_mode and
		// no event context; dahlia moved the first into collected_information,
		// renamed the second hosted_page, and basil added the third.
		old, now := events["/old"], events["/new"]
		oldSession, newSession := old["data"].(map[string]any)["object"].(map[string]any), now["data"].(map[string]any)["object"].(map[string]any)
		_, oldContext := old["context"]
		_, newContext := now["context"]
		_, oldShipping := oldSession["shipping_details"]
		_, newShipping := newSession["shipping_details"]
		if oldContext || !newContext || !oldShipping || newShipping || oldSession["ui_mode"] != "hosted" || newSession["ui_mode"] != "hosted_page" {
			t.Errorf("context %v/%v, shipping_details %v/%v, ui_mode %v/%v (2024-06-20/%s)", oldContext, newContext,
				oldShipping, newShipping, oldSession["ui_mode"], newSession["ui_mode"], stripe.APIVersion)
		}
		if oldSession["status"] != "complete" || oldSession["amount_total"] != float64(5000) {
			t.Errorf("2024-06-20 session: status %v amount_total %v", oldSession["status"], oldSession["amount_total"])
		}
	})
}
