package checkout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caisse/caisse/internal/checkout"
	"github.com/caisse/caisse/internal/merchant"
	"github.com/caisse/caisse/internal/store"
	"github.com/caisse/caisse/internal/testdb"
	"github.com/caisse/caisse/internal/testserver"
)

// TestEveryStatusAndAction runs each action on a session in each status: the
// allowed ones move it where they should, the others are refused with a
// StateError and leave it as it was.
func TestEveryStatusAndAction(t *testing.T) {
	t.Parallel()
	env, p := newMerchant(t)
	ctx := context.Background()
	svc := env.Server.Checkout
	actions := []struct {
		name string
		run  func(id string) (checkout.Session, error)
		to   map[checkout.Status]checkout.Status // from → to, for the statuses that allow it
	}{
		{"confirm", func(id string) (checkout.Session, error) {
			return svc.Confirm(ctx, p, id, checkout.ConfirmParams{Channel: "wave"})
		}, map[checkout.Status]checkout.Status{"created": "pending", "failed": "pending"}}, // from failed: a retry
		{"cancel", func(id string) (checkout.Session, error) { return svc.Cancel(ctx, p, id) },
			map[checkout.Status]checkout.Status{"created": "cancelled", "pending": "cancelled"}},
		{"expire", func(id string) (checkout.Session, error) { return svc.Expire(ctx, p, id) },
			map[checkout.Status]checkout.Status{"created": "expired", "pending": "expired"}},
		{"force complete", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeComplete, "")
		}, map[checkout.Status]checkout.Status{"created": "completed", "pending": "completed", "processing": "completed"}},
		{"force fail", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeFail, "insufficient_funds")
		}, map[checkout.Status]checkout.Status{"created": "failed", "pending": "failed", "processing": "failed"}},
		{"force expire", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeExpire, "")
		}, map[checkout.Status]checkout.Status{"created": "expired", "pending": "expired"}},
	}
	for _, a := range actions {
		for _, from := range checkout.Statuses {
			id := sessionIn(t, env, p, from)
			got, err := a.run(id)
			after, rerr := svc.Get(ctx, p, id)
			if rerr != nil {
				t.Fatal(rerr)
			}
			want, allowed := a.to[from]
			var se *checkout.StateError
			switch {
			case allowed && (err != nil || got.Status != want || after.Status != want):
				t.Errorf("%s from %s: %v, status %q then %q, want %s", a.name, from, err, got.Status, after.Status, want)
			case !allowed && (!errors.As(err, &se) || after.Status != from):
				t.Errorf("%s from %s: error %v, status %q; want a StateError and %s unchanged", a.name, from, err, after.Status, from)
			}
		}
	}
}

// TestRetryAfterFailure: a failed session confirmed again before its
// deadline starts a new attempt (new id, the previous one's start and failure
// cleared, a pending event); after its deadline it cannot be.
func TestRetryAfterFailure(t *testing.T) {
	t.Parallel()
	env, p := newMerchant(t)
	ctx := context.Background()
	svc := env.Server.Checkout
	id := sessionIn(t, env, p, "created")
	first, err := svc.Confirm(ctx, p, id, checkout.ConfirmParams{Channel: "wave", UserPhone: "+2250700000002"})
	if err != nil || first.Attempt == "" {
		t.Fatalf("confirm: %+v, %v", first, err)
	}
	failed, err := svc.ForceOutcome(ctx, p, id, checkout.OutcomeFail, "insufficient_funds")
	if err != nil || failed.Status != "failed" {
		t.Fatalf("fail: %q, %v", failed.Status, err)
	}
	again, err := svc.Confirm(ctx, p, id, checkout.ConfirmParams{Channel: "orange_money", UserPhone: "+2250707000001"})
	switch {
	case err != nil || again.Status != "pending":
		t.Fatalf("retry: %q, %v", again.Status, err)
	case again.Attempt == "" || again.Attempt == first.Attempt:
		t.Errorf("retry attempt %q, first %q: want a new one", again.Attempt, first.Attempt)
	case again.FailureReason != "" || again.Channel != "orange_money" || again.UserPhone != "+2250707000001":
		t.Errorf("retry kept the failed attempt's fields: %+v", again)
	case again.ConnectorRef == "" || again.ConnectorRef == first.ConnectorRef:
		t.Errorf("retry ref %q, first %q: want the new attempt's own", again.ConnectorRef, first.ConnectorRef)
	}
	events, err := env.Server.Store.EventList(ctx, p.Scope(), store.EventFilter{Types: []store.EventType{checkout.EventPending}, Limit: 10}, nil)
	if err != nil || len(events) != 2 {
		t.Errorf("pending events: %d (%v), want 2 (confirm, then retry)", len(events), err)
	}

	late := sessionIn(t, env, p, "failed")
	env.Clock.Set(env.Clock.Now().Add(checkout.DefaultExpiresIn * time.Second))
	var se *checkout.StateError
	if got, err := svc.Confirm(ctx, p, late, checkout.ConfirmParams{Channel: "wave"}); !errors.As(err, &se) || got.Status != "failed" {
		t.Errorf("retry after the deadline: %q, %v; want a StateError", got.Status, err)
	}
}

// newMerchant starts a server on SQLite and returns it with a test-mode merchant.
func newMerchant(t *testing.T) (*testserver.Env, merchant.Principal) {
	t.Helper()
	env := testserver.Start(t, testdb.SQLiteURL(t))
	key, _ := env.Merchant()
	p, err := env.Server.Merchants.Authenticate(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return env, p
}

// sessionIn creates a session and walks it to status through the store.
func sessionIn(t *testing.T, env *testserver.Env, p merchant.Principal, status checkout.Status) string {
	t.Helper()
	ctx := context.Background()
	s, err := env.Server.Checkout.Create(ctx, p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000004"})
	if err != nil {
		t.Fatal(err)
	}
	from := checkout.StatusCreated
	for _, tr := range checkout.Route(from, status) {
		if _, err := env.Server.Store.SessionChangeStatus(ctx, p.Scope(), store.StatusChange{ID: s.ID, From: from, To: tr.To, At: env.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		from = tr.To
	}
	if from != status {
		t.Fatalf("cannot walk a session to %s", status)
	}
	return s.ID
}

// TestProcessingOutlivesItsDeadline: at its deadline a processing session is
// left waiting for the operator; created and pending ones expire, on read too.
func TestProcessingOutlivesItsDeadline(t *testing.T) {
	t.Parallel()
	env, p := newMerchant(t)
	ctx := context.Background()
	start := env.Clock.Now()
	ids := map[checkout.Status]string{}
	for _, st := range []checkout.Status{"created", "pending", "processing"} {
		ids[st] = sessionIn(t, env, p, st)
	}
	env.Clock.Set(start.Add(checkout.DefaultExpiresIn * time.Second))
	for st, want := range map[checkout.Status]checkout.Status{"created": "expired", "pending": "expired", "processing": "processing"} {
		got, err := env.Server.Checkout.Get(ctx, p, ids[st])
		if err != nil || got.Status != want {
			t.Errorf("%s session read at its deadline: %q (%v), want %s", st, got.Status, err, want)
		}
	}
	if got, err := env.Server.Checkout.ForceOutcome(ctx, p, ids["processing"], checkout.OutcomeComplete, ""); err != nil || got.Status != "completed" {
		t.Errorf("processing session past its deadline completes: %q (%v)", got.Status, err)
	}
}

// TestReadsNeverWrite reads, lists and searches a session past its deadline:
// each shows it expired, yet the store still holds it created with no event;
// the sweep then writes the move and its event, once.
func TestReadsNeverWrite(t *testing.T) {
	t.Parallel()
	env, p := newMerchant(t)
	ctx := context.Background()
	svc := env.Server.Checkout
	start := env.Clock.Now()
	id := sessionIn(t, env, p, checkout.StatusCreated)
	env.Clock.Set(start.Add(checkout.DefaultExpiresIn * time.Second))

	stored := func() (checkout.Status, int) {
		t.Helper()
		s, err := env.Server.Store.SessionGet(ctx, p.Scope(), id)
		if err != nil {
			t.Fatal(err)
		}
		events, err := env.Server.Store.EventList(ctx, p.Scope(), store.EventFilter{Limit: 10}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.Status, len(events)
	}
	got, err := svc.Get(ctx, p, id)
	if err != nil || got.Status != checkout.StatusExpired {
		t.Fatalf("Get: %q (%v), want expired", got.Status, err)
	}
	if _, _, err := svc.Lookup(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, statuses := range [][]checkout.Status{{checkout.StatusExpired}, nil} {
		found, total, err := svc.Search(ctx, p, store.SessionFilter{Statuses: statuses, Limit: 10})
		if err != nil || total != (store.Total{Count: 1}) || len(found) != 1 || found[0].Status != checkout.StatusExpired {
			t.Errorf("Search %v: %+v %v (%v), want the session, expired", statuses, total, found, err)
		}
		listed, _, err := svc.List(ctx, p, checkout.ListParams{Filter: store.SessionFilter{Statuses: statuses, Limit: 10}})
		if err != nil || len(listed) != 1 || listed[0].Status != checkout.StatusExpired {
			t.Errorf("List %v: %v (%v), want the session, expired", statuses, listed, err)
		}
	}
	if found, total, _ := svc.Search(ctx, p, store.SessionFilter{Statuses: []checkout.Status{checkout.StatusCreated}, Limit: 10}); total != (store.Total{}) || len(found) != 0 {
		t.Errorf("Search created: %+v %v, want none", total, found)
	}
	if status, events := stored(); status != checkout.StatusCreated || events != 0 {
		t.Fatalf("after the reads the store holds %s with %d events, want created and none", status, events)
	}
	for range 2 {
		if _, err := svc.Sweep(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if status, events := stored(); status != checkout.StatusExpired || events != 1 {
		t.Fatalf("after the sweep the store holds %s with %d events, want expired and one", status, events)
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	cases := map[[2]checkout.Status]string{
		{"created", "completed"}: "confirm approve pay",
		{"created", "failed"}:    "confirm decline",
		{"pending", "completed"}: "approve pay",
		{"created", "expired"}:   "expire",
		{"processing", "failed"}: "decline",
	}
	for c, want := range cases {
		var names []string
		for _, tr := range checkout.Route(c[0], c[1]) {
			names = append(names, tr.Name)
		}
		if s := strings.Join(names, " "); s != want {
			t.Errorf("Route(%s, %s) = %q, want %q", c[0], c[1], s, want)
		}
	}
	// No route through a late success: only an operator's word takes it.
	for _, c := range [][2]checkout.Status{{"processing", "expired"}, {"completed", "failed"}, {"created", "created"},
		{"expired", "pending"}, {"failed", "completed"}, {"expired", "completed"}} {
		if got := checkout.Route(c[0], c[1]); got != nil {
			t.Errorf("Route(%s, %s) = %v, want none", c[0], c[1], got)
		}
	}
}
