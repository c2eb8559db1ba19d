package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/config"
	"github.com/caisse/caisse/internal/connector"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
	"github.com/caisse/caisse/internal/webhook"
)

// liveFaults is a live-mode caisse whose operator (the fake operator) answers
// late: caisse gives up on a request after 200 ms, the operator holds its
// stalled start answers 1.5 s and decides a payment 500 ms after taking it.
type liveFaults struct {
	*lifecycle
	p merchant.Principal
}

func newLiveFaults(t *testing.T, dbURL, secret string) *liveFaults {
	t.Helper()
	fake := &connector.FakeOperator{Secret: operatorSecret, Delay: 500 * time.Millisecond, Stall: 1500 * time.Millisecond}
	op := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); op.Close() })
	l := newLifecycle(t, dbURL, testserver.WithSelfURL(), testserver.WithConfig(func(c *config.Config) {
		c.OperatorName, c.OperatorURL, c.OperatorSecret, c.OperatorTimeout = "operator", op.URL, secret, 200*time.Millisecond
	}))
	_, l.key = l.env.Merchant()
	p, err := l.env.Server.Merchants.Authenticate(context.Background(), l.key)
	if err != nil {
		t.Fatal(err)
	}
	return &liveFaults{lifecycle: l, p: p}
}

// history is the session's event types, oldest first.
func (f *liveFaults) history(id string) []checkout.EventType {
	f.t.Helper()
	list, err := f.env.Server.Store.EventList(context.Background(), f.p.Scope(), store.EventFilter{Limit: 100}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []checkout.EventType
	for _, e := range slices.Backward(list) {
		if e.Session.ID == id {
			out = append(out, e.Type)
		}
	}
	return out
}

// get reads the session from the store.
func (f *liveFaults) get(id string) store.Session {
	f.t.Helper()
	s, err := f.env.Server.Store.SessionGet(context.Background(), f.p.Scope(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

var (
	paidHistory     = []checkout.EventType{checkout.EventPending, checkout.EventProcessing, checkout.EventCompleted, checkout.EventAsyncSucceeded}
	declinedHistory = []checkout.EventType{checkout.EventPending, checkout.EventAsyncFailed}
)

// TestOperatorAmbiguityIsNotFailure pays live sessions through an operator
// that takes the money but answers the start request too late, with a 502,
// or never calls back: each ends completed, never failed on the way; a
// definitive decline fails; an operator that is down leaves the session
// pending until its deadline, then it expires.
func TestOperatorAmbiguityIsNotFailure(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		f := newLiveFaults(t, dbURL, operatorSecret)
		cases := []struct {
			name, phone string
			status      checkout.Status
			history     []checkout.EventType
		}{
			{"start times out, then the operator calls back", "+2250700000006", checkout.StatusCompleted, paidHistory},
			{"start answered 502, then the operator calls back", "+2250700000007", checkout.StatusCompleted, paidHistory},
			// No callback: the status query finds the payment succeeded.
			{"start times out, no callback ever", "+2250700000008", checkout.StatusCompleted, paidHistory},
			{"definitive decline", "+2250700000002", checkout.StatusFailed, declinedHistory},
		}
		ids := make([]string, len(cases))
		for i, c := range cases {
			ids[i] = f.session(c.phone, true) // confirm answers pending whatever the operator does
		}
		down := f.session("+2250700000009", true)
		for i, c := range cases {
			waitStatus(t, f.lifecycle, ids[i], c.status)
			if got := f.history(ids[i]); !slices.Equal(got, c.history) {
				t.Errorf("%s: events %v, want %v", c.name, got, c.history)
			}
			if s := f.get(ids[i]); !strings.HasPrefix(s.ConnectorRef, "op_") {
				t.Errorf("%s: operator ref %q not learnt", c.name, s.ConnectorRef)
			}
		}
		if s := f.get(ids[3]); s.FailureReason != "insufficient_funds" {
			t.Errorf("declined: failure_reason %q", s.FailureReason)
		}

		// The operator that is down answers 503 and keeps nothing: caisse
		// keeps asking, and the session stays pending until its deadline.
		if s := f.get(down); s.Status != checkout.StatusPending {
			t.Fatalf("operator down: the session is %s before its deadline", s.Status)
		}
		f.env.Clock.Follow(6 * time.Minute) // past the 5-minute deadline
		waitStatus(t, f.lifecycle, down, checkout.StatusExpired)
		if got := f.history(down); !slices.Equal(got, []checkout.EventType{checkout.EventPending, checkout.EventExpired}) {
			t.Errorf("operator down: events %v", got)
		}
	})
}

// TestOperatorSuccessAlwaysWins delivers the operator's signed success for a
// live session it had declined, and for one that expired while the operator
// still said pending: each is completed, with a late_success event after the
// completed ones.
func TestOperatorSuccessAlwaysWins(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		f := newLiveFaults(t, dbURL, operatorSecret)
		declined := f.session("+2250700000002", true)
		waitStatus(t, f.lifecycle, declined, checkout.StatusFailed)
		f.lateSuccess(declined, checkout.EventAsyncFailed)

		expired := f.session("+2250700000004", true) // the customer never answers
		waitRef := time.Now().Add(10 * time.Second)
		for f.get(expired).ConnectorRef == "" && time.Now().Before(waitRef) {
			time.Sleep(20 * time.Millisecond)
		}
		f.env.Clock.Follow(6 * time.Minute)
		waitStatus(t, f.lifecycle, expired, checkout.StatusExpired)
		f.lateSuccess(expired, checkout.EventExpired)
	})
}

// lateSuccess posts the operator's signed success for a session that ended
// unpaid with the event ended, and checks that it completes the session; a
// failure reported afterwards is then refused.
func (f *liveFaults) lateSuccess(id string, ended checkout.EventType) {
	f.t.Helper()
	ref := f.get(id).ConnectorRef
	post := func(status string) int {
		body := fmt.Sprintf(`{"id": %q, "reference": %q, "status": %q}`, ref, id, status)
		return callback(f.t, f.env.URL+"/v1/connectors/operator/callback", body, webhook.Sign(operatorSecret, []byte(body), time.Now()))
	}
	if got := post("succeeded"); got != http.StatusOK {
		f.t.Fatalf("late success callback after %s: %d", ended, got)
	}
	waitStatus(f.t, f.lifecycle, id, checkout.StatusCompleted)
	want := []checkout.EventType{checkout.EventPending, ended, checkout.EventCompleted, checkout.EventAsyncSucceeded, checkout.EventLateSuccess}
	if got := f.history(id); !slices.Equal(got, want) {
		f.t.Errorf("events %v, want %v", got, want)
	}
	if s := f.get(id); s.CompletedAt == nil || s.FailureReason != "" {
		f.t.Errorf("late success after %s: completed_at %v, failure_reason %q", ended, s.CompletedAt, s.FailureReason)
	}
	if got := post("failed"); got != http.StatusConflict { // contradicts the money taken
		f.t.Errorf("failure after success: %d, want 409", got)
	}
}

// TestOperatorRefusal fails a live session when the operator definitively
// refuses to start the payment (here: it does not accept caisse's signature).
func TestOperatorRefusal(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, func(t *testing.T, dbURL string) {
		f := newLiveFaults(t, dbURL, "opsec_not_the_operators")
		id := f.session("+2250700000001", true)
		waitStatus(t, f.lifecycle, id, checkout.StatusFailed)
		if s := f.get(id); s.FailureReason != checkout.ReasonOperatorRefused {
			t.Errorf("failure_reason %q, want %q", s.FailureReason, checkout.ReasonOperatorRefused)
		}
		if got := f.history(id); !slices.Equal(got, declinedHistory) {
			t.Errorf("events %v", got)
		}
	})
}
