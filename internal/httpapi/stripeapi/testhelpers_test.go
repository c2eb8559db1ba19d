package stripeapi_test

// caisse's test helpers in Stripe's test_helpers namespace: forcing a test
// session's outcome, judged through stripe-go and the mobile-money API.

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stripe/stripe-go/v85"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/randid"
	"github.com/caisse/caisse/internal/testdb"
)

// form sends a request under key with a form-encoded body; headers come in name, value pairs.
func (e *env) form(t *testing.T, key, method, path, body string, headers ...string) response {
	t.Helper()
	return e.do(t, method, path, body,
		append([]string{"Authorization", bearer(key), "Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// force calls the test helper outcome (complete, fail, expire) on session id.
func (e *env) force(t *testing.T, key, id, outcome, body string) response {
	t.Helper()
	return e.form(t, key, http.MethodPost, "/v1/test_helpers/checkout/sessions/"+id+"/"+outcome, body)
}

// forced decodes a test helper's 200 answer as stripe-go's session.
func forced(t *testing.T, r response) *stripe.CheckoutSession {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("test helper: %d %s", r.status, r.raw)
	}
	var s stripe.CheckoutSession
	if err := json.Unmarshal(r.raw, &s); err != nil || s.Object != "checkout.session" {
		t.Fatalf("test helper answered %s (%v), want a checkout.session", r.raw, err)
	}
	s.LastResponse = &stripe.APIResponse{RawJSON: r.raw}
	return &s
}

func TestTestHelpers(t *testing.T) {
	t.Parallel()
	notOpen := wantErr{http.StatusBadRequest, stripe.ErrorTypeInvalidRequest, "checkout_session_not_open", "", ""}
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		e := newEnv(t, dbURL)
		a := e.account()
		ctx := context.Background()
		cases := []struct {
			outcome, body string
			canonical     checkout.Status // the status afterwards
			reason        string          // the mobile-money failure_reason afterwards ("": null)
		}{
			{checkout.OutcomeComplete, "", checkout.StatusCompleted, ""},
			{checkout.OutcomeFail, "failure_reason=card_declined", checkout.StatusFailed, "card_declined"},
			{checkout.OutcomeFail, "", checkout.StatusFailed, checkout.ReasonTestFailure},
			{checkout.OutcomeExpire, "", checkout.StatusExpired, ""},
		}
		for _, from := range []checkout.Status{checkout.StatusCreated, checkout.StatusPending} {
			for _, c := range cases {
				name := c.outcome + " from " + string(from)
				if c.body != "" {
					name += " with " + c.body
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					s := a.create(t, params())
					e.moveTo(t, a, s.ID, from)
					got := forced(t, e.force(t, a.key, s.ID, c.outcome, c.body))
					if got.ID != s.ID {
						t.Fatalf("forced %s, asked %s", got.ID, s.ID)
					}
					checkView(t, got, c.canonical)
					again, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
					if err != nil {
						t.Fatal(err)
					}
					checkView(t, again, c.canonical)
					m := e.momoGet(t, a.key, s.ID)
					reason := ""
					if m.FailureReason != nil {
						reason = *m.FailureReason
					}
					if m.Status != string(c.canonical) || reason != c.reason || (m.FailureReason != nil && reason == "") {
						t.Fatalf("mobile-money view: status %v failure_reason %q, want %s %q", m.Status, reason, c.canonical, c.reason)
					}
					// The session has finished: no outcome can be forced on it any more.
					checkErr(t, apiErr(t, e.force(t, a.key, s.ID, c.outcome, "")), notOpen)
				})
			}
		}
		t.Run("refusals", func(t *testing.T) {
			refusals := []struct {
				name    string
				from    checkout.Status
				outcome string
				want    wantErr
			}{
				{"expire processing", checkout.StatusProcessing, checkout.OutcomeExpire, wantErr{notOpen.status, notOpen.typ, notOpen.code, "",
					"This Checkout Session's payment is being processed; it can no longer be expired."}},
				{"complete completed", checkout.StatusCompleted, checkout.OutcomeComplete, wantErr{notOpen.status, notOpen.typ, notOpen.code, "",
					"can be completed. This Checkout Session has a status of `complete`."}},
				{"fail expired", checkout.StatusExpired, checkout.OutcomeFail, wantErr{notOpen.status, notOpen.typ, notOpen.code, "",
					"can be failed. This Checkout Session has a status of `expired`."}},
				{"expire cancelled", checkout.StatusCancelled, checkout.OutcomeExpire, wantErr{notOpen.status, notOpen.typ, notOpen.code, "",
					"can be expired. This Checkout Session has a status of `expired`."}},
			}
			for _, c := range refusals {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s := a.create(t, params())
					e.moveTo(t, a, s.ID, c.from)
					checkErr(t, apiErr(t, e.force(t, a.key, s.ID, c.outcome, "")), c.want)
					got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
					if err != nil {
						t.Fatal(err)
					}
					checkView(t, got, c.from)
				})
			}
		})
		t.Run("processing completes or fails", func(t *testing.T) {
			for outcome, want := range map[string]checkout.Status{checkout.OutcomeComplete: checkout.StatusCompleted, checkout.OutcomeFail: checkout.StatusFailed} {
				s := a.create(t, params())
				e.moveTo(t, a, s.ID, checkout.StatusProcessing)
				checkView(t, forced(t, e.force(t, a.key, s.ID, outcome, "")), want)
			}
		})
		t.Run("live key", func(t *testing.T) {
			s := a.create(t, params())
			live, err := e.client(a.liveKey).V1CheckoutSessions.Create(ctx, params())
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{s.ID, live.ID} {
				for _, outcome := range []string{checkout.OutcomeComplete, checkout.OutcomeFail, checkout.OutcomeExpire} {
					path := "/v1/test_helpers/checkout/sessions/" + id + "/" + outcome
					// Whatever the parameters: there is no such route to read them.
					for _, body := range []string{"", "bogus=1"} {
						r := e.force(t, a.liveKey, id, outcome, body)
						checkErr(t, apiErr(t, r), wantErr{http.StatusNotFound, stripe.ErrorTypeInvalidRequest, "", "",
							"Unrecognized request URL (POST: " + path + ")."})
					}
				}
			}
			// Neither session moved.
			for id, sc := range map[string]*stripe.Client{s.ID: a.sc, live.ID: e.client(a.liveKey)} {
				got, err := sc.V1CheckoutSessions.Retrieve(ctx, id, nil)
				if err != nil {
					t.Fatal(err)
				}
				checkView(t, got, checkout.StatusCreated)
			}
		})
		t.Run("not found and bad parameters", func(t *testing.T) {
			other := e.account()
			s := a.create(t, params())
			unknown := "cs_test_" + randid.String(24)
			checkErr(t, apiErr(t, e.force(t, a.key, unknown, checkout.OutcomeComplete, "")), wantErr{http.StatusNotFound,
				stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", "No such checkout.session: '" + unknown + "'"})
			checkErr(t, apiErr(t, e.force(t, other.key, s.ID, checkout.OutcomeFail, "")), wantErr{http.StatusNotFound,
				stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeResourceMissing, "id", "No such checkout.session: '" + s.ID + "'"})
			checkErr(t, apiErr(t, e.force(t, a.key, s.ID, checkout.OutcomeComplete, "failure_reason=x")), wantErr{http.StatusBadRequest,
				stripe.ErrorTypeInvalidRequest, stripe.ErrorCodeParameterUnknown, "failure_reason", "Received unknown parameter: failure_reason"})
			checkErr(t, apiErr(t, e.force(t, a.key, s.ID, checkout.OutcomeFail, "failure_reason=%00")), wantErr{http.StatusBadRequest,
				stripe.ErrorTypeInvalidRequest, "", "failure_reason", "Invalid failure_reason"})
			got, err := a.sc.V1CheckoutSessions.Retrieve(ctx, s.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkView(t, got, checkout.StatusCreated)
		})
		t.Run("expand", func(t *testing.T) {
			s := a.create(t, params())
			got := forced(t, e.force(t, a.key, s.ID, checkout.OutcomeComplete, "expand[]=line_items"))
			if got.LineItems == nil || len(got.LineItems.Data) != 1 {
				t.Fatalf("expand[]=line_items: line items %+v", got.LineItems)
			}
		})
	})
}
