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
		}, map[checkout.Status]checkout.Status{"created": "pending", "failed": "pending"}}, // failed: a retry before the deadline
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

// TestConfirmRetriesAFailedSession: Confirm on a failed session before its
// deadline starts a new payment (the retry transition, with its pending
// event), forgetting the failure's reason and the operator's reference; at
// or after the deadline it is refused.
func TestConfirmRetriesAFailedSession(t *testing.T) {
	t.Parallel()
	testdb.EachEngine(t, testConfirmRetries)
}

func testConfirmRetries(t *testing.T, dbURL string) {
	env := testserver.Start(t, dbURL)
	key, _ := env.Merchant()
	ctx := context.Background()
	p, err := env.Server.Merchants.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	svc := env.Server.Checkout
	failed := func() checkout.Session {
		t.Helper()
		id := sessionIn(t, env, p, checkout.StatusPending)
		if err := env.Server.Store.SessionSetRef(ctx, p.Scope(), id, "tpay_first"); err != nil {
			t.Fatal(err)
		}
		s, err := svc.ForceOutcome(ctx, p, id, checkout.OutcomeFail, "insufficient_funds")
		if err != nil || s.Status != checkout.StatusFailed || s.FailureReason != "insufficient_funds" || s.ConnectorRef != "tpay_first" {
			t.Fatalf("failing the session: %v, %+v", err, s)
		}
		return s
	}

	s := failed()
	got, err := svc.Confirm(ctx, p, s.ID, checkout.ConfirmParams{Channel: "wave", UserPhone: "+2250700000001"})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	after, err := svc.Get(ctx, p, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != checkout.StatusPending || after.FailureReason != "" || after.UserPhone != "+2250700000001" ||
		after.Channel != "wave" || after.ConnectorRef == "" || after.ConnectorRef == "tpay_first" || after.ConnectorRef != got.ConnectorRef {
		t.Errorf("after a retry: status %s, reason %q, phone %s, channel %s, ref %q (Confirm said %q); want pending, no reason, "+
			"the new phone and channel and a new reference", after.Status, after.FailureReason, after.UserPhone, after.Channel,
			after.ConnectorRef, got.ConnectorRef)
	}
	events, err := env.Server.Store.EventList(ctx, p.Scope(), store.EventFilter{Limit: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pendings int
	for _, e := range events {
		if e.Session.ID == s.ID && e.Type == checkout.EventPending {
			pendings++
			if e.Session.ConnectorRef != "" || e.Session.FailureReason != "" {
				t.Errorf("the retry's pending event shows ref %q, reason %q; want both cleared", e.Session.ConnectorRef, e.Session.FailureReason)
			}
		}
	}
	if pendings != 1 { // sessionIn walked to pending through the store, without events
		t.Errorf("%d pending events after the retry, want 1", pendings)
	}

	late := failed()
	env.Clock.Set(late.ExpiresAt)
	_, err = svc.Confirm(ctx, p, late.ID, checkout.ConfirmParams{Channel: "wave", UserPhone: "+2250700000001"})
	var se *checkout.StateError
	if after, _ := svc.Get(ctx, p, late.ID); !errors.As(err, &se) || after.Status != checkout.StatusFailed {
		t.Errorf("retry at the deadline: %v, status %s; want a StateError and failed", err, after.Status)
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
		if err != nil || total != 1 || len(found) != 1 || found[0].Status != checkout.StatusExpired {
			t.Errorf("Search %v: %d %v (%v), want the session, expired", statuses, total, found, err)
		}
		listed, _, err := svc.List(ctx, p, checkout.ListParams{Filter: store.SessionFilter{Statuses: statuses, Limit: 10}})
		if err != nil || len(listed) != 1 || listed[0].Status != checkout.StatusExpired {
			t.Errorf("List %v: %v (%v), want the session, expired", statuses, listed, err)
		}
	}
	if found, total, _ := svc.Search(ctx, p, store.SessionFilter{Statuses: []checkout.Status{checkout.StatusCreated}, Limit: 10}); total != 0 || len(found) != 0 {
		t.Errorf("Search created: %d %v, want none", total, found)
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
