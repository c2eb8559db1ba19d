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
		to   map[string]string // from → to, for the statuses that allow it
	}{
		{"confirm", func(id string) (checkout.Session, error) {
			return svc.Confirm(ctx, p, id, checkout.ConfirmParams{Channel: "wave"})
		}, map[string]string{"created": "pending"}},
		{"cancel", func(id string) (checkout.Session, error) { return svc.Cancel(ctx, p, id) },
			map[string]string{"created": "cancelled", "pending": "cancelled"}},
		{"expire", func(id string) (checkout.Session, error) { return svc.Expire(ctx, p, id) },
			map[string]string{"created": "expired", "pending": "expired"}},
		{"force complete", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeComplete, "")
		}, map[string]string{"created": "completed", "pending": "completed", "processing": "completed"}},
		{"force fail", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeFail, "insufficient_funds")
		}, map[string]string{"created": "failed", "pending": "failed", "processing": "failed"}},
		{"force expire", func(id string) (checkout.Session, error) {
			return svc.ForceOutcome(ctx, p, id, checkout.OutcomeExpire, "")
		}, map[string]string{"created": "expired", "pending": "expired"}},
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
func sessionIn(t *testing.T, env *testserver.Env, p merchant.Principal, status string) string {
	t.Helper()
	ctx := context.Background()
	s, err := env.Server.Checkout.Create(ctx, p, checkout.CreateParams{Amount: 5000, Currency: "XOF", UserPhone: "+2250700000004"})
	if err != nil {
		t.Fatal(err)
	}
	from := checkout.StatusCreated
	for _, to := range checkout.Path(from, status) {
		if _, err := env.Server.Store.SessionChangeStatus(ctx, p.Scope(), store.StatusChange{ID: s.ID, From: from, To: to, At: env.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
		from = to
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
	ids := map[string]string{}
	for _, st := range []string{"created", "pending", "processing"} {
		ids[st] = sessionIn(t, env, p, st)
	}
	env.Clock.Set(start.Add(checkout.DefaultExpiresIn * time.Second))
	for st, want := range map[string]string{"created": "expired", "pending": "expired", "processing": "processing"} {
		got, err := env.Server.Checkout.Get(ctx, p, ids[st])
		if err != nil || got.Status != want {
			t.Errorf("%s session read at its deadline: %q (%v), want %s", st, got.Status, err, want)
		}
	}
	if got, err := env.Server.Checkout.ForceOutcome(ctx, p, ids["processing"], checkout.OutcomeComplete, ""); err != nil || got.Status != "completed" {
		t.Errorf("processing session past its deadline completes: %q (%v)", got.Status, err)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	cases := map[[2]string]string{
		{"created", "completed"}: "pending processing completed",
		{"created", "failed"}:    "pending failed",
		{"pending", "completed"}: "processing completed",
		{"created", "expired"}:   "expired",
		{"processing", "failed"}: "failed",
	}
	for c, want := range cases {
		got := checkout.Path(c[0], c[1])
		if s := strings.Join(got, " "); s != want {
			t.Errorf("Path(%s, %s) = %q, want %q", c[0], c[1], s, want)
		}
	}
	for _, c := range [][2]string{{"processing", "expired"}, {"completed", "failed"}, {"created", "created"}, {"expired", "pending"}} {
		if got := checkout.Path(c[0], c[1]); got != nil {
			t.Errorf("Path(%s, %s) = %v, want none", c[0], c[1], got)
		}
	}
}
