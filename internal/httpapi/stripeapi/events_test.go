package stripeapi_test

// Events, judged by stripe-go's events service, and caisse's webhook_attempts
// and resend extensions. Events are made by the test helpers; the server runs
// no background jobs, so nothing is delivered here.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/notify"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
)

// madeEvent is an event a test expects: its session, type and creation time.
type madeEvent struct {
	session string
	typ     checkout.EventType
	created int64
	status  string // the Stripe status of the session the event carries
}

// eventTypes are the types of events, in order.
func eventTypes(evs []*stripe.Event) []checkout.EventType {
	var types []checkout.EventType
	for _, e := range evs {
		types = append(types, checkout.EventType(e.Type))
	}
	return types
}

// eventIDs are the ids of events, in order.
func eventIDs(evs []*stripe.Event) []string {
	return pluck(evs, func(e *stripe.Event) string { return e.ID })
}

// checkEvents fails the test unless evs are want, in order, as stripe-go reads them.
func checkEvents(t *testing.T, what string, evs []*stripe.Event, want []madeEvent) {
	t.Helper()
	var errs []string
	if len(evs) != len(want) {
		t.Fatalf("%s: %d events %v, want %d", what, len(evs), eventTypes(evs), len(want))
	}
	for i, ev := range evs {
		w := want[i]
		var obj map[string]any
		if ev.Data != nil {
			obj = ev.Data.Object
		}
		if !strings.HasPrefix(ev.ID, "evt_") || ev.Object != "event" || checkout.EventType(ev.Type) != w.typ ||
			ev.Created != w.created || ev.Livemode || ev.APIVersion != notify.DefaultAPIVersion || ev.PendingWebhooks != 0 ||
			ev.Request != nil || obj["id"] != w.session || obj["object"] != "checkout.session" || obj["status"] != w.status {
			errs = append(errs, fmt.Sprintf("event %d: %s %s %s created %d livemode %v api_version %s data.object %v %v %v; want %+v",
				i, ev.ID, ev.Object, ev.Type, ev.Created, ev.Livemode, ev.APIVersion, obj["object"], obj["id"], obj["status"], w))
		}
	}
	if len(errs) > 0 {
		t.Fatalf("%s:\n  %s", what, strings.Join(errs, "\n  "))
	}
}

// pick returns the events of want that keep accepts, in order.
func pick(want []madeEvent, keep func(madeEvent) bool) []madeEvent {
	var out []madeEvent
	for _, w := range want {
		if keep(w) {
			out = append(out, w)
		}
	}
	return out
}

func TestEvents(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		ctx := context.Background()

		// Three sessions, ten seconds apart: completed, failed, expired.
		t0 := e.Clock.Now()
		var sessions []string
		for i, c := range []struct{ outcome, body string }{
			{checkout.OutcomeComplete, ""}, {checkout.OutcomeFail, "failure_reason=card_declined"}, {checkout.OutcomeExpire, ""},
		} {
			e.Clock.Set(t0.Add(time.Duration(i) * 10 * time.Second))
			s := a.create(t, params())
			forced(t, e.force(t, a.key, s.ID, c.outcome, c.body))
			sessions = append(sessions, s.ID)
		}
		at := func(i int) int64 { return t0.Unix() + int64(i)*10 }
		// Newest first; the events of one change share its second and keep their order.
		all := []madeEvent{
			{sessions[2], checkout.EventExpired, at(2), "expired"},
			{sessions[1], checkout.EventAsyncFailed, at(1), "expired"},
			{sessions[1], checkout.EventPending, at(1), "open"},
			{sessions[0], checkout.EventAsyncSucceeded, at(0), "complete"},
			{sessions[0], checkout.EventCompleted, at(0), "complete"},
			{sessions[0], checkout.EventProcessing, at(0), "open"},
			{sessions[0], checkout.EventPending, at(0), "open"},
		}
		evs := collect(t, a.sc.V1Events.List(ctx, nil))
		checkEvents(t, "all events", evs, all)
		ids := eventIDs(evs)

		t.Run("raw list", func(t *testing.T) {
			p, r := e.page(t, "/v1/events?limit=100", "", "Authorization", bearer(a.key))
			if p.Object != "list" || p.URL != "/v1/events" || p.HasMore {
				t.Fatalf("envelope %s", r.raw)
			}
			sameIDs(t, "raw list", p.ids(), ids)
			for _, ev := range p.Data {
				if v, ok := ev["request"]; !ok || v != nil {
					t.Fatalf("request %v (present %v), want null", v, ok)
				}
			}
			// ending_before pages back towards the newest.
			p, _ = e.page(t, "/v1/events?limit=2&ending_before="+ids[5], "", "Authorization", bearer(a.key))
			if sameIDs(t, "ending_before", p.ids(), ids[3:5]); !p.HasMore {
				t.Fatal("ending_before: has_more false with newer events left")
			}
			p, _ = e.page(t, "/v1/events?limit=3&starting_after="+ids[1], "", "Authorization", bearer(a.key))
			if sameIDs(t, "starting_after", p.ids(), ids[2:5]); !p.HasMore {
				t.Fatal("starting_after: has_more false with older events left")
			}
		})

		t.Run("auto-pagination", func(t *testing.T) {
			p := &stripe.EventListParams{}
			p.Limit = stripe.Int64(2)
			sameIDs(t, "pages of 2", eventIDs(collect(t, a.sc.V1Events.List(ctx, p))), ids)
		})

		t.Run("filters", func(t *testing.T) {
			created := func(r stripe.RangeQueryParams) *stripe.EventListParams {
				return &stripe.EventListParams{CreatedRange: &r}
			}
			cases := []struct {
				name string
				p    *stripe.EventListParams
				want []madeEvent
			}{
				{"type", &stripe.EventListParams{Type: stripe.String(string(checkout.EventCompleted))},
					pick(all, func(w madeEvent) bool { return w.typ == checkout.EventCompleted })},
				{"type pattern", &stripe.EventListParams{Type: stripe.String("checkout.session.async_payment_*")},
					pick(all, func(w madeEvent) bool { return strings.Contains(string(w.typ), "async_payment") })},
				{"type *", &stripe.EventListParams{Type: stripe.String("*")}, all},
				{"types", &stripe.EventListParams{Types: stripe.StringSlice([]string{string(checkout.EventPending), string(checkout.EventExpired)})},
					pick(all, func(w madeEvent) bool { return w.typ == checkout.EventPending || w.typ == checkout.EventExpired })},
				{"created gte", created(stripe.RangeQueryParams{GreaterThanOrEqual: at(1)}),
					pick(all, func(w madeEvent) bool { return w.created >= at(1) })},
				{"created lt", created(stripe.RangeQueryParams{LesserThan: at(1)}),
					pick(all, func(w madeEvent) bool { return w.created < at(1) })},
				{"created gt lte", created(stripe.RangeQueryParams{GreaterThan: at(0), LesserThanOrEqual: at(1)}),
					pick(all, func(w madeEvent) bool { return w.created == at(1) })},
				{"created", &stripe.EventListParams{Created: stripe.Int64(at(2))},
					pick(all, func(w madeEvent) bool { return w.created == at(2) })},
				{"type and created", &stripe.EventListParams{Type: stripe.String(string(checkout.EventPending)),
					CreatedRange: &stripe.RangeQueryParams{GreaterThanOrEqual: at(1)}}, all[2:3]},
				{"nothing", created(stripe.RangeQueryParams{GreaterThan: at(2)}), nil},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.p.Limit = stripe.Int64(2)
					checkEvents(t, c.name, collect(t, a.sc.V1Events.List(ctx, c.p)), c.want)
				})
			}
		})

		t.Run("retrieve", func(t *testing.T) {
			for i, id := range ids {
				ev, err := a.sc.V1Events.Retrieve(ctx, id, nil)
				if err != nil {
					t.Fatalf("retrieve %s: %v", id, err)
				}
				checkEvents(t, "retrieve "+id, []*stripe.Event{ev}, all[i:i+1])
			}
		})

		t.Run("another merchant's", func(t *testing.T) {
			for _, sc := range []*stripe.Client{other.sc, e.client(a.liveKey)} {
				if got := collect(t, sc.V1Events.List(ctx, nil)); len(got) != 0 {
					t.Fatalf("another scope lists %v", eventIDs(got))
				}
				_, err := sc.V1Events.Retrieve(ctx, ids[0], nil)
				checkErr(t, err, wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing,
					"id", "No such event: '" + ids[0] + "'"})
				err = listErr(sc.V1Events.List(ctx, &stripe.EventListParams{ListParams: stripe.ListParams{StartingAfter: stripe.String(ids[0])}}))
				checkErr(t, err, wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing,
					"starting_after", "No such event: '" + ids[0] + "'"})
			}
			unknown := "evt_" + randid.String(24)
			_, err := a.sc.V1Events.Retrieve(ctx, unknown, nil)
			checkErr(t, err, wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing,
				"id", "No such event: '" + unknown + "'"})
		})

		t.Run("errors", func(t *testing.T) {
			bad := func(code stripe.ErrorCode, param, msg string) wantErr {
				return wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, code, param, msg}
			}
			cases := []struct {
				query string
				want  wantErr
			}{
				{"type=checkout.session.completed&types[]=checkout.session.expired",
					bad(stripe.ErrorCodeParametersExclusive, "types", "You may only specify one of these parameters: type, types.")},
				{"type=charge.succeeded", bad("", "type", `Invalid type: "charge.succeeded" is not an event type caisse sends`)},
				{"type=charge.*", bad("", "type", `Invalid type: "charge.*" is not an event type caisse sends, nor a pattern matching one.`)},
				{"types[]=checkout.session.completed&types[]=charge.succeeded",
					bad("", "types", `Invalid types: "charge.succeeded" is not an event type caisse sends.`)},
				{"limit=0", bad(stripe.ErrorCodeParameterInvalidInteger, "limit", "Invalid limit: 0.")},
				{"created[gte]=soon", bad(stripe.ErrorCodeParameterInvalidInteger, "created[gte]", "Invalid integer: soon")},
				{"starting_after=evt_nope", bad(stripe.ErrorCodeResourceMissing, "starting_after", "No such event: 'evt_nope'")},
				{"delivery_success=true", bad(stripe.ErrorCodeParameterUnknown, "delivery_success", "Received unknown parameter: delivery_success")},
			}
			for _, c := range cases {
				r := e.do(t, http.MethodGet, "/v1/events?"+c.query, "", "Authorization", bearer(a.key))
				checkErr(t, apiErr(t, r), c.want)
			}
			r := e.do(t, http.MethodGet, "/v1/events/"+ids[0]+"?expand[]=data.object", "", "Authorization", bearer(a.key))
			checkErr(t, apiErr(t, r), bad(stripe.ErrorCodeParameterUnknown, "expand", "Received unknown parameter: expand"))
		})
	})
}

// jsonEqual fails the test unless raw is the JSON value want.
func jsonEqual(t *testing.T, what string, raw []byte, want any) {
	t.Helper()
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %s is not JSON", what, raw)
	}
	w, _ := json.Marshal(want) // maps marshal with sorted keys: equal values give equal text
	g, _ := json.Marshal(got)
	if string(g) != string(w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func TestEventAttemptsAndResend(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a, other := e.account(), e.account()
		ctx := context.Background()
		s := a.create(t, params())
		forced(t, e.force(t, a.key, s.ID, checkout.OutcomeComplete, ""))
		evs := collect(t, a.sc.V1Events.List(ctx, nil))
		if got := eventTypes(evs); !slices.Equal(got, []checkout.EventType{checkout.EventAsyncSucceeded, checkout.EventCompleted,
			checkout.EventProcessing, checkout.EventPending}) {
			t.Fatalf("complete wrote %v", got)
		}
		succeeded, completed := evs[0].ID, evs[1].ID
		var wantAttempts []any
		resend := func(key, id string, form url.Values) response {
			return e.form(t, key, http.MethodPost, "/v1/events/"+id+"/resend", form.Encode())
		}
		wantQueued := func(r response, id string, n int) {
			t.Helper()
			if r.status != http.StatusOK {
				t.Fatalf("resend %s: %d %s", id, r.status, r.raw)
			}
			jsonEqual(t, "resend "+id, r.raw, map[string]any{"object": "event_resend", "event": id, "queued": n})
		}
		noEndpoint := func(id string) wantErr {
			return wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing,
				"webhook_endpoint", "No such webhook endpoint: '" + id + "'"}
		}

		// No endpoint: no attempt, nothing to queue.
		r := e.form(t, a.key, http.MethodGet, "/v1/events/"+succeeded+"/webhook_attempts", "")
		if r.status != http.StatusOK {
			t.Fatalf("webhook_attempts: %d %s", r.status, r.raw)
		}
		jsonEqual(t, "webhook_attempts", r.raw, map[string]any{"object": "list",
			"url": "/v1/events/" + succeeded + "/webhook_attempts", "has_more": false, "data": []any{}})
		wantQueued(resend(a.key, succeeded, nil), succeeded, 0)
		checkErr(t, apiErr(t, resend(a.key, succeeded, url.Values{"webhook_endpoint": {"we_nope"}})), noEndpoint("we_nope"))

		// An endpoint taking only checkout.session.completed.
		ep, err := a.sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("http://localhost:1234/hook"), EnabledEvents: stripe.StringSlice([]string{string(checkout.EventCompleted)})})
		if err != nil {
			t.Fatal(err)
		}
		wantQueued(resend(a.key, completed, nil), completed, 1)
		wantQueued(resend(a.key, succeeded, nil), succeeded, 0)                                     // not a type it takes
		wantQueued(resend(a.key, succeeded, url.Values{"webhook_endpoint": {ep.ID}}), succeeded, 1) // named: sent anyway

		// Replayed under its Idempotency-Key, a resend queues nothing more.
		key := "resend-" + randid.String(8)
		first := e.form(t, a.key, http.MethodPost, "/v1/events/"+completed+"/resend", "", "Idempotency-Key", key)
		again := e.form(t, a.key, http.MethodPost, "/v1/events/"+completed+"/resend", "", "Idempotency-Key", key)
		wantQueued(again, completed, 1)
		if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("Idempotent-Replayed %q then %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
		}

		// A disabled endpoint gets nothing.
		if _, err := a.sc.V1WebhookEndpoints.Update(ctx, ep.ID, &stripe.WebhookEndpointUpdateParams{Disabled: stripe.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		wantQueued(resend(a.key, completed, nil), completed, 0)
		checkErr(t, apiErr(t, resend(a.key, completed, url.Values{"webhook_endpoint": {ep.ID}})), noEndpoint(ep.ID))

		// Attempts are listed oldest first. They are made by delivery jobs, which
		// this server does not run: set-up records them as a delivery would.
		t1 := e.Clock.Now()
		for i, at := range []store.Attempt{
			{StatusCode: 0, Latency: 10 * time.Second, Error: "no answer within 10s"},
			{StatusCode: 500, Latency: 1500 * time.Microsecond, Error: "HTTP 500"},
			{StatusCode: 204, Latency: 42 * time.Millisecond, Succeeded: true},
		} {
			at.ID, at.Scope, at.EventID, at.EndpointID = "wha_"+randid.String(24), a.scope, completed, ep.ID
			at.JobID, at.Attempt, at.CreatedAt = 7, i+1, t1.Add(time.Duration(i)*time.Minute)
			if err := e.Server.Store.AttemptCreate(ctx, at); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"id": at.ID, "object": "webhook_attempt", "event": completed, "webhook_endpoint": ep.ID,
				"attempt": i + 1, "created": at.CreatedAt.Unix(), "status_code": nil, "latency_ms": at.Latency.Milliseconds(),
				"error": nil, "succeeded": at.Succeeded}
			if at.StatusCode != 0 {
				want["status_code"] = at.StatusCode
			}
			if at.Error != "" {
				want["error"] = at.Error
			}
			wantAttempts = append(wantAttempts, want)
		}
		r = e.form(t, a.key, http.MethodGet, "/v1/events/"+completed+"/webhook_attempts", "")
		jsonEqual(t, "webhook_attempts", r.raw, map[string]any{"object": "list",
			"url": "/v1/events/" + completed + "/webhook_attempts", "has_more": false, "data": wantAttempts})
		r = e.form(t, a.key, http.MethodGet, "/v1/events/"+succeeded+"/webhook_attempts", "")
		jsonEqual(t, "another event's webhook_attempts", r.raw, map[string]any{"object": "list",
			"url": "/v1/events/" + succeeded + "/webhook_attempts", "has_more": false, "data": []any{}})

		// Another merchant's event and endpoint.
		otherEp, err := other.sc.V1WebhookEndpoints.Create(ctx, &stripe.WebhookEndpointCreateParams{
			URL: stripe.String("http://localhost:1234/other"), EnabledEvents: stripe.StringSlice([]string{"*"})})
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, apiErr(t, resend(a.key, completed, url.Values{"webhook_endpoint": {otherEp.ID}})), noEndpoint(otherEp.ID))
		for _, key := range []string{other.key, a.liveKey} {
			noEvent := wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing,
				"id", "No such event: '" + completed + "'"}
			checkErr(t, apiErr(t, resend(key, completed, nil)), noEvent)
			checkErr(t, apiErr(t, e.form(t, key, http.MethodGet, "/v1/events/"+completed+"/webhook_attempts", "")), noEvent)
		}
		r = e.form(t, a.key, http.MethodGet, "/v1/events/"+completed+"/webhook_attempts?limit=3", "")
		checkErr(t, apiErr(t, r), wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown,
			"limit", "Received unknown parameter: limit"})
		r = resend(a.key, completed, url.Values{"endpoint": {ep.ID}})
		checkErr(t, apiErr(t, r), wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown,
			"endpoint", "Received unknown parameter: endpoint"})
	})
}
